"""A decision is of the figures the reviewer saw: the form carries their data version, and a
decision on data that moved since is refused (409) with the current figures shown."""

from __future__ import annotations

import re

from sqlalchemy import select

from gains.extensions import db
from gains.models import BatchSource, Improvement, Review, Status
from gains.services.improvements.plan_changes import amend
from gains.services.measurements.recording import record_batch
from tests.support.demo_records import SAVE_AND_RETURN
from tests.support.factories import late_rows, person
from tests.support.web import HTMX, improvement_id_by_title, text_of

MESSAGE = (
    "The data changed while you were reviewing: {what}. "
    "Review the current figures, then decide again."
)


def seen_version(html: str) -> int:
    match = re.search(r'<input[^>]*name="data_version"[^>]*value="(\d+)"', html)
    assert match, "the decision form carries no data version"
    return int(match.group(1))


def add_rows(app, target: int, count: int) -> int:
    """A member's new rows, committed while the manager reads the page; the new version."""
    with app.app_context():
        improvement = db.session.get(Improvement, target)
        record_batch(
            person(db.session, "member"), improvement, late_rows(count), source=BatchSource.API
        )
        db.session.commit()
        return improvement.data_version


def reviews_of(app, target: int) -> list[Review]:
    with app.app_context():
        return db.session.scalars(select(Review).where(Review.improvement_id == target)).all()


def test_a_decision_on_figures_that_moved_is_refused_with_the_current_figures(app, signed_in):
    client = signed_in("manager")
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    seen = seen_version(client.get(f"/reviews/{target}").get_data(as_text=True))
    before = len(reviews_of(app, target))
    now = add_rows(app, target, 3)

    refused = client.post(
        f"/reviews/{target}/decision", data={"decision": "approved", "data_version": seen}
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert MESSAGE.format(what="3 new rows") in text_of(html)
    assert seen_version(html) == now  # the page now shows, and decides, the current figures
    assert len(reviews_of(app, target)) == before

    approved = client.post(
        f"/reviews/{target}/decision", data={"decision": "approved", "data_version": now}
    )
    assert approved.status_code == 303
    with app.app_context():
        improvement = db.session.get(Improvement, target)
        assert improvement.status is Status.APPROVED
        assert improvement.reviews[-1].data_version == now


def test_with_htmx_the_refusal_reloads_the_page_with_the_message(app, signed_in):
    client = signed_in("manager")
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    seen = seen_version(client.get(f"/reviews/{target}").get_data(as_text=True))
    before = len(reviews_of(app, target))
    with app.app_context():
        improvement = db.session.get(Improvement, target)
        amend(
            person(db.session, "member"),
            improvement,
            "annual_volume",
            improvement.annual_volume + 1,
            "The volume was miscounted",
        )
        db.session.commit()
    add_rows(app, target, 1)

    refused = client.post(
        f"/reviews/{target}/decision",
        data={"decision": "approved", "data_version": seen},
        headers=HTMX,
    )
    assert refused.status_code == 409
    assert refused.headers["HX-Redirect"] == f"/reviews/{target}"
    page = client.get(refused.headers["HX-Redirect"]).get_data(as_text=True)
    assert MESSAGE.format(what="1 new row and it was amended") in text_of(page)
    assert len(reviews_of(app, target)) == before
    with app.app_context():
        assert db.session.get(Improvement, target).status is Status.SUBMITTED


def test_a_form_without_a_version_decides_the_current_data(app, signed_in):
    client = signed_in("manager")
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    now = add_rows(app, target, 2)
    response = client.post(f"/reviews/{target}/decision", data={"decision": "approved"})
    assert response.status_code == 303
    assert reviews_of(app, target)[-1].data_version == now
