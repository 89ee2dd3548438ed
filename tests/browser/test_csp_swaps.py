"""htmx swaps under the strict CSP: no inline style, whatever the page held before the swap.

htmx copies some attributes of an element onto its replacement while it settles; a `style`
written by the browser (a person resizing a text box) was copied with setAttribute, which the
CSP refuses: a console error after an invalid inline add and after a review decision. The
visitor fails a test on any console error (checks.py)."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from gains.extensions import db
from gains.models import Improvement, Status, Team
from tests.browser.steps import decide, open_from_queue, sign_in

# What the browser does to a text box a person drags larger.
RESIZED = "(element) => { element.style.height = '12em'; element.style.width = '30em'; }"


def test_an_invalid_inline_add_swaps_without_a_csp_error(visit, live_server):
    with live_server.app.app_context():
        improvement = db.session.scalars(
            select(Improvement.id)
            .join(Team)
            .where(Team.name == "Benefit renewals", Improvement.status == Status.RUNNING)
            .order_by(Improvement.id)
        ).first()
        db.session.remove()
    visitor = visit(javascript=True)
    sign_in(visitor, "member")
    page = visitor.page
    visitor.goto(f"/improvements/{improvement}")
    form = page.locator("#measurement-add")
    form.get_by_label("Value").evaluate(RESIZED)
    form.get_by_label("Value").fill("twelve")
    form.get_by_role("button", name="Add measurement").click()
    expect(page.locator("#new-value-error")).to_contain_text("Enter a number")
    # No visitor.check() here: the inline form shows its errors beside the fields without an
    # error summary, which the page checks would refuse (a separate matter). The console is
    # still checked when the visitor closes.


def test_a_review_decision_swaps_without_a_csp_error(visit, submitted_by_the_team):
    visitor = visit(javascript=True)
    sign_in(visitor, "manager")
    open_from_queue(visitor, submitted_by_the_team)
    page = visitor.page
    page.locator("#review-decision textarea").evaluate(RESIZED)
    decide(visitor, "Request changes")  # without the comment it needs: the form comes back
    expect(page.locator("#review-decision .govuk-error-summary")).to_be_visible()
    visitor.check()
    page.locator("#review-decision textarea").evaluate(RESIZED)
    decide(visitor, "Approve")
    expect(page.locator("#review-decision .govuk-panel__title")).to_have_text("Approved")
    visitor.check()
