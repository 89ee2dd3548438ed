"""One row of measurement data, validated the same way whichever path it came by.

The form, the CSV parser (`csv_upload`), the API and the command-line import all hand a
mapping to `parse_row`; it answers the clean row and every problem with it, never raising, so
that a caller can collect the problems of a whole file before deciding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gains.models import Phase, StudyGroup

MAX_UNIT_REF_LENGTH = 100
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
        return number, None if math.isfinite(number) else "Enter a finite number"
    text = "" if value is None else str(value).strip()
    if not text:
        return math.nan, "Enter a value"
    if text.lower() in NOT_FINITE:
        return math.nan, "Enter a finite number"
    if DECIMAL_COMMA.fullmatch(text):
        return math.nan, "Enter a number with a full stop for decimals, like 1.5"
    if not NUMBER.fullmatch(text):
        return math.nan, "Enter a number"
    number = float(text)
    return number, None if math.isfinite(number) else "Enter a finite number"


def _parse_date(value: Any) -> tuple[date | None, str | None]:
    """YYYY-MM-DD, or DD/MM/YYYY as UK spreadsheets save dates; None when blank."""
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    text = "" if value is None else str(value).strip()
    if not text:
        return None, None
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text), None
        uk = UK_DATE.fullmatch(text)
        if uk:
            day, month, year = (int(part) for part in uk.groups())
            return date(year, month, day), None
    except ValueError:
        pass
    return None, "Enter a real date, like 2026-05-31 or 31/05/2026"


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
    if len(unit) > MAX_UNIT_REF_LENGTH:
        errors.append(RowError(line, "unit", f"Use at most {MAX_UNIT_REF_LENGTH} characters"))
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
