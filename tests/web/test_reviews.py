"""The review queue and review page over HTTP: roles, sorting, htmx, decisions, reopening."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import BatchSource, Decision, Improvement, Review, Status
from gains.services.estimates.current import current_estimate
from gains.services.measurements.recording import record_batch
from gains.stats.money import financial_year_start
from tests.support.demo_records import SAVE_AND_RETURN
from tests.support.factories import late_rows, person, submitted_by
from tests.support.review_oracles import bh_by_hand, family_p_values
from tests.support.web import HTMX, improvement_id_by_title, text_of

TEMPLATES = "Shared templates for common decisions"
EVIDENCE = "Evidence checklist sent with the invitation"


def submitted_titles(app, *criteria) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            select(Improvement.title).where(Improvement.status == Status.SUBMITTED, *criteria)
        ).all()


def queue_row(html: str, row_id: int) -> str:
    match = re.search(
        rf'<tr class="govuk-table__row" id="queue-row-{row_id}">(.*?)</tr>', html, re.S
    )
    assert match, f"row {row_id} is not in the queue"
    return match.group(1)


def gbp(pence: float | int) -> str:
    """£ to the pound as the pages write it, computed here rather than by the app's filter:
    money is rounded half up to whole pence first (docs/DESIGN.md "Money"), then shown in pounds."""
    whole_pence = Decimal(pence).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    pounds = int((whole_pence / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"−£{abs(pounds):,}" if pounds < 0 else f"£{pounds:,}"


def test_queue_per_role(app, signed_in, client):
    assert signed_in("member").get("/reviews/").status_code == 403
    client.post("/auth/sign-out")
    assert signed_in("treasury").get("/reviews/").status_code == 403
    client.post("/auth/sign-out")
    admin_page = signed_in("admin").get("/reviews/").get_data(as_text=True)
    for title in submitted_titles(app):
        assert title in admin_page
    client.post("/auth/sign-out")
    response = signed_in("manager").get("/reviews/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for title in (SAVE_AND_RETURN, TEMPLATES, EVIDENCE):
        assert title in html
    outsiders = [
        t for t in submitted_titles(app) if t not in (SAVE_AND_RETURN, TEMPLATES, EVIDENCE)
    ]
    assert outsiders
    for title in outsiders:
        assert title not in html
    assert 'href="/reviews/"' in html  # the navigation item


def test_members_have_no_reviews_navigation(signed_in):
    assert 'href="/reviews/"' not in signed_in("member").get("/").get_data(as_text=True)


def moved_to(app, title: str, submitted_at: datetime) -> int:
    """The improvement's id, after dating its submission `submitted_at` (and so its family)."""
    with app.app_context():
        improvement = db.session.scalars(
            select(Improvement).where(Improvement.title == title)
        ).one()
        improvement.submitted_at = submitted_at
        db.session.commit()
        return improvement.id


def test_queue_shows_hand_computed_adjusted_p_and_saving(app, signed_in):
    templates_id = moved_to(app, TEMPLATES, datetime.now(UTC))  # this year's family
    html = signed_in("manager").get("/reviews/").get_data(as_text=True)
    with app.app_context():
        raw = family_p_values(db.session, "WKP", datetime.now(UTC).date())
        adjusted = bh_by_hand(raw)
        result = current_estimate(db.session.get(Improvement, templates_id)).result
        db.session.rollback()
    row = text_of(queue_row(html, templates_id))
    assert f"{adjusted[templates_id]:.3f} provisional, of {len(raw)}" in row
    # £35 per case a week, 9,600 caseworker-weeks a year, scale 1.
    assert gbp(Decimal(result["gain"]) * 9_600 * 35 * 100) in row
    assert gbp(Decimal(result["gain_ci_low"]) * 9_600 * 35 * 100) in row


def test_sort_filter_and_htmx_fragment(app, signed_in):
    client = signed_in("manager")
    fragment = client.get("/reviews/?sort=title", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<div id="review-queue"')
    assert "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    positions = [body.index(title) for title in sorted((SAVE_AND_RETURN, TEMPLATES, EVIDENCE))]
    assert positions == sorted(positions)
    # The filter form's sort follows a heading's sort (out-of-band swap).
    assert '<div id="queue-sort" hx-swap-oob="true">' in body
    assert re.search(r'<option value="title" selected', body)

    page = client.get("/reviews/?sort=title")
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]

    with app.app_context():
        casework_team = person(db.session, "casework@example.org").team_id
    filtered = client.get(f"/reviews/?team={casework_team}").get_data(as_text=True)
    assert TEMPLATES in filtered and SAVE_AND_RETURN not in filtered
    by_method = client.get("/reviews/?method=did").get_data(as_text=True)
    assert EVIDENCE in by_method and TEMPLATES not in by_method
    nonsense = client.get("/reviews/?team=x&method=nope&warnings=maybe&sort=evil")
    assert nonsense.status_code == 200


