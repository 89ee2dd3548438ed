"""What the fuzz tests share: how many examples, one savepoint per example, a snapshot of
everything stored (to prove a refusal wrote nothing), records in each status, and clients
signed in as each role.

How many examples: `FUZZ_EXAMPLES` (default `CI_EXAMPLES`, small enough that the suite adds
a few minutes to `make test` on two cores). A bigger local run: `make fuzz`, or
`FUZZ_EXAMPLES=200 pytest tests/fuzz`. Runs are derandomised (the same cases every time)
unless `FUZZ_RANDOM=1`, so CI never turns red by chance; a bigger random run is how new
cases are found. (Not GAINS_FUZZ_...: the app refuses GAINS_ settings it does not know.)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, settings
from sqlalchemy import func, select

from gains.extensions import db as database
from gains.models import BatchSource, Decision, Improvement
from gains.services.improvements import workflow
from gains.services.improvements.chart_notes import add_note
from gains.services.improvements.cycles import start_cycle
from gains.services.measurements.recording import record_batch
from gains.services.people.account_links import issue_link
from gains.services.people.api_tokens import create_token
from gains.services.public.publication import publish
from gains.services.review.decisions import decide
from tests.conftest import DEMO_LOGINS, rolled_back, savepoint, sign_in
from tests.support.factories import person, plan, rows, start_with_data

CI_EXAMPLES = 6
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", CI_EXAMPLES))
SHRINK = os.environ.get("FUZZ_SHRINK", "") not in ("", "0")
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
RANDOM = os.environ.get("FUZZ_RANDOM", "") not in ("", "0")
ROLES = ("anonymous", "member", "manager", "treasury", "admin")
STATES = ("draft", "running", "pending", "submitted", "approved", "published")
# Tables at most this big are compared row by row; bigger ones by count, highest id and
# the rows of the test's own improvements.
ROW_BY_ROW = 5_000
# What any request may write, accepted or not: when a token or an account was last used, and
# the sign-in limits' counters. Not data: left out of the comparison.
BOOKKEEPING: dict[str, Any] = {
    "api_tokens": {"last_used_at"},
    "users": {"last_signed_in_at"},
    "rate_limit_hits": "*",
}


def fuzz_settings(examples: int | None = None, **overrides) -> settings:
    """Hypothesis settings for one fuzz test: `examples` scales with FUZZ_EXAMPLES."""
    count = EXAMPLES if examples is None else max(1, examples * EXAMPLES // CI_EXAMPLES)
    derandomize = overrides.pop("derandomize", not RANDOM)
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=derandomize,
        # No shrinking by default: each example is a few requests, and shrinking a form of
        # twenty fields takes minutes. The failing example is printed as found (and replays
        # the same, derandomised); FUZZ_SHRINK=1 shrinks it when you want it small.
        phases=PHASES if SHRINK else [p for p in PHASES if p is not Phase.shrink],
        print_blob=True,
        # Function-scoped fixtures are deliberate: each example runs in its own savepoint
        # inside the test's transaction (see `example_savepoint`), so they are not reused.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
        **overrides,
    )


# One Hypothesis example's writes, rolled back after it: examples start from the same
# records, so a failure replays and shrinks.
example_savepoint = savepoint


def snapshot(app: Flask, improvement_ids: set[int] = frozenset()) -> dict[str, Any]:
    """Everything stored, in a form that compares equal when nothing was written: each
    table's rows (a digest), or for big tables the count, highest id and the rows of
    `improvement_ids`; the audit event count; every improvement's data version."""
    found: dict[str, Any] = {}
    with app.app_context():
        session = database.session
        for table in database.metadata.sorted_tables:
            if BOOKKEEPING.get(table.name) == "*":
                continue
            columns = [c for c in table.c if c.name not in BOOKKEEPING.get(table.name, ())]
            count = session.scalar(select(func.count()).select_from(table))
            if count <= ROW_BY_ROW:
                ordered = select(*columns).order_by(*table.primary_key.columns)
                found[table.name] = _digest(session.execute(ordered).all())
                continue
            key = next(iter(table.primary_key.columns))
            mine = select(*columns).order_by(key)
            if "improvement_id" in table.c:
                mine = mine.where(table.c.improvement_id.in_(sorted(improvement_ids) or [0]))
            found[table.name] = (
                count,
                session.scalar(select(func.max(key))),
                _digest(session.execute(mine).all()),
            )
        found["data versions"] = dict(
            session.execute(select(Improvement.id, Improvement.data_version)).all()
        )
        database.session.remove()
    return found


