"""Organisation sign-in (OpenID Connect) against real providers on 127.0.0.1: the
`oidc-provider-mock` server for the flow itself, and a stand-in that misbehaves for the ID
token checks (tests/support/oidc.py). Issue 23; docs/decisions/0049."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from flask import Flask
from sqlalchemy import select

from gains.auth import organisation
from gains.demo.catalogue import DEMO_PASSWORD
from gains.extensions import db as database
from gains.models import AuditEvent, User, UserSession
from gains.services.people import organisation_sign_in as matching
from tests.conftest import make_test_app, rolled_back
from tests.support.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    DOMAIN,
    StandIn,
    approve,
    callback_path,
    query_of,
    real_provider,
    set_person,
)

MEMBER = "member@example.org"


def organisation_app(database_url: str, issuer: str, **overrides) -> Flask:
    return make_test_app(
        database_url,
        GAINS_OIDC_ISSUER=issuer,
        GAINS_OIDC_CLIENT_ID=CLIENT_ID,
        GAINS_OIDC_CLIENT_SECRET=CLIENT_SECRET,
        GAINS_OIDC_EMAIL_DOMAINS=(DOMAIN,),
        **overrides,
    )


@contextmanager
def browser_of(configured: Flask) -> Iterator:
    """A test client of `configured`, its writes rolled back, its connections closed after."""
    try:
        with rolled_back(configured):
            yield configured.test_client()
    finally:
        with configured.app_context():
            for engine in database.engines.values():
                engine.dispose()


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with real_provider() as url:
        yield url


@pytest.fixture(scope="module")
def oidc_app(app, database_url, provider) -> Iterator[Flask]:
    # `app` first: it migrates and seeds the database both apps use.
    configured = organisation_app(database_url, provider)
    yield configured
    with configured.app_context():
        for engine in database.engines.values():
            engine.dispose()


@pytest.fixture
def client(oidc_app):
    with rolled_back(oidc_app):
        yield oidc_app.test_client()


def start(client, next_path: str | None = None) -> str:
    response = client.get("/auth/organisation" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def sign_in_through(client, provider: str, sub: str, **claims):
    set_person(provider, sub, **claims)
    return client.get(callback_path(approve(start(client), sub)))


def events(oidc_app, action: str) -> list[AuditEvent]:
    with oidc_app.app_context():
        return list(
            database.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def test_the_request_uses_pkce_state_and_nonce(client, provider):
    asked = query_of(start(client))
    assert asked["response_type"] == "code"
    assert asked["client_id"] == CLIENT_ID
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43  # base64url of a SHA-256
    assert asked["state"] and asked["nonce"]
    assert "openid" in asked["scope"].split() and "email" in asked["scope"].split()


def test_a_known_person_signs_in_through_the_provider(oidc_app, client, provider):
    response = sign_in_through(client, provider, "alice", email=MEMBER, email_verified=True)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Sign out" in home.get_data(as_text=True)
    [event] = events(oidc_app, matching.SIGNED_IN)
    with oidc_app.app_context():
        member = database.session.scalars(select(User).where(User.email == MEMBER)).one()
        assert (event.entity_id, event.actor_id) == (member.id, member.id)
        assert member.last_signed_in_at is not None


def test_next_is_followed_after_the_provider(client, provider):
    set_person(provider, "alice", email=MEMBER, email_verified=True)
    back = approve(start(client, "/account/"), "alice")
    response = client.get(callback_path(back))
    assert response.headers["Location"] == "/account/"


def test_a_replayed_state_is_refused(oidc_app, client, provider):
    set_person(provider, "alice", email=MEMBER, email_verified=True)
    back = callback_path(approve(start(client), "alice"))
    assert client.get(back).status_code == 303
    client.post("/auth/sign-out")
    replay = client.get(back)
    assert replay.status_code == 400
    assert "Sign-in did not finish" in replay.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out
    # And from another browser, which never started this sign-in.
    stranger = oidc_app.test_client()
    assert stranger.get(back).status_code == 400


def test_a_person_who_declines_at_the_provider_is_told_so(client):
    start(client)
    declined = client.get("/auth/organisation/callback?error=access_denied&state=whatever")
    assert declined.status_code == 400
    assert "did not sign you in to Gains" in declined.get_data(as_text=True)
    assert client.get("/").status_code == 302


@contextmanager
def silent_provider() -> Iterator[str]:
    """An issuer that accepts connections and never answers (a provider that hangs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.mark.parametrize("where", ["hangs", "is down"])
def test_a_provider_that_does_not_answer_gives_a_clear_page_soon(
    app, database_url, monkeypatch, where
):
    monkeypatch.setattr(organisation, "TIMEOUT_SECONDS", 1)
    with ExitStack() as stack:
        if where == "hangs":
            issuer = stack.enter_context(silent_provider())
        else:
            issuer = "http://127.0.0.1:9"  # the discard port: nothing listens there
        browser = stack.enter_context(browser_of(organisation_app(database_url, issuer)))
        began = time.monotonic()
        response = browser.get("/auth/organisation")
        assert response.status_code == 502
        assert "not answering" in response.get_data(as_text=True)
        assert time.monotonic() - began < 5


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"email": "nobody@example.org", "email_verified": True}, matching.UNKNOWN),
        ({"email": "member@elsewhere.com", "email_verified": True}, matching.DOMAIN),
        ({"email": MEMBER, "email_verified": False}, matching.NOT_VERIFIED),
    ],
    ids=["unknown email", "disallowed domain", "unverified email"],
)
def test_a_refusal_gives_a_clear_page_no_account_and_no_session(
    oidc_app, client, provider, claims, reason
):
    with oidc_app.app_context():
        people_before = database.session.scalar(select(database.func.count(User.id)))
    response = sign_in_through(client, provider, "visitor", **claims)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You cannot sign in to Gains with this account" in page
    assert reason in page
    assert client.get("/").status_code == 302  # no session
    with oidc_app.app_context():
        assert database.session.scalar(select(database.func.count(User.id))) == people_before
    [event] = events(oidc_app, matching.REFUSED)
    assert event.after["reason"] == reason
    assert events(oidc_app, matching.SIGNED_IN) == []


