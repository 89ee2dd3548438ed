"""The bounds as the shared services apply them: the plan check (web and API), the measurement
row check (form, API, single-row edits) and its column form (CSV upload, multi-upload, `gains
import`), each generated from `gains.bounds`."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from gains import bounds
from gains.bounds import TextBound
from gains.models import Design, Direction, ImprovementKind, Pillar
from gains.services.improvements.workflow import ImprovementPlan, WorkflowError, validate_plan
from gains.services.measurements.csv_upload import UploadLimits, parse_measurements_csv
from gains.services.measurements.rows import RowsRejected, check_columns, parse_row
from tests.support.bounds import CONTROL_CHARACTERS, inside, outside

PLAN = ImprovementPlan(
    title="Shorter letter",
    kind=ImprovementKind.MARGINAL_GAIN,
    pillar=Pillar.ENGAGING_USERS,
    hypothesis="Shorter letters come back sooner.",
    metric_name="Days to reply",
    metric_unit="days",
    direction=Direction.LOWER,
    unit_of_observation="letter",
    design=Design.BEFORE_AFTER,
)


def _in_plan_units(name: str, value):
    """The plan keeps the cost in pence and the £ rate as a Decimal."""
    if name == "implementation_cost_pence":
        return int(Decimal(value) * 100) if not isinstance(value, float) else int(value)
    if name.startswith("value_per_unit") or name in DECIMAL_TERMS:
        return Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    return value


DECIMAL_TERMS = ("persistence", "optimism_bias_benefits", "optimism_bias_costs")


def _plan(name: str, value) -> ImprovementPlan:
    changes = {name: _in_plan_units(name, value)}
    if name == "ended_on":
        changes["go_live_on"] = bounds.DATE.low
    for low, central, high in bounds.PLAN_RANGES.values():
        if name in (low, high):  # a range's end comes with the other end and its centre
            changes |= dict.fromkeys((low, central, high), changes[name])
    return dataclasses.replace(PLAN, **changes)


NUMBER_AND_DATE_FIELDS = [
    name for name, bound in bounds.PLAN_BOUNDS.items() if not isinstance(bound, TextBound)
]
TEXT_FIELDS = [name for name, bound in bounds.PLAN_BOUNDS.items() if isinstance(bound, TextBound)]


@pytest.mark.parametrize("name", NUMBER_AND_DATE_FIELDS)
def test_the_plan_check_takes_the_edges_and_refuses_past_them(name):
    bound = bounds.PLAN_BOUNDS[name]
    for value in inside(bound):
        if name == "ended_on" and value == bound.low:
            continue  # it must come after a go-live, which cannot be earlier
        validate_plan(_plan(name, value))
    for value in outside(bound):
        with pytest.raises(WorkflowError) as refused:
            validate_plan(_plan(name, value))
        if not (name == "ended_on" and value < bound.low):  # the order rule may speak first
            assert str(refused.value) == bound.message, value


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_the_plan_check_refuses_control_characters_and_long_text(name):
    bound = bounds.PLAN_BOUNDS[name]
    validate_plan(_plan(name, "x" * bound.max_length))
    for text in ("x" * (bound.max_length + 1), *(f"a{c}b" for c in CONTROL_CHARACTERS)):
        with pytest.raises(WorkflowError) as refused:
            validate_plan(_plan(name, text))
        assert str(refused.value) == bound.problem(text)


# --- measurement rows ------------------------------------------------------------------------

VALUE = bounds.MEASUREMENT_VALUE


def _row(**changes) -> dict:
    return {"phase": "after", "value": "1"} | changes


def _values_and_messages(rows: list[dict]) -> tuple[list, list]:
    """Each row through `parse_row` and, as a CSV's text columns, through `check_columns`;
    the two must agree."""
    one_by_one = [parse_row(1, row) for row in rows]
    columns = {key: [str(row.get(key, "")) for row in rows] for key in ("phase", "value")}
    for key in ("observed_on", "unit_ref"):
        columns[key] = [str(row.get(key, "")) for row in rows]
    checked = check_columns(columns, np.ones(len(rows), dtype=int), room=1000, all_text=True)
    messages = [[e.message for e in errors] for _, errors in one_by_one]
    assert [e.message for e in checked.problems] == [m for row in messages for m in row]
    return [row for row, _ in one_by_one], messages


def test_measurement_values_at_the_edges_are_taken_and_past_them_refused():
    edges = [_row(value=str(v)) for v in inside(VALUE)]
    past = [_row(value=repr(v) if isinstance(v, float) else str(v)) for v in outside(VALUE)]
    rows, messages = _values_and_messages(edges + past)
    assert [row["value"] for row in rows[: len(edges)]] == [float(v) for v in inside(VALUE)]
    assert messages[: len(edges)] == [[]] * len(edges)
    assert messages[len(edges) :] == [[VALUE.message]] * len(past)


def test_json_numbers_past_the_edges_are_refused():
    for value in outside(VALUE):
        _, errors = parse_row(1, _row(value=value))
        assert [e.message for e in errors] == [VALUE.message], value
    assert parse_row(1, _row(value=10**12))[1] == []


def test_observed_dates_at_the_edges_are_taken_and_past_them_refused():
    dated = [_row(observed_on=day.isoformat()) for day in inside(bounds.DATE)]
    past = [_row(observed_on=day.isoformat()) for day in outside(bounds.DATE)]
    uk = [_row(observed_on="31/12/9999"), _row(observed_on="01/01/0001")]
    rows, messages = _values_and_messages(dated + past + uk)
    assert [row["observed_on"] for row in rows[:2]] == list(inside(bounds.DATE))
    assert messages == [[], []] + [[bounds.DATE.message]] * (len(past) + len(uk))
    assert parse_row(1, _row(observed_on=date(1, 1, 1)))[1][0].message == bounds.DATE.message


def test_unit_references_with_control_characters_are_refused():
    refs = [*(f"case{c}1" for c in CONTROL_CHARACTERS), "x" * 101, "x" * 100, "two\r\nlines"]
    _, messages = _values_and_messages([_row(unit_ref=ref) for ref in refs])
    control = "Remove the invisible control characters from the unit reference"
    assert messages == [[control]] * len(CONTROL_CHARACTERS) + [
        ["Unit reference must be 100 characters or fewer"],
        [],
        [],  # a CSV's quoted cell may break lines
    ]


def test_a_csv_with_values_and_dates_past_the_bounds_is_rejected_whole():
    content = (
        b"phase,value,date,unit\n"
        b"before,1e308,2026-01-05,a\n"
        b"before,-1000000000000,2026-01-06,b\n"
        b"after,99999999999999999999,0001-01-01,c\n"
        b"after,1000000000000,9999-12-31,d\x1be\n"
    )
    with pytest.raises(RowsRejected) as rejected:
        parse_measurements_csv(io.BytesIO(content), UploadLimits())
    assert [(e.line, e.column, e.message) for e in rejected.value.errors] == [
        (2, "value", VALUE.message),
        (4, "date", bounds.DATE.message),
        (4, "value", VALUE.message),
        (5, "unit", "Remove the invisible control characters from the unit reference"),
        (5, "date", bounds.DATE.message),
    ]
