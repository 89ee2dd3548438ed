"""Similar improvements while registering (issue 22 item 1): with JavaScript the panel follows
the typing (htmx); without it, "Check for similar improvements" shows the form again, as typed,
with the panel. Every screen passes the page checks and axe."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.checks import Visitor
from tests.browser.steps import sign_in

TYPED = "Pre-filled renewal form"
PUBLISHED = "Pre-fill known fields on the renewal form"


def open_registration(visitor: Visitor) -> None:
    sign_in(visitor, "member")
    visitor.goto("/improvements/new")
    expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Register an improvement")


def test_the_panel_follows_the_typing(visit):
    visitor = visit(javascript=True)
    open_registration(visitor)
    page = visitor.page
    page.get_by_label("Title", exact=True).press_sequentially(TYPED, delay=20)
    panel = page.locator("#similar-improvements")
    expect(panel.get_by_role("link", name=PUBLISHED)).to_be_visible()
    visitor.check()
    page.get_by_label("Title", exact=True).fill("Zebra crossings for quokkas")
    expect(panel).to_contain_text("Nothing similar found")
    visitor.check()


def test_without_javascript_the_check_shows_the_form_again_as_typed(visit):
    visitor = visit(javascript=False)
    open_registration(visitor)
    page = visitor.page
    page.get_by_label("Title", exact=True).fill(TYPED)
    page.get_by_label("Metric", exact=True).fill("Time to complete a renewal")
    page.get_by_role("button", name="Check for similar improvements").click()
    visitor.check()
    expect(page.get_by_label("Title", exact=True)).to_have_value(TYPED)
    expect(page.get_by_label("Metric", exact=True)).to_have_value("Time to complete a renewal")
    expect(
        page.locator("#similar-improvements").get_by_role("link", name=PUBLISHED)
    ).to_be_visible()