def _digest(rows) -> str:
    return hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


def base_values() -> dict[str, Any]:
    """URL values that need no improvement: the member's department, team and account, and a
    set-password link for another account."""
    member = person(database.session, "member")
    link = issue_link(
        person(database.session, "admin"),
        person(database.session, "debt@example.org"),
        secret_key=current_app.config["SECRET_KEY"],
        audit=False,
    )
    for role in ROLES[1:]:  # a token each, for the token pages' revoke buttons
        create_token(person(database.session, role), f"Fuzz {role}", 30)
    return {
        "department_id": member.department_id,
        "team_id": member.team_id,
        "user_id": member.id,
        "token": link.token,
    }


def build_state(state: str | None, title: str | None = None, **plan_changes) -> dict[str, Any]:
    """An improvement of the demo member's team in `state` (see STATES; None: no
    improvement), committed inside the test's transaction; the values a URL may need, by
    URL argument name."""
    owner = person(database.session, "member")
    values = base_values()
    if state is None:
        database.session.commit()
        return values
    improvement = workflow.create_improvement(
        owner, owner.team, plan(title=title or f"Fuzz {state}", **plan_changes)
    )
    database.session.flush()
    if state != "draft":
        before, after = [12, 11, 13, 12, 14, 11], [9, 8, 10, 9, 8, 10]
        start_with_data(
            owner,
            improvement,
            before,
            after,
            submit=state in ("submitted", "approved", "published"),
        )
    if state in ("approved", "published"):
        decide(person(database.session, "manager"), improvement, Decision.APPROVED, "")
    if state == "published":
        publish(
            person(database.session, "manager"),
            improvement,
            "Renewal letters now take less time to complete.",
        )
    batch = improvement.batches[0] if improvement.batches else None
    note = add_note(owner, improvement, date(2026, 3, 1), "New script from 1 March")
    if state == "running":  # cycle 1, open (a cycle on an approved one would reopen review)
        start_cycle(
            owner,
            improvement,
            plan="One-page letter",
            prediction="Quicker",
            started_on=date(2026, 5, 1),
        )
    if state == "pending":
        batch = record_batch(
            owner, improvement, rows("after", [7]), source=BatchSource.CSV, pending=True
        )
    database.session.commit()
    values["improvement_id"] = improvement.id
    values["note_id"] = note.id
    values["number"] = 1
    if batch is not None:
        values["batch_id"] = batch.id
        values["measurement_id"] = batch.measurements[0].id
    return values


class Clients:
    """One test client per role, signed in once; `restore` puts each client's session
    cookie back (a fuzzed sign-out or password change must not sign out later examples)."""

    def __init__(self, app: Flask):
        self.app = app
        self.clients: dict[str, FlaskClient] = {}
        self.cookies: dict[str, str | None] = {}

    def __call__(self, role: str) -> FlaskClient:
        if role not in self.clients:
            client = self.app.test_client()
            if role != "anonymous":
                response = sign_in(client, DEMO_LOGINS[role])
                assert response.status_code == 303, response.status_code
            cookie = client.get_cookie("session")
            self.clients[role] = client
            self.cookies[role] = None if cookie is None else cookie.value
        return self.clients[role]

    def restore(self) -> None:
        for role, client in self.clients.items():
            client.delete_cookie("session")
            if self.cookies[role] is not None:
                client.set_cookie("session", self.cookies[role])


@pytest.fixture
def clients(app, db) -> Clients:
    return Clients(app)


@pytest.fixture(scope="module")
def built_states(app) -> Iterator[dict[str | None, dict[str, Any]]]:
    """An improvement in each of STATES (and the values that need none), built once per
    module and backend in a transaction that outlives the module's tests; each test runs in a
    savepoint of it (`db` below), so what a test writes is undone before the next."""
    with rolled_back(app):
        with app.app_context():
            built = {state: build_state(state) for state in (None, *STATES)}
            database.session.remove()
        yield built


@pytest.fixture
def db(app, built_states) -> Iterator:
    with savepoint(app):
        yield database


@pytest.fixture
def states(built_states) -> Callable[[str | None], dict[str, Any]]:
    """`states("submitted")`: the URL values for an improvement in that state; `states(None)`:
    those that need no improvement."""
    return built_states.__getitem__