def test_a_deactivated_person_is_refused(oidc_app, client, provider):
    with oidc_app.app_context():
        member = database.session.scalars(select(User).where(User.email == MEMBER)).one()
        member.active = False
        database.session.commit()
        member_id = member.id
    response = sign_in_through(client, provider, "alice", email=MEMBER, email_verified=True)
    assert response.status_code == 403
    assert matching.DEACTIVATED in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    [event] = events(oidc_app, matching.REFUSED)
    assert event.entity_id == member_id


def test_sign_out_offers_the_providers_end_session(oidc_app, client, provider):
    set_person(provider, "alice", email=MEMBER, email_verified=True)
    assert client.get(callback_path(approve(start(client), "alice"))).status_code == 303
    # The ID token waits with the session on the server, not in the cookie it could outgrow.
    with oidc_app.app_context():
        kept = database.session.scalars(
            select(UserSession.id_token).where(UserSession.id_token.is_not(None))
        ).all()
    assert len(kept) == 1 and kept[0].count(".") == 2
    cookie = client.get_cookie("session")
    assert cookie is not None
    contents = oidc_app.session_interface.get_signing_serializer(oidc_app).loads(cookie.value)
    assert kept[0] not in contents.values()
    signed_out = client.post("/auth/sign-out", follow_redirects=True)
    page = signed_out.get_data(as_text=True)
    assert "Sign out of your organisation&#39;s account" in page
    link = page.split(f'href="{provider}/oauth2/end_session?', 1)[1].split('"', 1)[0]
    asked = query_of("?" + link.replace("&amp;", "&"))
    assert asked["post_logout_redirect_uri"] == "http://localhost/auth/sign-in"
    assert asked["id_token_hint"] == kept[0]  # the ID token Gains was given
    # Only once: the next visit to the sign-in page does not offer it again.
    assert "end_session" not in client.get("/auth/sign-in").get_data(as_text=True)


