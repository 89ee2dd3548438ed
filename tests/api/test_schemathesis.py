"""Property-based tests of every operation against the live OpenAPI document.

Schemathesis loads /api/v1/openapi.json from the app itself, generates requests that fit
each operation's schema (a bounded number per operation, derandomised so CI runs the same
cases every time), sends them with an administrator's bearer token (who may read and change
everything, so writes get past the scoping and reach the services), and checks that no
answer is a server error and that every answer matches the document: status code, content
type, headers and body schema. Everything it writes is rolled back by the `db` fixture.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from gains.models import Department, Improvement, Team, UploadBatch

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def existing_ids(app, db) -> dict[str, list[int]]:
    with app.app_context():
        return {
            f"{name}_id": list(db.session.scalars(select(model.id).order_by(model.id)))
            for name, model in (
                ("improvement", Improvement),
                ("batch", UploadBatch),
                ("department", Department),
                ("team", Team),
            )
        }


def aim_at_real_records(case, ids: dict[str, list[int]], pick: int) -> None:
    """Four cases in five use the id of a real record, so the generated requests reach the
    services rather than stopping at a 404; the fifth keeps the generated id."""
    if pick % 5 == 0:
        return
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = ids[name][pick % len(ids[name])]
    if isinstance(case.body, dict) and "team_id" in case.body:
        case.body["team_id"] = ids["team_id"][pick % len(ids["team_id"])]


def run_operation(operation, headers: dict[str, str], ids: dict[str, list[int]]) -> list[int]:
    """Send the operation's generated cases; the status codes they got, in order."""
    sent: list[int] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), pick=st.integers(min_value=0, max_value=10**6))
    def check(case, pick):
        aim_at_real_records(case, ids, pick)
        response = case.call(headers=headers)
        sent.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()
    return sent


def test_every_operation_answers_within_its_documented_schema(app, db, bearer, capsys):
    headers = bearer("admin")
    ids = existing_ids(app, db)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    summary = [
        (result.ok().label, run_operation(result.ok(), headers, ids))
        for result in schema.get_all_operations()
    ]
    with capsys.disabled():
        cases = sum(len(sent) for _, sent in summary)
        print(f"\nschemathesis: {len(summary)} operations, {cases} cases")
        for label, sent in summary:
            statuses = ", ".join(f"{s}×{sent.count(s)}" for s in sorted(set(sent)))
            print(f"  {len(sent):3d}  {label}  ({statuses})")
    assert len(summary) == 20
    assert all(sent for _, sent in summary)
    # The generated requests must reach the records and services, not only 404 and 422.
    assert sum(status < 300 for _, sent in summary for status in sent) > cases // 3
