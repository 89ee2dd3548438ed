"""The bounds as the API applies them: the plan's numbers and dates (by the same bound
objects, so the same messages as the web form), text without control characters, and
measurement rows through the row check shared with the form and CSV."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gains import bounds
from gains.bounds import TextBound
from gains.extensions import db
from gains.models import Improvement, Measurement, Status, Team
from tests.api.conftest import assert_problem, find_improvement
from tests.support.api import register
from tests.support.bounds import CONTROL_CHARACTERS, FAR_DATES, inside, outside

LIMITED = {
    name: bound for name, bound in bounds.PLAN_BOUNDS.items() if not isinstance(bound, TextBound)
}


def _sent(name: str, value):
    """A value as JSON carries it for this field."""
    if name in ("go_live_on", "ended_on"):
        return value.isoformat()
    if name == "implementation_cost_pence":
        return int(value * 100) if not isinstance(value, float) else value
    if name == "value_per_unit_gbp" and isinstance(value, Decimal | int):
        return str(value)
    return value


def _count(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Improvement).where(Improvement.title == title)
        )


@pytest.mark.parametrize("edge", [0, 1], ids=["lowest", "highest"])
def test_registration_takes_every_bound_at_its_edge(app, client, bearer, edge):
    values = {name: inside(bound)[edge] for name, bound in LIMITED.items()}
    if edge == 0:
        values["ended_on"] = None
    else:
        values["go_live_on"] -= timedelta(days=1)
    body = {name: _sent(name, v) if v is not None else None for name, v in values.items()}
    response = register(app, client, bearer("member"), title=f"API edges {edge}", **body)
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]


def _past_edges() -> list[dict]:
    ways = []
    for position in range(len(outside(bounds.EXPECTED_EFFECT))):
        ways.append(
            {
                name: _sent(name, outside(bound)[min(position, len(outside(bound)) - 1)])
                for name, bound in LIMITED.items()
            }
        )
    ways.append({"go_live_on": FAR_DATES[1].isoformat(), "ended_on": None})
    return ways


@pytest.mark.parametrize("body", _past_edges(), ids=lambda body: str(body.get("scale")))
def test_registration_past_any_bound_is_a_problem_per_field(app, client, bearer, body):
    response = register(app, client, bearer("member"), title="API past the edges", **body)
    problem = assert_problem(response, 422)
    messages = {error["field"]: error["message"] for error in problem["errors"]}
    for name, value in body.items():
        if value is not None:
            assert messages[name] == LIMITED[name].message, (name, messages)
    assert _count(app, "API past the edges") == 0


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_plan_text_with_control_characters_is_refused(app, client, bearer, character):
    body = {"title": f"Letter{character}", "hypothesis": f"Shorter{character}"}
    problem = assert_problem(register(app, client, bearer("member"), **body), 422)
    messages = {error["field"]: error["message"] for error in problem["errors"]}
    assert messages == {
        "title": "Remove the invisible control characters from the title",
        "hypothesis": "Remove the invisible control characters from the hypothesis",
    }


def test_a_multi_line_hypothesis_keeps_its_line_breaks(app, client, bearer):
    response = register(
        app, client, bearer("member"), title="Two lines", hypothesis="One.\r\n\tTwo."
    )
    assert response.status_code == 201
    assert response.get_json()["hypothesis"] == "One.\r\n\tTwo."


def test_a_nul_in_the_register_search_is_a_problem(client, bearer):
    problem = assert_problem(
        client.get("/api/v1/improvements?q=%00", headers=bearer("member")), 422
    )
    assert problem["errors"][0]["message"] == (
        "Remove the invisible control characters from the search"
    )


def _rows(app, improvement_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Measurement)
            .where(Measurement.improvement_id == improvement_id)
        )


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"value": 1e308}, "value", bounds.MEASUREMENT_VALUE.message),
        ({"value": -(10**12) - 1}, "value", bounds.MEASUREMENT_VALUE.message),
        ({"value": "99999999999999999999"}, "value", bounds.MEASUREMENT_VALUE.message),
        ({"observed_on": "0001-01-01"}, "observed_on", bounds.DATE.message),
        ({"observed_on": "9999-12-31"}, "observed_on", bounds.DATE.message),
        ({"unit_ref": "case\x1b1"}, "unit_ref", "Remove the invisible control characters"),
    ],
)
def test_measurement_rows_past_the_bounds_write_nothing(app, client, bearer, row, column, message):
    improvement = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.RUNNING
    )
    before = _rows(app, improvement)
    response = client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        json={"rows": [{"phase": "before", "value": 1}, {"phase": "after", "value": 2} | row]},
        headers=bearer("member"),
    )
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == [f"rows.1.{column}"]
    assert problem["errors"][0]["message"].startswith(message)
    assert _rows(app, improvement) == before


def test_measurement_rows_at_the_edges_are_stored(app, client, bearer):
    improvement = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.RUNNING
    )
    low, high = inside(bounds.DATE)
    response = client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        json={
            "rows": [
                {"phase": "before", "value": -(10**12), "observed_on": low.isoformat()},
                {"phase": "after", "value": 1e12, "observed_on": high.isoformat()},
            ]
        },
        headers=bearer("member"),
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:1000]