# The ID token checks, with a provider that sends what a test tells it to.


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    provider = StandIn()
    with provider.running():
        yield provider


@pytest.fixture
def stand_in_client(app, database_url, stand_in):
    stand_in.claims_change, stand_in.sign_with_stranger = {}, False
    with browser_of(organisation_app(database_url, stand_in.url)) as browser:
        yield browser


def through_stand_in(client) -> object:
    import requests

    location = requests.get(start(client), allow_redirects=False, timeout=5).headers["Location"]
    return client.get(callback_path(location))


def test_the_stand_in_signs_in_when_it_behaves(stand_in_client, stand_in):
    # So that each failure below fails for its one reason.
    assert through_stand_in(stand_in_client).status_code == 303


@pytest.mark.parametrize(
    ("change", "failure"),
    [
        ({"aud": "another-client"}, "Invalid claim: 'aud'"),
        # Authlib alone would accept this one (its `azp` rule); Gains requires `aud`.
        ({"aud": ["another-client"], "azp": CLIENT_ID}, "Invalid claim: 'aud'"),
        ({"exp": 1_700_000_000, "iat": 1_699_999_000}, "expired_token"),
        ({"iss": "https://impostor.example"}, "Invalid claim: 'iss'"),
        ({"nonce": "not-the-one-sent"}, "Invalid claim: 'nonce'"),
    ],
    ids=["wrong audience", "audience another client's", "expired", "wrong issuer", "wrong nonce"],
)
def test_an_id_token_that_fails_a_check_is_refused(
    stand_in_client, stand_in, caplog, change, failure
):
    stand_in.claims_change = change
    response = through_stand_in(stand_in_client)
    assert response.status_code == 400
    assert "Sign-in did not finish" in response.get_data(as_text=True)
    assert failure in caplog.text  # refused for this reason, not another
    assert stand_in_client.get("/").status_code == 302


def test_a_bad_signature_is_refused(stand_in_client, stand_in, caplog):
    stand_in.sign_with_stranger = True
    response = through_stand_in(stand_in_client)
    assert response.status_code == 400
    assert "bad_signature" in caplog.text
    assert stand_in_client.get("/").status_code == 302


# GAINS_PASSWORD_SIGN_IN=off: the provider is the only way in.


@pytest.fixture
def providers_only(app, database_url, provider):
    only = organisation_app(database_url, provider, GAINS_PASSWORD_SIGN_IN=False)
    with browser_of(only) as browser:
        yield browser


