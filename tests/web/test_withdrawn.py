"""A withdrawn improvement refuses every change on the web (issue 21): its plan, its
amendments and its measurements, with the reason said and nothing written."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from gains.models import AuditEvent, Measurement, UploadBatch
from gains.services.improvements import workflow
from tests.support.factories import person, plan, start_with_data
from tests.support.web import text_of

WITHDRAWN = "This improvement was withdrawn, so it cannot be changed"


def withdrawn_improvement(session, title="Withdrawn letter"):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title=title))
    session.flush()
    start_with_data(member, improvement, [12, 11, 13], [9, 8, 10])
    workflow.withdraw(member, improvement, "Superseded")
    session.commit()
    return improvement


def footprint(session, improvement) -> tuple:
    """Everything a change would move: the plan's fields, its rows, batches and events."""
    session.expire_all()
    session.refresh(improvement)
    count = lambda stmt: session.scalar(select(func.count()).select_from(stmt.subquery()))  # noqa: E731
    return (
        improvement.status,
        improvement.data_version,
        improvement.hypothesis,
        improvement.title,
        count(select(Measurement).where(Measurement.improvement_id == improvement.id)),
        count(select(UploadBatch).where(UploadBatch.improvement_id == improvement.id)),
        count(select(AuditEvent)),
    )


def test_every_web_write_to_a_withdrawn_improvement_is_refused(session, signed_in):
    improvement = withdrawn_improvement(session)
    measurement = improvement.batches[0].measurements[0].id
    base = f"/improvements/{improvement.id}"
    before = footprint(session, improvement)
    client = signed_in("member")

    # The plan: an edit (with or without a locked field posted) and an amendment, 409.
    for data in ({}, {"hypothesis": "Changed after withdrawal"}):
        response = client.post(f"{base}/edit", data=data)
        assert response.status_code == 409, response.get_data(as_text=True)[:1000]
        assert WITHDRAWN in text_of(response.get_data(as_text=True))
    response = client.post(
        f"{base}/amend/hypothesis",
        data={"hypothesis": "Changed after withdrawal", "reason": "Try anyway"},
    )
    assert response.status_code == 409, response.get_data(as_text=True)[:1000]
    assert WITHDRAWN in text_of(response.get_data(as_text=True))

    # The measurements: add, edit, delete and upload are refused where the person looks.
    row = {"phase": "after", "group": "treatment", "value": "7.5"}
    csv = b"phase,value\nafter,7.5\n"
    writes = [
        (f"{base}/measurements", {f"new-{k}": v for k, v in row.items()}),
        (
            f"{base}/measurements/{measurement}/edit",
            {f"m{measurement}-{k}": v for k, v in row.items()},
        ),
        (f"{base}/measurements/{measurement}/delete", {}),
        (f"{base}/measurements/upload", {"file": (io.BytesIO(csv), "rows.csv")}),
    ]
    for url, data in writes:
        response = client.post(url, data=data, follow_redirects=True)
        assert WITHDRAWN in text_of(response.get_data(as_text=True)), url
    assert footprint(session, improvement) == before


def test_the_many_improvements_import_refuses_a_withdrawn_one(session, signed_in):
    improvement = withdrawn_improvement(session)
    before = footprint(session, improvement)
    csv = f"improvement,phase,value\n{improvement.id},after,7.5\n".encode()
    response = signed_in("member").post(
        "/measurements/import", data={"file": (io.BytesIO(csv), "many.csv")}
    )
    assert response.status_code == 422
    assert f"Improvement {improvement.id} is withdrawn" in text_of(response.get_data(as_text=True))
    assert footprint(session, improvement) == before


def test_the_pages_that_would_change_it_say_why_and_offer_no_form(session, signed_in):
    """Opening the edit or an amendment page of a withdrawn improvement shows when, by whom
    and why it was withdrawn, and no field or button to change it (issue 21 item 6)."""
    improvement = withdrawn_improvement(session)
    client = signed_in("member")
    for url in (
        f"/improvements/{improvement.id}/edit",
        f"/improvements/{improvement.id}/amend/hypothesis",
    ):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert 'id="withdrawn"' in page and "Why: Superseded" in text_of(page), url
        assert 'name="hypothesis"' not in page and 'name="reason"' not in page, url
        assert "Save changes" not in page and "Record the amendment" not in page, url
