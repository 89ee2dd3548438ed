"""Journey: a manager tries another department's idea in a team of theirs, then Treasury sees
the idea spread and its places pooled, "what to expect if you adopt it" (issue 22)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import flash, open_improvement, sign_in

ADOPTION = "Renewal reminder by text as well as letter"  # adopted from the fines idea (REV)
ORIGINAL = "Text before a fine is escalated"
NEW_TITLE = "Text reminder before missing evidence is chased"


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_manager_adopts_an_idea_and_treasury_sees_it_pooled(visit, javascript):
    manager = visit(javascript=javascript)
    sign_in(manager, "manager")
    open_improvement(manager, ADOPTION)
    page = manager.page
    expect(page.locator("#adopted-from")).to_contain_text("Revenue and Customs")
    page.get_by_role("button", name="Try this in my team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Try this idea in your team")
    manager.check()
    page.get_by_label("Which team will try it?").select_option(label="Casework (WKP)")
    page.get_by_label("Title of your draft").fill(NEW_TITLE)
    page.get_by_role("button", name="Register the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)
    flash(manager, "registered as a draft that tries this idea")
    expect(page.locator("#adopted-from")).to_contain_text("Revenue and Customs")
    manager.check()

    treasury = visit(javascript=javascript)
    sign_in(treasury, "treasury")
    page = treasury.page
    page.get_by_role("link", name="Savings", exact=True).click()
    expect(page.locator("#ideas-that-spread")).to_be_visible()
    treasury.check()
    page.get_by_role("link", name="Which ideas other teams have taken up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ideas that spread")
    expect(page.locator("#ideas-spread")).to_contain_text(ORIGINAL)
    treasury.check()
    page.get_by_role("link", name=ORIGINAL).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORIGINAL)
    expect(page.locator("#idea-expect")).to_contain_text("What to expect if you adopt it")
    expect(page.locator("#idea-pooled-result")).to_be_visible()
    treasury.check()
