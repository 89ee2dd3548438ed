"""A process of its own guessing passwords, for tests/web/test_rate_limits_across_processes.py.

Started with multiprocessing's "spawn", so it shares nothing with the test but the database:
it builds its own app for each counter store, as each gunicorn worker has its own app.
"""

from __future__ import annotations

from gains.services.people import accounts
from tests.conftest import DEMO_LOGINS, make_test_app, sign_in

WRONG_PASSWORD = "not the password at all"
SHARED_ADDRESS = "203.0.113.9"


def guess(database_url: str, stores: tuple, number: int, tries: tuple, start, results) -> None:
    """For each store: guess `tries[0]` times at one account from an address of this process's
    own, then `tries[1]` times from an address every process shares, each at a different email.
    Put how many guesses each limit let through (answered 422, not 429) on `results`."""
    # Every guess is wrong: refuse it without the scrypt hash, which would cost most of the
    # test's time and is not what it measures.
    accounts.authenticate = lambda email, password: None
    at_account, at_address = tries
    for store in stores:
        app = make_test_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=store)
        own, shared = app.test_client(), app.test_client()
        own.environ_base["REMOTE_ADDR"] = f"198.51.100.{number + 1}"
        shared.environ_base["REMOTE_ADDR"] = SHARED_ADDRESS
        start.wait()  # every process guesses at the same time
        account = [
            sign_in(own, DEMO_LOGINS["member"], WRONG_PASSWORD).status_code
            for _ in range(at_account)
        ]
        emails = [f"nobody-{number}-{i}@example.org" for i in range(at_address)]
        address = [sign_in(shared, email, WRONG_PASSWORD).status_code for email in emails]
        statuses = sorted(set(account + address))
        results.put((store, account.count(422), address.count(422), statuses))
