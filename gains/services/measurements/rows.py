"""One row of measurement data, validated the same way whichever path it came by.

The form, the API and single-row edits hand a mapping to `parse_row`; it answers the clean row
and every problem with it, never raising, so that a caller can collect the problems of a whole
file before deciding. Files (the web upload, the multi-improvement upload and `gains import`)
are checked a chunk of rows at a time by `check_columns`, the same rules applied to columns:
phase, group and date through the scalar functions once per distinct value, the value through
a vectorised fast path for plain decimals and the scalar function for everything else, so a
row gets exactly the messages `parse_row` would give it (tests/services/test_measurement_rows.py
checks the two agree).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from gains.bounds import DATE, MEASUREMENT_VALUE, UNIT_REF, text_problem
from gains.models import Phase, StudyGroup

MAX_UNIT_REF_LENGTH = UNIT_REF.max_length
# The columns a row may have, by the names errors use (and the template's header).
COLUMNS = ("phase", "group", "unit", "date", "value")
# Plain decimal numbers only: float() would also take "1_000", which no spreadsheet means.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
NOT_FINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan"}
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
PHASES = {p.value: p for p in Phase}
GROUPS = {g.value: g for g in StudyGroup}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


class RowsRejected(ValueError):
    """Some rows are invalid; nothing was written. `errors` lists the problems found
    (`total` counts all of them when the list was capped)."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = errors
        self.total = len(errors) if total is None else total
        super().__init__(f"{self.total} problem(s) in the rows; nothing was saved")


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()


def _parse_value(value: Any) -> tuple[float, str | None]:
    """The number, or NaN and why not."""
    if isinstance(value, bool):
        return math.nan, "Enter a number"
    if isinstance(value, int | float):
        try:
            number = float(value)  # a JSON integer can be too big for a float
        except OverflowError:
            return math.nan, "Enter a finite number"
        return _bounded(number)
    text = "" if value is None else str(value).strip()
    if not text:
        return math.nan, "Enter a value"
    if text.lower() in NOT_FINITE:
        return math.nan, "Enter a finite number"
    if DECIMAL_COMMA.fullmatch(text):
        return math.nan, "Enter a number with a full stop for decimals, like 1.5"
    if not NUMBER.fullmatch(text):
        return math.nan, "Enter a number"
    return _bounded(float(text))


def _bounded(number: float) -> tuple[float, str | None]:
    """A parsed number within `MEASUREMENT_VALUE`, or NaN and why not."""
    if not math.isfinite(number):
        return math.nan, "Enter a finite number"
    problem = MEASUREMENT_VALUE.problem(number)
    return (math.nan, problem) if problem else (number, None)


def _parse_date(value: Any) -> tuple[date | None, str | None]:
    """YYYY-MM-DD, or DD/MM/YYYY as UK spreadsheets save dates; None when blank."""
    if isinstance(value, datetime):
        return _within_dates(value.date())
    if isinstance(value, date):
        return _within_dates(value)
    text = "" if value is None else str(value).strip()
    if not text:
        return None, None
    try:
        if ISO_DATE.fullmatch(text):
            return _within_dates(date.fromisoformat(text))
        uk = UK_DATE.fullmatch(text)
        if uk:
            day, month, year = (int(part) for part in uk.groups())
            return _within_dates(date(year, month, day))
    except ValueError:
        pass
    return None, "Enter a real date, like 2026-05-31 or 31/05/2026"


def _within_dates(day: date) -> tuple[date | None, str | None]:
    problem = DATE.problem(day)
    return (None, problem) if problem else (day, None)


def parse_row(line: int, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[RowError]]:
    """Validate one row: keys phase, value (required), group, unit_ref, observed_on.

    Returns the clean row and its problems (empty when the row is good). Group defaults to
    treatment. `line` is what the problems report: the CSV line, or 1 for a form.
    """
    errors: list[RowError] = []
    row: dict[str, Any] = {}

    phase = PHASES.get(_text(raw, "phase").lower())
    if phase is None:
        errors.append(RowError(line, "phase", "Enter before or after"))
    row["phase"] = phase

    group = GROUPS.get(_text(raw, "group").lower() or StudyGroup.TREATMENT.value)
    if group is None:
        errors.append(RowError(line, "group", "Enter treatment or control"))
    row["group"] = group

    unit = _text(raw, "unit_ref")
    unit_problem = UNIT_REF.problem(unit)
    if unit_problem:
        errors.append(RowError(line, "unit", unit_problem))
    row["unit_ref"] = unit or None

    row["observed_on"], date_problem = _parse_date(raw.get("observed_on"))
    if date_problem:
        errors.append(RowError(line, "date", date_problem))

    row["value"], value_problem = _parse_value(raw.get("value"))
    if value_problem:
        errors.append(RowError(line, "value", value_problem))
    return row, errors


def validate_rows(rows: Iterable[Mapping[str, Any]], first_line: int = 1) -> list[dict[str, Any]]:
    """Parse every row; raise `RowsRejected` listing all problems if any row is bad."""
    parsed, errors = [], []
    for offset, raw in enumerate(rows):
        row, row_errors = parse_row(first_line + offset, raw)
        parsed.append(row)
        errors.extend(row_errors)
    if errors:
        raise RowsRejected(errors)
    if not parsed:
        raise RowsRejected([RowError(first_line, "", "There are no rows")])
    return parsed


# The order `parse_row` reports a row's problems in.
COLUMN_ORDER = ("phase", "group", "unit", "date", "value")


