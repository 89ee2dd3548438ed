"""Sign-in rate limits: per account and per IP, a clear message, and recovery, with the
counters in the database (the default) and in memory.

The limiter's clock is replaced by one the test moves, so a window passes instantly and a
slow machine cannot let attempts fall out of the window before the limit is reached.
"""

from __future__ import annotations

import time

import flask_limiter._extension
import limits.storage.memory
import limits.strategies
import pytest

import gains.ratelimit_storage
from gains.extensions import db as database
from gains.ratelimit import TOO_MANY_SIGN_INS
from tests.conftest import DEMO_LOGINS, make_test_app, rolled_back, sign_in

WINDOW_SECONDS = 60


class FakeClock:
    """Stands in for the `time` module inside the limiter: `time()` is what the test says."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def __getattr__(self, name: str):
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    modules = (limits.storage.memory, gains.ratelimit_storage, limits.strategies)
    for module in (*modules, flask_limiter._extension):
        monkeypatch.setattr(module, "time", fake)
    return fake


@pytest.fixture(params=["database://", "memory://"])
def limited_app(app, database_url, clock, request):
    """A second app on the same template database, with tight limits switched on.

    The database counters commit on their own connection, outside the test's rolled-back
    transaction: they are cleared before and after."""
    limited = make_test_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=request.param,
        GAINS_SIGN_IN_LIMIT_PER_ACCOUNT=f"3 per {WINDOW_SECONDS} seconds",
        GAINS_SIGN_IN_LIMIT_PER_IP=f"5 per {WINDOW_SECONDS} seconds",
    )
    limiter = limited.extensions["gains_limiter"]
    limiter.reset()
    with rolled_back(limited):
        yield limited
    limiter.reset()
    with limited.app_context():
        for engine in database.engines.values():
            engine.dispose()


def wrong_password(client, email):
    return sign_in(client, email, password="not the password at all")


def test_an_account_is_limited_then_recovers(limited_app, clock):
    client = limited_app.test_client()
    member = DEMO_LOGINS["member"]
    for _ in range(3):
        assert wrong_password(client, member).status_code == 422
    refused = sign_in(client, member)  # even the right password waits out the window
    assert refused.status_code == 429
    assert TOO_MANY_SIGN_INS in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) <= WINDOW_SECONDS
    # The security headers are on the refusal too.
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]

    clock.now += WINDOW_SECONDS - 1
    assert sign_in(client, member).status_code == 429  # not yet
    clock.now += 2
    assert sign_in(client, member).status_code == 303


def test_the_limit_is_the_same_for_an_email_with_no_account(limited_app):
    """No enumeration: an unknown address is limited exactly like a real one."""
    client = limited_app.test_client()
    statuses = [wrong_password(client, "nobody@example.org").status_code for _ in range(4)]
    real = limited_app.test_client()
    real.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # another address: only the account limit
    real_statuses = [wrong_password(real, DEMO_LOGINS["treasury"]).status_code for _ in range(4)]
    assert statuses == real_statuses == [422, 422, 422, 429]


def test_one_address_is_limited_across_accounts(limited_app):
    client = limited_app.test_client()
    emails = [DEMO_LOGINS["member"], DEMO_LOGINS["manager"], DEMO_LOGINS["treasury"]]
    statuses = [wrong_password(client, emails[i % 3]).status_code for i in range(6)]
    # Each account stays under its own limit of 3; the address hits its limit of 5.
    assert statuses == [422] * 5 + [429]


def test_viewing_the_sign_in_page_is_not_limited(limited_app):
    client = limited_app.test_client()
    assert all(client.get("/auth/sign-in").status_code == 200 for _ in range(10))


def test_changing_your_password_is_limited_per_person(limited_app):
    client = limited_app.test_client()
    assert sign_in(client, DEMO_LOGINS["member"]).status_code == 303
    attempt = {"current_password": "a wrong guess", "password": "x" * 12, "confirm": "x" * 12}
    statuses = [client.post("/account/password", data=attempt).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
