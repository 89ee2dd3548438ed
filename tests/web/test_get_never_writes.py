"""GET never writes: every GET route in `app.url_map`, as anonymous and each role, with real
ids filled in, executes no INSERT, UPDATE or DELETE (docs/decisions/0007-get-never-writes.md).

Estimates are stored by the write that changed the data (or by `gains estimates
recompute-all`); a page that finds none says so. The records walked include improvements
whose estimate was never stored (a refresh that failed, a statistics change waiting for
recompute-all), which is where pages used to compute and keep one.

The one exception, named here: an API request with a bearer token notes when the token was
last used (at most once a minute, `services/people/api_tokens.py`), so that its owner can tell a
token in use from a forgotten or leaked one, read-only tokens included.

And one route is not walked: the organisation sign-in's callback (`auth.organisation_callback`)
is where the OpenID Connect provider sends the browser back, and OAuth 2.0 (RFC 6749 4.1.2)
returns by a redirect, which browsers follow with GET. It writes what signing in writes (the
session, the person's last sign-in, the audit event); tests/web/test_organisation_sign_in.py
tests it.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, event, select

from gains.extensions import db as database
from gains.models import (
    ApiToken,
    BatchSource,
    Department,
    Estimate,
    Improvement,
    Measurement,
    Status,
    Team,
    UploadBatch,
    User,
)
from gains.models.base import utcnow
from gains.services.improvements import workflow
from gains.services.improvements.chart_notes import add_note
from gains.services.improvements.cycles import start_cycle
from gains.services.measurements.recording import record_batch
from gains.services.people.api_tokens import create_token
from tests.conftest import DEMO_LOGINS, sign_in
from tests.fuzz.pages import fill_rule
from tests.support.factories import person, plan, rows, start_with_data

ROLES = ("anonymous", "member", "manager", "treasury", "admin")
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# The documented exception: noting a bearer token's last use (api_tokens.last_used_at).
TOKEN_USE = re.compile(r"\s*UPDATE api_tokens SET last_used_at=", re.IGNORECASE)
# The documented exception among pages: OAuth's redirect back from the provider.
GETS_THAT_SIGN_IN = {"auth.organisation_callback"}
# String URL arguments: values the pages link to.
STRINGS = {
    "field_name": ("hypothesis", "go_live_on"),
    "kind": ("distributions", "xmr", "run"),
    "table": ("cumulative", "savings", "improvements", "pooled"),
    "file_format": ("csv", "xlsx"),
    "filename": ("app/app.css",),
    "token": ("forged",),
}


def _records() -> dict[str, list]:
    """Improvements of the demo member's team with and without a stored estimate, and the
    ids for every URL argument."""
    member = person(database.session, "member")
    submitted = workflow.create_improvement(member, member.team, plan(title="Never written A"))
    running = workflow.create_improvement(member, member.team, plan(title="Never written B"))
    too_few = workflow.create_improvement(member, member.team, plan(title="Never written C"))
    database.session.flush()
    start_with_data(member, submitted, [12, 11, 13, 12], [9, 8, 10, 9], submit=True)
    start_with_data(member, running, [30, 31, 29], [25, 26, 24])
    note = add_note(member, running, date(2026, 3, 1), "New script from 1 March")
    cycle = start_cycle(
        member, running, plan="One-page letter", prediction="Quicker", started_on=date(2026, 5, 1)
    )
    workflow.start(member, too_few)
    record_batch(member, too_few, rows("before", [5]), source=BatchSource.FORM)
    # An upload left unconfirmed past its hour: the measurements page used to delete it.
    expired = record_batch(
        member, running, rows("after", [26]), source=BatchSource.CSV, pending=True
    )
    expired.expires_at = utcnow() - timedelta(hours=2)
    # The estimates of these and of every other demo improvement with an odd id are not
    # stored: a refresh that failed, or a statistics change not yet recomputed.
    by_status = database.session.execute(
        select(Improvement.status, Improvement.id).order_by(Improvement.id)
    )
    one_per_status = {status: id_ for status, id_ in by_status}
    ids = sorted({*one_per_status.values(), submitted.id, running.id, too_few.id})
    assert {Status.SUBMITTED, Status.APPROVED} <= one_per_status.keys()
    unstored = [submitted.id, running.id, *(i for i in ids if i % 2)]
    database.session.execute(delete(Estimate).where(Estimate.improvement_id.in_(unstored)))
    batches = defaultdict(list)
    for batch_id, improvement_id in database.session.execute(
        select(UploadBatch.id, UploadBatch.improvement_id).where(
            UploadBatch.improvement_id.in_(ids)
        )
    ):
        batches[improvement_id].append(batch_id)
    measurement_of_batch = dict(
        database.session.execute(
            select(Measurement.batch_id, Measurement.id).where(Measurement.improvement_id.in_(ids))
        ).all()
    )
    pools = {
        "improvement_id": ids,
        "department_id": list(database.session.scalars(select(Department.id))),
        "team_id": list(database.session.scalars(select(Team.id)))[:3],
        "user_id": list(database.session.scalars(select(User.id)))[:3],
        "token_id": list(database.session.scalars(select(ApiToken.id)))[:3],
        "batches": batches,
        "measurement_of_batch": measurement_of_batch,
        "note_id": [note.id],
        "number": [cycle.number],
    }
    database.session.commit()
    return pools


def _url_values(rule, pools):
    """Each set of URL values to walk `rule` with: every record id of its kind."""
    names = set(rule.arguments)
    bases = [{}]
    if "improvement_id" in names:
        bases = []
        for improvement_id in pools["improvement_id"]:
            batches = pools["batches"].get(improvement_id, [])
            if "batch_id" in names or "measurement_id" in names:
                bases += [
                    {
                        "improvement_id": improvement_id,
                        "batch_id": batch_id,
                        "measurement_id": pools["measurement_of_batch"].get(batch_id, 1),
                    }
                    for batch_id in batches[:1]
                ]
            else:
                bases.append({"improvement_id": improvement_id})
    elif "batch_id" in names:
        bases = [{"batch_id": b} for b in itertools.chain(*pools["batches"].values())]
    for base in bases:
        values = dict(base)
        others = sorted(names - values.keys())
        choices = [pools.get(name) or STRINGS.get(name, ("x",)) for name in others]
        for position in range(max((len(c) for c in choices), default=1)):
            yield values | {
                name: choice[position % len(choice)]
                for name, choice in zip(others, choices, strict=True)
            }


@pytest.fixture
def walked(app, db):
    with app.app_context():
        pools = _records()
        database.session.remove()
    return pools


@pytest.mark.parametrize("role", ROLES)
def test_no_get_route_writes(app, db, walked, role):
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        assert sign_in(client, DEMO_LOGINS[role]).status_code == 303
        with app.app_context():
            signed = person(database.session, role)
            headers = {"Authorization": f"Bearer {create_token(signed, 'walk', 30).secret}"}
            database.session.commit()
    writes: list[str] = []
    token_uses: list[str] = []
    current: list[str] = [""]

    def record(conn, cursor, statement, parameters, context, executemany):
        if TOKEN_USE.match(statement) and current[0].startswith("/api/"):
            token_uses.append(current[0])
        elif WRITE.match(statement):
            writes.append(f"GET {current[0]}: {statement.split(chr(10))[0][:120]}")

    with app.app_context():
        connection = database.engine
    event.listen(connection, "before_cursor_execute", record)
    requests = 0
    try:
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in GETS_THAT_SIGN_IN:
                continue
            for values in _url_values(rule, walked):
                path = fill_rule(rule, values)
                current[0] = path
                api = path.startswith("/api/")
                for extra in [headers] if api else [{}, {"HX-Request": "true"}]:
                    response = client.get(path, headers=extra)
                    assert response.status_code < 500, (path, response.status_code)
                    response.close()
                    requests += 1
    finally:
        event.remove(connection, "before_cursor_execute", record)
    print(f"{role}: {requests} GET requests")
    assert writes == [], "\n".join(writes[:40])
    if role != "anonymous":
        assert token_uses, "the walk used the API with a token"


def test_pages_say_an_estimate_was_not_computed_and_how_to_get_it(app, db, signed_in):
    with app.app_context():
        member = person(database.session, "member")
        improvement = workflow.create_improvement(member, member.team, plan(title="Unstored"))
        database.session.flush()
        start_with_data(member, improvement, [12, 11, 13], [9, 8, 10], submit=True)
        database.session.execute(delete(Estimate).where(Estimate.improvement_id == improvement.id))
        improvement_id = improvement.id
        database.session.commit()
    said = "The estimate has not been computed yet."
    client = signed_in("manager")
    page = client.get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert said in page and "gains estimates recompute-all" in page
    htmx = {"HX-Request": "true"}
    fragment = client.get(f"/improvements/{improvement_id}/estimate", headers=htmx)
    assert said in fragment.get_data(as_text=True)
    assert said in client.get(f"/reviews/{improvement_id}").get_data(as_text=True)
