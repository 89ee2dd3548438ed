"""Journey: a person signs in with their organisation's account through a real OpenID Connect
provider on 127.0.0.1 (tests/support/oidc.py), then signs out of Gains and of the provider.
Issue 23; docs/decisions/0049-organisation-sign-in.md."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.checks import Visitor
from tests.browser.conftest import _database_names, per_worker
from tests.browser.server import browser_app, serve
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, DOMAIN, real_provider, set_person

MEMBER = "member@example.org"


@pytest.fixture
def provider() -> Iterator[str]:
    with real_provider() as url:
        yield url


@pytest.fixture
def live_server(database_copies, provider) -> Iterator:
    """The real app, as `tests/browser/conftest.py` serves it, with organisation sign-in on
    and passwords off: the provider is the only way in."""
    url = database_copies.copy(per_worker(f"gains_browser_{next(_database_names)}"))
    app = browser_app(
        url,
        GAINS_OIDC_ISSUER=provider,
        GAINS_OIDC_CLIENT_ID=CLIENT_ID,
        GAINS_OIDC_CLIENT_SECRET=CLIENT_SECRET,
        GAINS_OIDC_EMAIL_DOMAINS=(DOMAIN,),
        GAINS_PASSWORD_SIGN_IN=False,
    )
    with serve(app) as live:
        yield live
        assert not live.errors, f"the server raised: {live.errors!r}"
    database_copies.drop(url)


def serve_the_providers_stylesheet_empty(page) -> None:
    """The test provider's pages load a stylesheet from a CDN this machine need not reach."""
    page.context.route(
        "https://cdn.jsdelivr.net/**",
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )


def at_the_provider(visitor: Visitor) -> None:
    """The provider's own pages are not Gains's to check (headings, skip links, axe)."""
    visitor.page.wait_for_load_state("load")
    visitor.unchecked = None


def through_the_provider(visitor: Visitor, sub: str) -> None:
    """From Gains' sign-in page, sign in at the provider as `sub`."""
    page = visitor.page
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    at_the_provider(visitor)
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()


def test_a_person_signs_in_with_their_organisation_and_out_again(visit, provider):
    set_person(provider, "alice", email=MEMBER, email_verified=True, name="Alice")
    member = visit()
    page = member.page
    serve_the_providers_stylesheet_empty(page)
    member.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    member.screenshot("organisation-1-sign-in-page")
    page.get_by_role("button", name="Sign in with your organisation's account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Authorize Client")
    at_the_provider(member)
    assert page.url.startswith(provider)
    page.locator("input[name=sub]").fill("alice")
    page.get_by_role("button", name="Authorize", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("What waits for you")
    member.check()
    member.screenshot("organisation-2-signed-in")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")
    expect(
        page.get_by_text("You are still signed in to your organisation's account")
    ).to_be_visible()
    member.check()
    member.screenshot("organisation-3-signed-out")

    page.get_by_role("button", name="Sign out of your organisation's account").click()
    at_the_provider(member)
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")
    member.check()
    # Signed out of Gains: the task list sends the person back to sign in.
    member.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")


def test_someone_without_an_account_is_told_so(visit, provider):
    set_person(provider, "stranger", email="stranger@example.org", email_verified=True)
    visitor = visit(javascript=False)
    page = visitor.page
    serve_the_providers_stylesheet_empty(page)
    visitor.goto("/auth/sign-in")
    through_the_provider(visitor, "stranger")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You cannot sign in to Gains with this account"
    )
    expect(page.get_by_text("no Gains account has this email address")).to_be_visible()
    visitor.check()
    visitor.screenshot("organisation-4-refused")
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scroll
    page.get_by_role("link", name="sign in again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")
    visitor.check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # The refusal is a designed 403 page, which Chromium logs like any 4xx document.
    assert visitor.problems == [
        "console error: Failed to load resource: the server responded with a status of 403 "
        "(FORBIDDEN)"
    ]
    visitor.problems.clear()


def test_an_administrator_invites_someone_who_then_signs_in_with_their_organisation(
    visit, provider
):
    """With passwords off an invitation makes no link: the new person is told to sign in with
    their organisation account, and can."""
    set_person(provider, "root", email="admin@example.org", email_verified=True)
    set_person(provider, "ada", email="ada.lovelace@example.org", email_verified=True)
    admin = visit()
    page = admin.page
    serve_the_providers_stylesheet_empty(page)

    admin.goto("/auth/sign-in")
    admin.check()
    through_the_provider(admin, "root")
    expect(page.get_by_role("heading", level=1)).to_contain_text("What waits for you")
    admin.check()
    admin.goto("/admin/users/new")
    expect(page.get_by_text("They sign in with their organisation account")).to_be_visible()
    admin.check()
    page.get_by_label("Email address").fill("ada.lovelace@example.org")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Treasury").check()
    page.get_by_role("button", name="Create the account", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account created")
    expect(page.get_by_text("signs in with their organisation account")).to_be_visible()
    expect(page.get_by_text("set-password")).to_have_count(0)
    admin.check()
    admin.screenshot("organisation-5-invited")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Gains")
    admin.check()
    through_the_provider(admin, "ada")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in to Gains")
    admin.check()
    admin.goto("/account/")
    expect(page.get_by_text("ada.lovelace@example.org")).to_be_visible()
    admin.check()