def test_review_page_spells_out_the_review(app, signed_in):
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    response = signed_in("manager").get(f"/reviews/{target}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for section in (
        'id="review-plan"',
        'id="cell-summary"',
        'id="estimate"',
        'id="review-multiplicity"',
        'id="review-money"',
        'id="review-decision"',
    ):
        assert section in html
    with app.app_context():
        result = current_estimate(db.session.get(Improvement, target)).result
        db.session.rollback()
    text = text_of(html)
    saving = Decimal(result["gain"]) * 410_000 * Decimal("0.45")
    assert f"£{saving.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,} a year" in text
    assert "× 410,000 a year × £0.45 per minute" in text
    assert f'action="/reviews/{target}/decision"' in html


def test_plain_post_approves_and_redirects(app, signed_in):
    client = signed_in("manager")
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    with app.app_context():
        family_day = db.session.get(Improvement, target).submitted_at.date()
        expected_p = bh_by_hand(family_p_values(db.session, "WKP", family_day))[target]
        db.session.rollback()
    response = client.post(f"/reviews/{target}/decision", data={"decision": "approved"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/reviews/{target}")
    with app.app_context():
        improvement = db.session.get(Improvement, target)
        review = improvement.reviews[-1]
        assert improvement.status is Status.APPROVED
        assert review.decision is Decision.APPROVED
        assert review.bh_adjusted_p == pytest.approx(expected_p, rel=1e-12)
        assert review.snapshot["bh_adjusted_p"] == review.bh_adjusted_p
    page = client.get(f"/reviews/{target}").get_data(as_text=True)
    assert "govuk-panel__title" in page and "Approved" in page
    assert 'action="/reviews/' not in page  # no second decision
    assert f'id="queue-row-{target}"' not in client.get("/reviews/").get_data(as_text=True)


def test_htmx_post_swaps_in_the_outcome(app, signed_in):
    target = improvement_id_by_title(app, TEMPLATES)
    response = signed_in("manager").post(
        f"/reviews/{target}/decision",
        data={"decision": "changes_requested", "comment": "Add the August data."},
        headers=HTMX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="review-decision"')
    assert "<html" not in body
    assert "Changes requested" in body and "Add the August data." in body
    with app.app_context():
        assert db.session.get(Improvement, target).status is Status.CHANGES_REQUESTED


@pytest.mark.parametrize("decision", ["rejected", "changes_requested"])
def test_comment_is_required_to_reject_or_request_changes(app, signed_in, decision):
    client = signed_in("manager")
    target = improvement_id_by_title(app, EVIDENCE)
    message = "a comment is required to reject or to request changes"
    page = client.post(f"/reviews/{target}/decision", data={"decision": decision, "comment": " "})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert message in html
    assert 'href="#comment"' in html  # the error summary links to the field
    assert "<title>Error:" in html
    fragment = client.post(f"/reviews/{target}/decision", data={"decision": decision}, headers=HTMX)
    assert fragment.status_code == 200  # htmx swaps only 2xx responses
    assert message in fragment.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Improvement, target).status is Status.SUBMITTED


def test_a_manager_cannot_review_their_own(app, signed_in):
    client = signed_in("manager")
    with app.app_context():
        own = submitted_by(db.session, person(db.session, "manager"), "Manager's own change")
        own_id = own.id
        db.session.commit()
    page = client.get(f"/reviews/{own_id}").get_data(as_text=True)
    assert "another manager of Work and Pensions must review it" in page
    assert f'action="/reviews/{own_id}/decision"' not in page
    assert (
        client.post(f"/reviews/{own_id}/decision", data={"decision": "approved"}).status_code == 403
    )
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "Yours, waiting for another manager" in queue
    assert f'id="queue-row-{own_id}"' not in queue


def test_another_department_is_not_found(app, signed_in):
    client = signed_in("manager")
    elsewhere = improvement_id_by_title(app, "Crew start time moved to 6:30")  # Riverton, submitted
    assert client.get(f"/reviews/{elsewhere}").status_code == 404
    post = client.post(f"/reviews/{elsewhere}/decision", data={"decision": "approved"})
    assert post.status_code == 404


@pytest.mark.parametrize("role", ["treasury", "admin"])
def test_treasury_and_admin_read_but_never_decide(app, signed_in, role):
    client = signed_in(role)
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    page = client.get(f"/reviews/{target}")
    assert page.status_code == 200
    assert "/decision" not in page.get_data(as_text=True)
    assert "You can read this review" in page.get_data(as_text=True)
    post = client.post(f"/reviews/{target}/decision", data={"decision": "approved"})
    assert post.status_code == 403
    with app.app_context():
        assert not db.session.scalars(select(Review).where(Review.improvement_id == target)).all()


def test_members_cannot_open_review_pages(app, signed_in):
    own_team = improvement_id_by_title(app, SAVE_AND_RETURN)
    assert signed_in("member").get(f"/reviews/{own_team}").status_code == 403


def test_reopened_review_shows_changes_since_the_approved_snapshot(app, signed_in):
    client = signed_in("manager")
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    client.post(f"/reviews/{target}/decision", data={"decision": "approved"})
    with app.app_context():
        improvement = db.session.get(Improvement, target)
        approval = improvement.reviews[-1]
        approved_version = approval.data_version
        approved_gain = approval.snapshot["estimate"]["gain"]
        approved_pence = approval.snapshot["annual_saving"]["annual_saving_pence"]
        record_batch(
            person(db.session, "member"), improvement, late_rows(7), source=BatchSource.API
        )
        db.session.commit()
        assert improvement.status is Status.SUBMITTED
        current_gain = current_estimate(improvement).result["gain"]
        db.session.rollback()
    html = client.get(f"/reviews/{target}").get_data(as_text=True)
    text = text_of(html)
    assert "Changed since it was approved" in text
    assert f"Data version {approved_version} then, {approved_version + 1} now." in text
    assert "7 measurements added in 1 batch since the approval." in text
    assert "0 amendments since the approval" in text
    figures = text_of(html.split('id="since-approval-figures"')[1].split("</table>")[0])
    assert f"Approved {approved_gain:,.4g}" in figures
    assert gbp(approved_pence) in figures
    assert f"Now {current_gain:,.4g}" in figures
    assert f'action="/reviews/{target}/decision"' in html  # back in the queue to decide


def test_home_page_links_the_review_queue_items_to_review_pages(app, signed_in):
    html = signed_in("manager").get("/").get_data(as_text=True)
    section = html.split('id="tasks-to_review"')[1].split("</section>")[0]
    assert f'href="/reviews/{improvement_id_by_title(app, TEMPLATES)}"' in section


def test_a_second_decision_is_refused_with_a_shown_error(app, signed_in):
    client = signed_in("manager")
    target = improvement_id_by_title(app, EVIDENCE)
    first = client.post(f"/reviews/{target}/decision", data={"decision": "approved"})
    assert first.status_code == 303
    again = client.post(
        f"/reviews/{target}/decision", data={"decision": "rejected", "comment": "Too late."}
    )
    assert again.status_code == 409
    assert "Only submitted improvements can be reviewed" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Improvement, target).status is Status.APPROVED


def test_review_page_and_queue_say_this_years_adjusted_p_is_provisional(app, signed_in):
    now = datetime.now(UTC)
    target = moved_to(app, TEMPLATES, now)
    client = signed_in("manager")
    html = client.get(f"/reviews/{target}").get_data(as_text=True)
    status = re.search(r'id="review-adjusted-p-status">([^<]*)<', html)
    assert status and status.group(1) == "provisional"
    year_end = date(financial_year_start(now.date()).year + 1, 3, 31)
    explained = text_of(html.split('id="review-adjusted-p-explained"')[1].split("</p>")[0])
    assert "provisional" in explained
    assert f"final when the financial year closes on {year_end.day} March {year_end.year}" in (
        explained
    )
    assert "Adjusted p (provisional)" in html
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "provisional, of" in text_of(queue_row(queue, target))


def test_a_closed_years_adjusted_p_is_final(app, signed_in):
    target = moved_to(app, TEMPLATES, datetime(2025, 9, 1, 9, 0, tzinfo=UTC))
    client = signed_in("manager")
    html = client.get(f"/reviews/{target}").get_data(as_text=True)
    assert re.search(r'id="review-adjusted-p-status">final<', html)
    assert "in financial year 2025-26" in text_of(html)
    assert "That financial year has closed" in html and "Adjusted p (provisional)" not in html
    queue = client.get("/reviews/").get_data(as_text=True)
    assert "final, of" in text_of(queue_row(queue, target))


def test_an_approval_shows_its_stored_adjusted_p_as_provisional_when_approved(app, signed_in):
    target = moved_to(app, SAVE_AND_RETURN, datetime.now(UTC))
    client = signed_in("manager")
    client.post(f"/reviews/{target}/decision", data={"decision": "approved"})
    html = client.get(f"/reviews/{target}").get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Improvement, target).reviews[-1].bh_adjusted_p
        db.session.rollback()
    text = text_of(html.split('id="review-decision"')[1])
    assert f"adjusted p when approved {stored:.3f}" in text
    assert "(provisional when approved: the deciding value is recomputed" in text
