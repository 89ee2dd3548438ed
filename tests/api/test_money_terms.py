"""Issue 20 through the API: the ranges and appraisal terms by the same names as the
columns, exact decimals as strings, the kind's defaults when a body leaves them out, bad
ranges refused with the plan's message and nothing written, and locked from submission."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Improvement, Status
from tests.api.conftest import assert_problem
from tests.support.api import register
from tests.support.lock_table import prepared, reloaded


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Improvement))


def test_the_terms_are_registered_and_read_back(app, client, bearer):
    response = register(
        app,
        client,
        bearer("member"),
        annual_volume_low=8000,
        annual_volume_high=12000,
        value_per_unit_low_gbp="0.30",
        value_per_unit_high_gbp=0.55,
        persistence=0.7,
        health_outcomes=True,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["annual_volume_low"], body["annual_volume_high"]) == (8000, 12000)
    assert (body["value_per_unit_low_gbp"], body["value_per_unit_high_gbp"]) == (
        "0.3000",
        "0.5500",
    )
    assert body["persistence"] == "0.7000" and body["health_outcomes"] is True
    # Left out: the marginal gain's defaults.
    assert body["expected_life_years"] == 3
    assert (body["optimism_bias_benefits"], body["optimism_bias_costs"]) == ("0.1500", "0.1000")


def test_a_no_extra_cost_innovation_gets_its_own_defaults(app, client, bearer):
    response = register(
        app, client, bearer("member"), kind="no_extra_cost", implementation_cost_pence=0
    )
    body = response.get_json()
    assert (body["expected_life_years"], body["persistence"]) == (5, "0.9000")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"annual_volume_high": 12000}, "Enter both the low and the high annual volume"),
        (
            {"annual_volume_low": 11000, "annual_volume_high": 12000},
            "The low annual volume must be at most",
        ),
        (
            {"value_per_unit_low_gbp": "0.10", "value_per_unit_high_gbp": "0.10"},
            "and the high at least it",
        ),
        ({"persistence": 1.2}, "between 0 % and 100 %"),
        ({"optimism_bias_costs": 2.5}, "between 0 % and 200 %"),
        ({"expected_life_years": 0}, "Expected life must be between 1 and 30"),
    ],
)
def test_bad_ranges_and_terms_are_refused_and_nothing_is_written(
    app, client, bearer, changes, message
):
    before = _count(app)
    body = assert_problem(register(app, client, bearer("member"), **changes), 422)
    assert message in str(body)
    assert _count(app) == before


def test_null_appraisal_terms_are_refused(app, client, bearer):
    body = assert_problem(register(app, client, bearer("member"), persistence=None), 422)
    assert body["errors"][0]["field"] == "persistence"


@pytest.mark.parametrize("field", ["annual_volume_low", "expected_life_years", "persistence"])
def test_after_submission_the_terms_are_locked_on_the_api(app, client, bearer, field):
    improvement_id, value, before, _ = prepared(app, Status.SUBMITTED, field)
    response = client.patch(
        f"/api/v1/improvements/{improvement_id}",
        json={field: value if isinstance(value, int) else str(value)},
        headers=bearer("member"),
    )
    assert "locked" in assert_problem(response, 409)["detail"]
    assert getattr(reloaded(app, improvement_id), field) == before
