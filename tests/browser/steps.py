"""Steps the journeys share, written as a person does them: by labels and button names."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from gains.demo.catalogue import DEMO_PASSWORD
from tests.browser.checks import Visitor
from tests.conftest import DEMO_LOGINS

# The service team's improvement in journeys 1, 2 and 4: minutes to complete a renewal, ten
# before and ten after go-live on 1 June 2026 (about 4 minutes better, Hedges' g about 1).
TITLE = "Book the renewal appointment in the invitation letter"
MINUTES_BEFORE = (34.5, 27.0, 36.2, 30.8, 25.9, 33.4, 29.1, 38.7, 28.6, 31.9)
MINUTES_AFTER = (29.2, 24.8, 31.1, 22.9, 30.0, 26.7, 33.1, 25.4, 21.9, 28.3)


def sign_in(visitor: Visitor, role: str) -> None:
    """Open the service, get sent to sign in, sign in, land on the task list."""
    page = visitor.page
    visitor.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")
    page.get_by_label("Email address").fill(DEMO_LOGINS[role])
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("What waits for you")
    visitor.check()


def sign_out(visitor: Visitor) -> None:
    visitor.page.get_by_role("button", name="Sign out").click()
    expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")
    visitor.check()


def open_improvement(visitor: Visitor, title: str) -> None:
    """From anywhere: the register, search by title, open it."""
    page = visitor.page
    page.get_by_role("link", name="Improvements", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Improvements")
    visitor.check()
    page.get_by_label("Search titles and hypotheses").fill(title)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    visitor.check()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    visitor.check()


def data_version(visitor: Visitor) -> int:
    """The data version the estimate panel says it was computed for."""
    text = visitor.page.locator("#estimate").inner_text()
    found = re.search(r"Computed for data version (\d+)", text)
    assert found, f"the estimate panel shows no estimate: {text[:300]}"
    return int(found.group(1))


def flash(visitor: Visitor, message: str) -> None:
    # A page may show more than one banner (the flash beside the reviewer's standing decision).
    banner = visitor.page.locator(".govuk-notification-banner", has_text=message)
    expect(banner.first).to_be_visible()


def confirm(visitor: Visitor, action: str, question: str, answer: str) -> None:
    """Press an action, read its confirmation page (nothing has happened yet), answer yes."""
    page = visitor.page
    page.get_by_role("button", name=action).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(question)
    expect(page.get_by_role("link", name="Cancel")).to_be_visible()
    visitor.check()
    page.get_by_role("button", name=answer).click()


def expect_status(visitor: Visitor, label: str) -> None:
    """The status tag under the improvement's title."""
    expect(visitor.page.locator("main h1 + p .govuk-tag")).to_have_text(label)


def open_from_queue(visitor: Visitor, title: str) -> None:
    page = visitor.page
    page.get_by_role("link", name="Reviews", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    visitor.check()
    page.get_by_label("Team", exact=True).select_option(label="Benefit renewals (WKP)")
    # With htmx the table follows the filter at once and the address bar keeps up.
    expect(page).to_have_url(re.compile(r"team="))
    expect(page.locator("#review-queue")).to_contain_text(title)
    visitor.check()
    page.locator("#review-queue").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    visitor.check()


def decide(visitor: Visitor, decision: str, comment: str = "") -> None:
    page = visitor.page
    form = page.locator("#review-decision")
    form.get_by_label(decision, exact=True).check()
    if comment:
        form.get_by_label("Comment").fill(comment)
    form.get_by_role("button", name="Record the decision").click()
