"""Property-based tests of every operation against the live OpenAPI document.

Schemathesis loads /api/v1/openapi.json from the app itself and generates, for each
operation, requests that fit its schema and some that do not: a bounded number per operation,
derandomised so CI runs the same cases every time. They are sent with an administrator's
bearer token (who may read and change everything, so writes get past the scoping and reach
the services), and every answer is checked: no server error, and status code, content type,
headers and body as the document says. Everything written is rolled back by the `db` fixture.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from gains.models import Department, Improvement, Team, UploadBatch
from tests.support.factories import person

# Positive cases fit the document; negative ones break it somewhere (a wrong type, a value
# out of range, a missing field) and must still get a documented answer, never a 5xx.
EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 5}
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
        } | {"number": [1, 2, 3]}  # PDSA cycles (the demo has an improvement with three)


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


def run_operation(
    operation, headers: dict[str, str], ids: dict[str, list[int]], mode: GenerationMode
) -> list[int]:
    """Send the operation's generated cases; the status codes they got, in order."""
    sent: list[int] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        pick=st.integers(min_value=0, max_value=10**6),
    )
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
    operations = [result.ok() for result in schema.get_all_operations()]
    positive = {
        op.label: run_operation(op, headers, ids, GenerationMode.POSITIVE) for op in operations
    }
    negative = {
        op.label: run_operation(op, headers, ids, GenerationMode.NEGATIVE) for op in operations
    }
    cases = sum(map(len, positive.values())) + sum(map(len, negative.values()))
    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations, {cases} cases")
        for label, sent in positive.items():
            both = sent + negative[label]
            statuses = ", ".join(f"{s}×{both.count(s)}" for s in sorted(set(both)))
            print(f"  {len(sent):3d} + {len(negative[label]):2d}  {label}  ({statuses})")
    # with the chart notes: list and add; similar improvements; adopt; an idea; the PDSA
    # cycles: list, start, record the outcome (issue 22)
    assert len(operations) == 28
    assert all(positive.values())
    # The generated requests must reach the records and services, not only 404 and 422.
    ok = sum(status < 300 for sent in positive.values() for status in sent)
    assert ok > sum(map(len, positive.values())) // 3
    assert all(negative.values())


# The stateful phase: sequences of calls that follow the document's links (inferred by
# schemathesis from the responses' ids: POST /improvements → GET/PATCH /improvements/{id} →
# POST its measurements → its batches → withdraw ...), so that later calls act on records
# earlier calls made, in whatever state those calls left them. Bounded: SCENARIOS sequences
# of at most STEPS calls, derandomised; FUZZ_EXAMPLES scales them (tests/fuzz/conftest.py).
SCENARIOS = 12
STEPS = 8
LINKS_EXPECTED = {
    ("POST /api/v1/improvements", "GET /api/v1/improvements/{improvement_id}"),
    ("POST /api/v1/improvements", "PATCH /api/v1/improvements/{improvement_id}"),
    ("POST /api/v1/improvements", "POST /api/v1/improvements/{improvement_id}/measurements"),
    (
        "POST /api/v1/improvements/{improvement_id}/measurements",
        "POST /api/v1/batches/{batch_id}/withdraw",
    ),
}


def links_of(workflow) -> set[tuple[str, str]]:
    # Schemathesis keeps the links it follows per operation (a private attribute, pinned by
    # uv.lock): read to prove the workflows reach the operations that matter.
    return {
        (label, link.target.label)
        for label, transitions in workflow._transitions.operations.items()
        for link in transitions.outgoing
    }


def test_stateful_workflows_never_fail_and_answer_as_documented(app, db, bearer, capsys):
    from tests.fuzz.conftest import example_savepoint, fuzz_settings

    headers = bearer("member")
    with app.app_context():
        team_ids = [person(db.session, "member").team_id]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    base = schema.as_state_machine()
    missing = LINKS_EXPECTED - links_of(base)
    assert not missing, f"links the workflows no longer follow: {missing}"
    sent: list[tuple[str, int]] = []

    class Workflow(base):
        def setup(self):
            # Each scenario starts from the same records: its writes are rolled back after it.
            self.savepoint = example_savepoint(app)
            self.savepoint.__enter__()

        def teardown(self):
            self.savepoint.__exit__(None, None, None)

        def before_call(self, case):
            # The token replaces any Authorization the case was generated with; four new
            # improvements in five are for a real team, so the links have something to follow.
            case.headers = {**(case.headers or {}), **headers}
            if isinstance(case.body, dict) and "team_id" in case.body and len(sent) % 5:
                case.body["team_id"] = team_ids[len(sent) % len(team_ids)]

        def after_call(self, response, case):
            super().after_call(response, case)
            sent.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=headers, recorder=self.recorder)

    Workflow.run(settings=fuzz_settings(examples=SCENARIOS, stateful_step_count=STEPS))
    with capsys.disabled():
        labels = {label for label, _ in sent}
        print(f"\nschemathesis stateful: {len(sent)} calls over {len(labels)} operations")
        writes = [status for label, status in sent if not label.startswith("GET")]
        print(f"  writes: {len(writes)}, of which accepted: {sum(s < 300 for s in writes)}")
    assert len(labels) >= 6, sorted(labels)
