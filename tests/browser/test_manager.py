"""Journey 2: a manager reviews the team's submission, sends it back, and approves it once the
team has amended it; the department's pooled effect takes it in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.checks import Visitor
from tests.browser.steps import (
    confirm,
    decide,
    expect_status,
    flash,
    open_from_queue,
    sign_in,
    sign_out,
)

COMMENT = (
    "A minute of a caseworker's time is valued at £0.38 in this year's unit costs, "
    "not £0.45. Please amend the value per unit and resubmit."
)


def pooled_effect(visitor: Visitor) -> str:
    """The department dashboard's pooled-effect paragraph, reached from the navigation."""
    page = visitor.page
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Work and Pensions")
    visitor.check()
    heading = page.get_by_role("heading", name="Pooled effect of approved improvements")
    return heading.locator("xpath=following-sibling::p[1]").inner_text()


def amend_and_resubmit(member: Visitor, title: str) -> None:
    page = member.page
    expect(page.locator("main")).to_contain_text("Changes requested")
    page.get_by_role("link", name=title).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect_status(member, "Changes requested")
    expect(page.locator("main")).to_contain_text(COMMENT)
    member.check()

    page.get_by_role("link", name="Edit the plan").click()
    member.check()
    page.get_by_role("link", name="Amend the value of one unit of the metric").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amend a locked field")
    member.check()
    page.get_by_label("Value of one unit of the metric (£)").fill("0.38")
    page.get_by_label("Why is this change needed?").fill(
        "The manager pointed us to this year's unit costs: £0.38 a minute."
    )
    page.get_by_role("button", name="Record the amendment").click()
    flash(member, "The amendment is recorded")
    expect(page.locator("main")).to_contain_text(
        re.compile(r"Value per unit gbp changed from “0\.45(00)?” to “0\.38(00)?”")
    )
    member.check()

    confirm(member, "Resubmit for review", "Resubmit it for review?", "Yes, resubmit it")
    flash(member, "Submitted for review")
    expect_status(member, "Submitted for review")
    member.check()


def test_manager_requests_changes_then_approves_and_the_pooled_effect_changes(
    visit, submitted_by_the_team
):
    title = submitted_by_the_team
    manager = visit()
    sign_in(manager, "manager")
    assert pooled_effect(manager).startswith("Pooling needs at least 3 approved improvements")

    open_from_queue(manager, title)
    decide(manager, "Request changes")  # forgetting the comment first
    summary = manager.page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    manager.check()
    decide(manager, "Request changes", COMMENT)
    expect(manager.page.locator("#review-decision")).to_contain_text("Changes requested")
    manager.check()

    member = visit()
    sign_in(member, "member")
    amend_and_resubmit(member, title)
    sign_out(member)

    open_from_queue(manager, title)
    expect(manager.page.locator("main")).to_contain_text("Changes requested by Tom Okafor")
    manager.screenshot("6-manager-reviews-the-money", of="#money")
    decide(manager, "Approve")
    expect(manager.page.locator("#review-decision .govuk-panel__title")).to_have_text("Approved")
    manager.check()

    # The department's approved improvements are before/after (evidence level 2): pooled only
    # when the manager asks, and the page says so.
    left_out = pooled_effect(manager)
    assert left_out.startswith("Pooling needs at least 3"), left_out
    expect(manager.page.locator("#excluded-level-2")).to_contain_text("3 approved improvements")
    manager.page.get_by_label("Include before/after-only improvements").check()
    manager.page.get_by_role("button", name="Recalculate").click()
    expect(manager.page.get_by_label("Include before/after-only improvements")).to_be_checked()
    manager.check()
    heading = manager.page.get_by_role("heading", name="Pooled effect of approved improvements")
    pooled = heading.locator("xpath=following-sibling::p[1]").inner_text()
    assert pooled.startswith("Pooled standardised effect"), pooled
    pooled_k = manager.page.locator(".govuk-summary-list__row", has_text="Improvements pooled (k)")
    expect(pooled_k.locator("dd")).to_have_text("3")
    manager.page.locator("#pooled").evaluate(
        "heading => heading.scrollIntoView({ behavior: 'instant' })"
    )
    manager.screenshot("2-manager-pooled-effect")
