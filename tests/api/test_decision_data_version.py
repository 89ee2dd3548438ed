"""The API's decision takes the data version the client reviewed: stale is a 409 problem;
without it, the decision is of the version current when it is made (the old contract)."""

from __future__ import annotations

from gains.extensions import db
from gains.models import BatchSource, Department, Improvement, Status, Team
from gains.services.measurements.recording import record_batch
from tests.api.conftest import assert_problem, find_improvement
from tests.support.factories import late_rows, person


def test_a_decision_on_a_stale_data_version_is_a_409_problem(app, client, bearer):
    submitted = find_improvement(
        app,
        Department.code == "WKP",
        Improvement.status == Status.SUBMITTED,
        Team.name == "Benefit renewals",
    )
    url = f"/api/v1/improvements/{submitted}"
    seen = client.get(url, headers=bearer("manager")).get_json()["data_version"]
    with app.app_context():
        improvement = db.session.get(Improvement, submitted)
        record_batch(
            person(db.session, "member"), improvement, late_rows(4), source=BatchSource.API
        )
        db.session.commit()
    stale = client.post(
        f"{url}/decision",
        json={"decision": "approved", "data_version": seen},
        headers=bearer("manager"),
    )
    assert assert_problem(stale, 409)["detail"] == (
        "The data changed while you were reviewing: 4 new rows. "
        "Review the current figures, then decide again."
    )
    current = client.post(
        f"{url}/decision",
        json={"decision": "approved", "data_version": seen + 1},
        headers=bearer("manager"),
    )
    assert current.status_code == 200
    assert current.get_json()["status"] == "approved"
    with app.app_context():
        assert db.session.get(Improvement, submitted).reviews[-1].data_version == seen + 1


def test_a_negative_data_version_is_a_422_problem(app, client, bearer):
    submitted = find_improvement(
        app, Department.code == "WKP", Improvement.status == Status.SUBMITTED
    )
    response = client.post(
        f"/api/v1/improvements/{submitted}/decision",
        json={"decision": "approved", "data_version": -1},
        headers=bearer("manager"),
    )
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["data_version"]
