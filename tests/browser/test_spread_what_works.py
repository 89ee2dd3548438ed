"""Journey (issue 22 item 5): a service team member starts registering an idea, the similar
improvements panel shows a team that already tries it, they take it up from there ("try this in
my team"), and open the idea's page, which pools only the places they may open; Treasury, who
may read every place, sees the idea pooled. With and without
JavaScript; every screen passes the page checks and axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import flash, sign_in

TYPED = "Text reminder before a fine"
FOUND = "Renewal reminder by text as well as letter"  # an adoption of the fines idea (REV)
ORIGINAL = "Text before a fine is escalated"
DRAFT = "Text reminder before a benefit review"


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_find_a_similar_idea_adopt_it_and_see_its_pooled_result(visit, javascript):
    member = visit(javascript=javascript)
    sign_in(member, "member")
    member.goto("/improvements/new")
    page = member.page
    title = page.get_by_label("Title", exact=True)
    panel = page.locator("#similar-improvements")
    if javascript:
        title.press_sequentially(TYPED, delay=20)
    else:
        title.fill(TYPED)
        page.get_by_role("button", name="Check for similar improvements").click()
        expect(title).to_have_value(TYPED)
    expect(panel.get_by_role("link", name=FOUND)).to_be_visible()
    member.check()

    panel.get_by_role("link", name=FOUND).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FOUND)
    expect(page.locator("#adopted-from")).to_contain_text("Revenue and Customs")
    member.check()

    page.get_by_role("button", name="Try this in my team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Try this idea in your team")
    member.check()
    page.get_by_label("Title of your draft").fill(DRAFT)
    page.get_by_role("button", name="Register the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DRAFT)
    flash(member, "registered as a draft that tries this idea")
    member.check()

    page.get_by_role(
        "link", name="The idea's pooled result across every place that tried it"
    ).click()
    # The member may open only their department's places: the page says what it leaves out
    # rather than pooling too few.
    expect(page.locator("main")).to_contain_text("not pooled here because you cannot open them")
    member.check()
    idea_path = page.url.split("//", 1)[1].split("/", 1)[1]

    # Treasury may read every place: the idea pooled, and what to expect if you adopt it.
    treasury = visit(javascript=javascript)
    sign_in(treasury, "treasury")
    treasury.goto(f"/{idea_path}")
    page = treasury.page
    expect(page.get_by_role("heading", level=1)).to_have_text(ORIGINAL)
    expect(page.locator("#idea-expect")).to_contain_text("What to expect if you adopt it")
    expect(page.locator("#idea-pooled-result")).to_be_visible()
    treasury.check()