def test_with_passwords_off_the_sign_in_page_offers_only_the_provider(providers_only):
    page = providers_only.get("/auth/sign-in").get_data(as_text=True)
    assert "Sign in with your organisation&#39;s account" in page
    assert 'type="password"' not in page
    response = providers_only.post(
        "/auth/sign-in", data={"email": MEMBER, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 404
    assert providers_only.get("/").status_code == 302


def test_with_passwords_off_the_password_pages_do_not_exist(providers_only, provider):
    assert providers_only.get("/account/set-password/forged").status_code == 404
    assert providers_only.post("/account/set-password/forged").status_code == 404
    set_person(provider, "alice", email=MEMBER, email_verified=True)
    assert (
        providers_only.get(callback_path(approve(start(providers_only), "alice"))).status_code
        == 303
    )
    account = providers_only.get("/account/").get_data(as_text=True)
    assert "Change your password" not in account
    assert providers_only.post("/account/password").status_code == 404


def test_with_passwords_off_an_invitation_says_to_sign_in_with_the_organisation(
    providers_only, provider
):
    set_person(provider, "root", email="admin@example.org", email_verified=True)
    assert (
        providers_only.get(callback_path(approve(start(providers_only), "root"))).status_code == 303
    )
    form = providers_only.get("/admin/users/new").get_data(as_text=True)
    assert "They sign in with their organisation" in form and "one-time" not in form
    created = providers_only.post(
        "/admin/users/new",
        data={"email": "newcomer@example.org", "name": "Newcomer", "role": "treasury"},
    )
    page = created.get_data(as_text=True)
    assert created.status_code == 200, page[:500]
    assert "signs in with their organisation account" in page
    assert "/auth/sign-in" in page and "set-password" not in page
    with providers_only.application.app_context():
        newcomer = database.session.scalar(select(User).where(User.email == "newcomer@example.org"))
    account = providers_only.get(f"/admin/users/{newcomer.id}").get_data(as_text=True)
    assert "invitation link" not in account and "reset link" not in account
    assert providers_only.post(f"/admin/users/{newcomer.id}/link").status_code == 404

    providers_only.post("/auth/sign-out")
    set_person(provider, "newcomer", email="newcomer@example.org", email_verified=True)
    arrived = providers_only.get(callback_path(approve(start(providers_only), "newcomer")))
    assert arrived.status_code == 303


def test_the_sign_in_page_offers_both_when_passwords_are_on(client):
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Sign in with your organisation&#39;s account" in page
    assert 'type="password"' in page


def test_the_callback_is_rate_limited(app, database_url, provider):
    limited = organisation_app(
        database_url,
        provider,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        GAINS_SIGN_IN_LIMIT_PER_IP="2 per minute",
    )
    with browser_of(limited) as browser:
        statuses = [
            browser.get("/auth/organisation/callback?state=x&code=y").status_code for _ in range(3)
        ]
    assert statuses == [400, 400, 429]


def test_the_audit_trail_says_who_signed_in_and_who_was_refused_in_words(
    oidc_app, client, provider
):
    sign_in_through(client, provider, "visitor", email="nobody@example.org", email_verified=True)
    assert sign_in_through(client, provider, "admin", email="admin@example.org").status_code == 303
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Signed in with the organisation&#39;s account" in page
    assert "Organisation sign-in refused" in page
    assert "nobody@example.org" in page and matching.UNKNOWN in page


@pytest.mark.parametrize(
    ("claims", "refusal"),
    [
        ({"hd": "example.org"}, None),
        ({}, matching.NOT_MANAGED),  # a personal Google account with a work address
        ({"hd": "elsewhere.com"}, matching.NOT_MANAGED),
    ],
    ids=["managed", "personal", "another organisation's"],
)
def test_a_google_account_must_be_managed_by_an_allowed_workspace(oidc_app, claims, refusal):
    google = {"iss": "https://accounts.google.com", "email": MEMBER, "email_verified": True}
    with rolled_back(oidc_app), oidc_app.app_context():
        outcome = matching.match_person(google | claims, ("example.org",))
        assert outcome.refusal == refusal
        assert (outcome.user is None) == (refusal is not None)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "A.Person@Example.org", "email_verified": True}, ("a.person@example.org", None)),
        # Entra ID sends no email_verified: accepted (decision 0049), domains still apply.
        ({"email": "a.person@example.org"}, ("a.person@example.org", None)),
        (
            {"email": "a.person@example.org", "email_verified": "true"},
            ("a.person@example.org", None),
        ),
        (
            {"email": "a.person@example.org", "email_verified": False},
            ("a.person@example.org", matching.NOT_VERIFIED),
        ),
        (
            {"email": "a.person@example.org", "email_verified": "false"},
            ("a.person@example.org", matching.NOT_VERIFIED),
        ),
        ({"sub": "only-a-subject"}, ("", matching.NO_EMAIL)),
        ({"email": 42}, ("", matching.NO_EMAIL)),
    ],
)
def test_the_email_claim(claims, expected):
    assert matching.email_claim(claims) == expected
