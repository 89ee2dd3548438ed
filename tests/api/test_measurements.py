"""Measurements and batches through the API: one batch per POST, all or nothing, checked by
the web upload's validation; listing; withdrawal; scoping."""

from __future__ import annotations

from sqlalchemy import func, select

from gains.extensions import db
from gains.models import (
    AuditEvent,
    BatchSource,
    BatchStatus,
    Department,
    Improvement,
    Measurement,
    Status,
    Team,
    UploadBatch,
)
from tests.api.conftest import assert_problem, find_improvement

ROWS = [
    {"phase": "before", "value": 12.5, "observed_on": "2026-05-01", "unit_ref": "A1"},
    {"phase": "after", "value": "10", "group": "treatment", "observed_on": "31/05/2026"},
]


def own_running(app) -> int:
    return find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.RUNNING
    )


def state(app, improvement_id: int) -> tuple[int, int, int]:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(Measurement.improvement_id == improvement_id)
        )
        batches = db.session.scalar(
            select(func.count()).where(UploadBatch.improvement_id == improvement_id)
        )
        version = db.session.get(Improvement, improvement_id).data_version
        return count, batches, version


def test_rows_arrive_as_one_active_batch(app, client, bearer):
    improvement = own_running(app)
    before = state(app, improvement)
    response = client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        json={"rows": ROWS, "filename": "nightly.csv"},
        headers=bearer("member"),
    )
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()
    assert batch["source"] == "api" and batch["status"] == "active" and batch["row_count"] == 2
    assert response.headers["Location"].endswith(f"/api/v1/batches/{batch['id']}")
    assert state(app, improvement) == (before[0] + 2, before[1] + 1, before[2] + 1)
    with app.app_context():
        stored = db.session.get(UploadBatch, batch["id"])
        assert stored.source is BatchSource.API and stored.filename == "nightly.csv"
        recorded = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "batch.recorded", AuditEvent.entity_id == batch["id"]
            )
        ).one()
        assert recorded.after["source"] == "api"


def test_one_bad_row_rejects_them_all_with_every_problem_listed(app, client, bearer):
    improvement = own_running(app)
    before = state(app, improvement)
    rows = [
        ROWS[0],
        {"phase": "during", "value": "1,5"},
        {"phase": "after", "value": 3, "observed_on": "2026-02-30", "unit_ref": "x" * 101},
    ]
    response = client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        json={"rows": rows},
        headers=bearer("member"),
    )
    body = assert_problem(response, 422)
    assert body["type"].endswith("#problem-validation")
    found = {(e["row"], e["column"]) for e in body["errors"]}
    assert found == {(2, "phase"), (2, "value"), (3, "observed_on"), (3, "unit_ref")}
    assert {e["field"] for e in body["errors"]} >= {"rows.1.phase", "rows.2.observed_on"}
    assert "decimal" in next(e["message"] for e in body["errors"] if e["column"] == "value")
    assert state(app, improvement) == before


def test_badly_typed_rows_are_field_problems_and_write_nothing(app, client, bearer):
    improvement = own_running(app)
    before = state(app, improvement)
    response = client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        json={"rows": [{"phase": "after", "value": 1, "unit_ref": "a\x00b"}, {"value": 2}]},
        headers=bearer("member"),
    )
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"rows.0.unit_ref", "rows.1.phase"}
    empty = client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        json={"rows": []},
        headers=bearer("member"),
    )
    assert assert_problem(empty, 422)["errors"][0]["field"] == "rows"
    assert state(app, improvement) == before


def test_closed_and_foreign_improvements_take_no_data(app, client, bearer):
    draft = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.DRAFT
    )
    url = f"/api/v1/improvements/{draft}/measurements"
    assert_problem(client.post(url, json={"rows": ROWS}, headers=bearer("member")), 409)
    foreign = find_improvement(app, Department.code == "HLT", Improvement.status == Status.RUNNING)
    url = f"/api/v1/improvements/{foreign}/measurements"
    assert_problem(client.post(url, json={"rows": ROWS}, headers=bearer("manager")), 404)
    assert_problem(client.post(url, json={"rows": ROWS}, headers=bearer("treasury")), 403)


def test_listing_measurements_and_batches(app, client, bearer):
    improvement = own_running(app)
    headers = bearer("member")
    client.post(
        f"/api/v1/improvements/{improvement}/measurements", json={"rows": ROWS}, headers=headers
    )
    count, batches, _ = state(app, improvement)
    last_page = -(-count // 100)
    listed = client.get(
        f"/api/v1/improvements/{improvement}/measurements?per_page=100&page={last_page}",
        headers=headers,
    ).get_json()
    assert listed["total"] == count and listed["pages"] == last_page
    newest = listed["items"][-1]
    assert newest["value"] == 10.0 and newest["observed_on"] == "2026-05-31"
    batch_list = client.get(
        f"/api/v1/improvements/{improvement}/batches", headers=headers
    ).get_json()
    assert batch_list["total"] == batches and batch_list["items"][0]["source"] == "api"
    withdrawn_only = client.get(
        f"/api/v1/improvements/{improvement}/measurements?batch_status=withdrawn", headers=headers
    ).get_json()
    assert all(item["batch_id"] for item in withdrawn_only["items"])


def test_withdrawing_a_batch(app, client, bearer):
    improvement = own_running(app)
    headers = bearer("member")
    batch = client.post(
        f"/api/v1/improvements/{improvement}/measurements", json={"rows": ROWS}, headers=headers
    ).get_json()
    url = f"/api/v1/batches/{batch['id']}/withdraw"
    assert assert_problem(client.post(url, json={"reason": ""}, headers=headers), 422)
    version = state(app, improvement)[2]
    withdrawn = client.post(url, json={"reason": "Duplicate export"}, headers=headers)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert withdrawn.get_json()["withdrawal_reason"] == "Duplicate export"
    assert state(app, improvement)[2] == version + 1
    again = client.post(url, json={"reason": "Again"}, headers=headers)
    assert "withdrawn" in assert_problem(again, 409)["detail"]
    with app.app_context():
        assert db.session.get(UploadBatch, batch["id"]).status is BatchStatus.WITHDRAWN
    listed = client.get(
        f"/api/v1/improvements/{improvement}/measurements?batch_status=withdrawn&per_page=100",
        headers=headers,
    ).get_json()
    assert {item["batch_id"] for item in listed["items"]} >= {batch["id"]}


def test_another_departments_batch_is_404(app, client, bearer):
    with app.app_context():
        foreign = db.session.scalars(
            select(UploadBatch.id)
            .join(Improvement)
            .join(Department, Department.id == Improvement.department_id)
            .where(Department.code == "REV")
        ).first()
    headers = bearer("manager")
    assert_problem(client.get(f"/api/v1/batches/{foreign}", headers=headers), 404)
    withdraw = client.post(
        f"/api/v1/batches/{foreign}/withdraw", json={"reason": "x"}, headers=headers
    )
    assert_problem(withdraw, 404)


def test_a_number_too_big_for_a_float_is_a_row_problem(app, client, bearer):
    improvement = own_running(app)
    response = client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        data='{"rows": [{"phase": "after", "value": 1' + "0" * 400 + "}]}",
        headers=bearer("member") | {"Content-Type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["message"] == "Enter a finite number"