@dataclass
class CheckedColumns:
    """A chunk of rows after `check_columns`: the clean values (phase and group as their
    stored strings, unit_ref str or None, observed_on date or None, value float), the number
    of problems, and the first of them (as many as there was room for), in `parse_row`'s order.
    """

    frame: pd.DataFrame
    problem_count: int
    problems: list[RowError]
    bad_rows: np.ndarray  # bool per row


def _per_distinct(values: np.ndarray, check) -> tuple[np.ndarray, np.ndarray]:
    """Apply a scalar check once per distinct value: (clean values, problem messages or None)."""
    codes, distinct = pd.factorize(values)
    clean = np.empty(len(distinct), dtype=object)
    messages = np.empty(len(distinct), dtype=object)
    for position, value in enumerate(distinct):
        clean[position], messages[position] = check(value)
    return clean[codes], messages[codes]


def _check_phase(value: str) -> tuple[str | None, str | None]:
    phase = PHASES.get(value.strip().lower())
    return (phase.value, None) if phase else (None, "Enter before or after")


def _check_group(value: str) -> tuple[str | None, str | None]:
    group = GROUPS.get(value.strip().lower() or StudyGroup.TREATMENT.value)
    return (group.value, None) if group else (None, "Enter treatment or control")


# Element-wise in C loops over object arrays: several times faster than pandas' `.str`.
_strip = np.frompyfunc(str.strip, 1, 1)
_length = np.frompyfunc(len, 1, 1)
_plain_number = np.frompyfunc(NUMBER.fullmatch, 1, 1)
# An ASCII string of only these characters that float() accepts is exactly a NUMBER match.
_non_number_characters = np.frompyfunc(operator.methodcaller("strip", "0123456789+-.eE"), 1, 1)


def _check_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain decimals (the common case) by vectorised match and conversion; anything else,
    and anything that overflows, through `_parse_value` for its exact message."""
    text = _strip(values)
    numbers = np.full(len(values), np.nan)
    plain = (_non_number_characters(text) == "") & (text != "")
    try:
        numbers[plain] = text[plain].astype(float)
    except ValueError:  # such as "1.2.3": match each value instead
        plain = np.not_equal(_plain_number(text), None)
        numbers[plain] = text[plain].astype(float)
    messages = np.full(len(values), None, dtype=object)
    outside = (numbers < MEASUREMENT_VALUE.low) | (numbers > MEASUREMENT_VALUE.high)
    for position in np.flatnonzero(~plain | ~np.isfinite(numbers) | outside):
        numbers[position], messages[position] = _parse_value(values[position])
    return numbers, messages


def _check_unit_refs(unit_refs: np.ndarray) -> np.ndarray:
    """`UNIT_REF`'s message per row, or None. One search of all the references joined says
    whether any has a control character (almost never), so the common case is one pass in C."""
    suspect = _length(unit_refs).astype(np.int64) > UNIT_REF.max_length
    if text_problem("".join(unit_refs), UNIT_REF.what):
        suspect[:] = True
    problems = np.full(len(unit_refs), None, dtype=object)
    for position in np.flatnonzero(suspect):
        problems[position] = UNIT_REF.problem(unit_refs[position])
    return problems


def check_columns(
    columns: Mapping[str, Any],
    lines: np.ndarray,
    room: int,
    *,
    leading: Sequence[tuple[str, np.ndarray]] = (),
    all_text: bool = False,
) -> CheckedColumns:
    """Validate a chunk of rows given as columns of text (the keys `parse_row` reads; a
    missing key is a missing column, read as empty), reporting problems against `lines`, at
    most `room` of them listed.

    `all_text` says every cell is a string (a CSV's), which saves looking for missing ones.
    `leading` adds the caller's own per-row problems (column name, message or None per row),
    reported before the row's own, e.g. the multi-improvement upload's improvement column.
    """
    count = len(lines)

    def raw(key: str) -> np.ndarray:
        if key not in columns:
            return np.full(count, "", dtype=object)
        if all_text:  # a CSV's cells: never missing, and not ours to change
            return np.asarray(columns[key], dtype=object)
        values = np.array(columns[key], dtype=object)
        values[pd.isna(values)] = ""  # missing reads as empty, as in `parse_row`
        return values

    phase, phase_problem = _per_distinct(raw("phase"), _check_phase)
    group, group_problem = _per_distinct(raw("group"), _check_group)
    unit_ref = _strip(raw("unit_ref")).astype(object)
    unit_problem = _check_unit_refs(unit_ref)
    unit_ref[unit_ref == ""] = None
    observed_on, date_problem = _per_distinct(raw("observed_on"), _parse_date)
    value, value_problem = _check_values(raw("value"))

    names = (*(name for name, _ in leading), *COLUMN_ORDER)
    messages = (
        *(problems for _, problems in leading),
        phase_problem,
        group_problem,
        unit_problem,
        date_problem,
        value_problem,
    )
    flags = [np.not_equal(message, None) for message in messages]
    bad_rows = np.logical_or.reduce(flags) if count else np.zeros(0, dtype=bool)
    problems: list[RowError] = []
    for position in np.flatnonzero(bad_rows)[:room]:
        for name, message in zip(names, messages, strict=True):
            if message[position] is not None and len(problems) < room:
                problems.append(RowError(int(lines[position]), name, message[position]))
    frame = pd.DataFrame(
        {
            "phase": phase,
            "group": group,
            "unit_ref": unit_ref,
            "observed_on": observed_on,
            "value": value,
        },
        dtype=object,
    ).astype({"value": float})
    return CheckedColumns(frame, int(sum(f.sum() for f in flags)), problems, bad_rows)
