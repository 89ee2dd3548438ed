"""The column check (files) and `parse_row` (form, API) are one validation: same clean values,
same problems, same order, whatever the text."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gains.services.measurements.rows import check_columns, parse_row

KEYS = ("phase", "group", "unit_ref", "observed_on", "value")
# Text near the rules' edges, mixed with anything at all.
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "before",
        " AFTER ",
        "Treatment",
        "control",
        "1",
        "-1.5",
        "+.5",
        "5.",
        "1e3",
        "1E-3",
        "1e999",
        "-1e999",
        "1_000",
        "1,5",
        "12kg",
        "nan",
        "-inf",
        "Infinity",
        "1.2.3",
        "e5",
        "+",
        "١٢",
        "0x10",
        "2026-05-31",
        "31/05/2026",
        "1/2/2026",
        "2026-02-30",
        "31/02/2026",
        "0999-01-01",
        "x" * 101,
        " " + "y" * 100 + " ",
    ]
)
CELL = st.one_of(TRICKY, st.text(max_size=12))
ROW = st.fixed_dictionaries({key: CELL for key in KEYS})


def same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return (math.isnan(left) and math.isnan(right)) or left == right
    return left == right


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=20), st.integers(min_value=0, max_value=30))
@example([{"phase": "before", "group": "", "unit_ref": "", "observed_on": "", "value": "1"}], 5)
def test_columns_and_parse_row_agree(rows, room):
    lines = np.arange(2, 2 + len(rows))
    columns = {key: [row[key] for row in rows] for key in KEYS}
    checked = check_columns(columns, lines, room)

    expected_problems = []
    for line, row in zip(lines, rows, strict=True):
        clean, problems = parse_row(int(line), row)
        expected_problems.extend(problems)
        if problems:
            continue
        got = checked.frame.iloc[line - 2].to_dict()
        assert got["phase"] == clean["phase"].value
        assert got["group"] == clean["group"].value
        assert got["unit_ref"] == clean["unit_ref"]
        assert got["observed_on"] == clean["observed_on"]
        assert same(got["value"], clean["value"])
    assert checked.problem_count == len(expected_problems)
    assert checked.problems == expected_problems[:room]
    assert list(np.flatnonzero(checked.bad_rows) + 2) == sorted(
        {problem.line for problem in expected_problems}
    )


def test_missing_columns_read_as_empty():
    checked = check_columns({"phase": ["after"], "value": ["2"]}, np.array([2]), 10)
    assert checked.problems == []
    assert checked.frame.to_dict("records") == [
        {
            "phase": "after",
            "group": "treatment",
            "unit_ref": None,
            "observed_on": None,
            "value": 2.0,
        }
    ]


def test_leading_problems_come_first_on_their_row():
    checked = check_columns(
        {"phase": ["x", "before"], "value": ["1", "1"]},
        np.array([2, 3]),
        10,
        leading=[("improvement", np.array(["No such improvement", None], dtype=object))],
    )
    assert [(p.line, p.column) for p in checked.problems] == [(2, "improvement"), (2, "phase")]
