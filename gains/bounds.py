"""The bounds every number, date and piece of text that enters Gains must lie within.

Written once, here, each with the words that refuse it. Every path applies these same objects:
the web forms (`form_fields.py`: `within` and `BoundedForm`), the API schemas
(`api/schemas.py`: `bounded` and `Text`), the measurement row check shared by form, CSV, API
and command line (`services/measurements/rows.py`), the plan check shared by web and API
(`services/improvements.validate_plan`), the command line and the query-string filters. So a
value refused on one path is refused on every other, with the same message, and nothing
outside them reaches the database or the statistics. The figures, and why, are in
docs/decisions/0004-input-bounds.md.

No Flask, WTForms or marshmallow here: plain values and plain checks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

MINUS = "\u2212"  # the minus sign, as GOV.UK shows negative numbers


def _figure(number: int | float | Decimal, pounds: bool) -> str:
    """1000000 as "1,000,000"; negatives with a minus sign; pounds with "£"."""
    whole = int(number)
    exact = Decimal(str(number)) if isinstance(number, float) else Decimal(number)
    shown = f"{abs(whole):,}" if whole == number else f"{abs(exact):,}"
    return f"{MINUS if number < 0 else ''}{'£' if pounds else ''}{shown}"


@dataclass(frozen=True)
class NumberBound:
    """A closed range for a number. `what` names it in messages ("a value", "a scale")."""

    what: str
    low: int | float | Decimal
    high: int | Decimal
    whole: bool = False  # a count: the column is an integer
    pounds: bool = False  # shown with "£"
    percent: bool = False  # a fraction, entered and shown as a percentage

    @property
    def message(self) -> str:
        """The GOV.UK Design System's words for a number outside its range ("Annual volume
        must be between 1 and 10,000,000,000"): one message for either end, so that every
        path (form, API range, CSV, command line) refuses a value with the same words."""
        if self.percent:
            low, high = (f"{_figure(Decimal(n) * 100, False)} %" for n in (self.low, self.high))
        else:
            low, high = _figure(self.low, self.pounds), _figure(self.high, self.pounds)
        return f"{subject(self.what)} must be between {low} and {high}"

    def problem(self, value: Any) -> str | None:
        """None if `value` lies within the bound; otherwise the message.

        NaN, infinities and numbers of any size are refused, never raised on: Python
        compares an int of any length with a float or Decimal exactly.
        """
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return self.message
        if isinstance(value, float | Decimal) and not _finite(value):
            return self.message
        if not self.low <= value <= self.high:
            return self.message
        return self.message if self.whole and value != int(value) else None


def _finite(value: float | Decimal) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


@dataclass(frozen=True)
class DateBound:
    """A closed range of days."""

    low: date
    high: date

    @property
    def message(self) -> str:
        return f"Enter a date between {_day(self.low)} and {_day(self.high)}"

    def problem(self, value: date) -> str | None:
        return None if self.low <= value <= self.high else self.message


def _day(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


# Control characters (Unicode category Cc) a single line must not hold; a multi-line text
# may hold tab, line feed and carriage return (browsers send a textarea's lines as CR LF).
SINGLE_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MULTI_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Halves of a UTF-16 pair on their own: JSON can carry them, UTF-8 (and so the database)
# cannot.
LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")


def subject(what: str) -> str:
    """How a GOV.UK message names a thing at its start: "the unit reference" as "Unit
    reference", "an annual volume" as "Annual volume"."""
    text = re.sub(r"^(the|an|a) ", "", what.strip())
    return text[:1].upper() + text[1:]


def control_characters_message(what: str) -> str:
    return f"Remove the invisible control characters from {what}"


def text_problem(text: str, what: str, *, multiline: bool = False) -> str | None:
    """None if `text` holds only characters Gains stores; otherwise what to do about it.

    PostgreSQL cannot store NUL at all, nor UTF-8 a lone surrogate; the other control
    characters would be stored but are never meant (pasted from a terminal or a binary
    file) and make exports and pages misbehave, so every path refuses them all alike.
    """
    controls = MULTI_LINE_CONTROLS if multiline else SINGLE_LINE_CONTROLS
    if controls.search(text):
        return control_characters_message(what)
    if LONE_SURROGATES.search(text):
        return f"Remove the characters that are not valid text from {what}"
    return None


@dataclass(frozen=True)
class TextBound:
    """Text of at most `max_length` characters (its column's length) without control
    characters; `what` names it in messages ("the title")."""

    what: str
    max_length: int
    multiline: bool = False

    @property
    def too_long_message(self) -> str:
        return f"{subject(self.what)} must be {self.max_length:,} characters or fewer"

    def problem(self, text: str) -> str | None:
        found = text_problem(text, self.what, multiline=self.multiline)
        if found is None and len(text) > self.max_length:
            return self.too_long_message
        return found


def can_match_stored_text(text: str) -> bool:
    """Whether `text` could occur in stored text, so that searching for it means anything.

    A search for NUL would fail on PostgreSQL rather than find nothing; no stored text can
    hold what `text_problem` refuses, so such a search is answered "no match" without asking
    the database.
    """
    return text_problem(text, "", multiline=True) is None


# --- the bounds ---------------------------------------------------------------------------

# A measurement, and an expected effect, in the metric's own unit. 10^12 is beyond any
# plausible metric (seconds in 30,000 years; £10 billion in pence; a count of every
# transaction the state makes in a century), while the statistics compute safely far past
# it: squares are 10^24, a million rows' sum of squares 10^30, and a saving's product of
# gain (up to 2×10^12), volume and £ per unit stays below 10^34, all far inside float64.
MEASUREMENT_VALUE = NumberBound("a value", -(10**12), 10**12)
EXPECTED_EFFECT = NumberBound("an expected effect", -(10**12), 10**12)
# The metric's spread for planning: positive, to the 6 decimal places the form takes (a float
# edge: the value arrives as a float, which compares exactly with a Decimal).
PLANNED_SD = NumberBound("a standard deviation", 0.000001, 10**12)
# Counts. Planned sample size: measurements per phase, an INTEGER column; 10^9 is more than
# anyone measures. Annual volume: a BIGINT; 10^10 because some national services really do
# exceed 10^9 a year (NHS England dispenses over a billion prescription items).
PLANNED_SAMPLE_SIZE = NumberBound("a planned sample size", 1, 10**9, whole=True)
ANNUAL_VOLUME = NumberBound("an annual volume", 1, 10**10, whole=True)
# 1 for a plain number, 100 for a percentage, 1,000 for "per 1,000" ... up to per million.
SCALE = NumberBound("a scale", 1, 10**6, whole=True)
# Money. A one-off cost of up to £1 trillion (stored in pence, a BIGINT); a £ rate per unit
# of the metric of up to £1 billion, inside its NUMERIC(14, 4) column.
IMPLEMENTATION_COST_GBP = NumberBound("an implementation cost", 0, 10**12, pounds=True)
VALUE_PER_UNIT_GBP = NumberBound("a value per unit", 0, 10**9, pounds=True)
# The Green Book appraisal (HM Treasury, The Green Book, 2022; docs/decisions/0036): a life
# of 1 to 30 years, because the flat discount rates (3.5 %, 1.5 % for health) hold to year 30;
# persistence, the share of the gain surviving each further year; optimism bias, a fraction
# taken off benefits (below 100 %, or nothing would be left) and added to the cost (the Green
# Book's own upper figures for works and equipment reach 200 %). Fractions have the 4 decimal
# places of their NUMERIC(5, 4) columns.
EXPECTED_LIFE_YEARS = NumberBound("an expected life", 1, 30, whole=True)
PERSISTENCE = NumberBound("the share of the gain that remains each year", 0, 1, percent=True)
OPTIMISM_BIAS_BENEFITS = NumberBound(
    "an optimism bias on benefits", 0, Decimal("0.95"), percent=True
)
OPTIMISM_BIAS_COSTS = NumberBound("an optimism bias on the cost", 0, 2, percent=True)
FRACTION_PLACES = 4

# Not entered but derived: the annual saving an approval banks (gain ÷ scale × volume × £ per
# unit) and its standard error and interval. Each input may be at its own bound and the
# product still be absurd; beyond £1 trillion a year (most of what the state spends) the
# figure is an error in the inputs, and beyond £10^14 its NUMERIC(16, 2) column cannot hold it.
ANNUAL_SAVING_GBP = NumberBound("an annual saving", -(10**12), 10**12, pounds=True)

# A yearly discount rate for the appraisal (stats/appraisal.py; decision 0032). The app uses
# the Green Book's 3.5 % or 1.5 % by the plan's health flag; the command line takes any from
# 0 to 100 % for a sensitivity run.
DISCOUNT_RATE = NumberBound("a discount rate", 0, 1, percent=True)

# Every date Gains is given: go-live, end, observed and the audit trail's filters. Public
# service data in Gains starts long after 1990, and nobody plans past 2100; the cumulative
# charts and the Treasury's months stay a few hundred months long.
DATE = DateBound(date(1990, 1, 1), date(2100, 12, 31))

# The plan's text, by its columns' lengths (models/improvement.py).
TITLE = TextBound("the title", 200)
HYPOTHESIS = TextBound("the hypothesis", 2000, multiline=True)
METRIC_NAME = TextBound("the metric", 200)
METRIC_UNIT = TextBound("the unit of the metric", 50)
UNIT_OF_OBSERVATION = TextBound("the unit of observation", 100)
# Why a team stopped before its planned sample size (models/improvement.py), as long as
# the other reasons people write (an amendment's, a withdrawal's).
STOP_REASON = TextBound("the reason for stopping", 2000, multiline=True)
# A measurement's unit reference, and where a batch came from (models/measurement.py). A
# CSV's quoted cell may break lines, and always could, so a reference may hold line breaks.
UNIT_REF = TextBound("the unit reference", 100, multiline=True)
SOURCE_NAME = TextBound("the source", 100)
# A note on an improvement's charts (models/chart_note.py): a label drawn beside a line on
# the chart, so one line of text.
CHART_NOTE = TextBound("the note", 200)
# A PDSA cycle's plan, prediction and what happened (models/cycle.py), as long as a hypothesis.
CYCLE_PLAN = TextBound("what you will try", 2000, multiline=True)
CYCLE_PREDICTION = TextBound("what you predict", 2000, multiline=True)
CYCLE_NOTES = TextBound("what happened", 2000, multiline=True)
# Accounts and tokens (models/org.py, models/api_token.py).
PERSON_NAME = TextBound("the name", 200)
EMAIL = TextBound("the email address", 254)
TOKEN_NAME = TextBound("the name", 100)
# Record ids: PostgreSQL's integer (SQLite refuses larger integers outright).
RECORD_ID = NumberBound("a record number", 1, 2**31 - 1, whole=True)

# An improvement's reference (docs/decisions/0042): its department's code, a hyphen and its
# record number padded to four digits, "WKP-0042" (longer numbers as they are, "WKP-12345").
# The number is the improvement's identity and never changes; the code tells a reader whose
# it is and catches a number copied from another department's list. Where a reference is
# typed (the measurements imports), the bare number is taken too.
REFERENCE_DIGITS = 4
REFERENCE = re.compile(r"(?:(?P<code>[A-Za-z0-9]{1,12})-)?(?P<number>[0-9]+)")
REFERENCE_MESSAGE = "Enter the improvement’s reference, like WKP-0042, or its number, like 42"


def improvement_reference(department_code: str, improvement_id: int) -> str:
    return f"{department_code.upper()}-{improvement_id:0{REFERENCE_DIGITS}d}"


@dataclass(frozen=True)
class TypedReference:
    """A typed reference, read: the department code if given (upper case) and the number."""

    code: str | None
    number: int

    def problem_with(self, department_code: str, improvement_id: int) -> str | None:
        """None if the typed code (if any) is that of the improvement it numbers."""
        if self.code is None or self.code == department_code.upper():
            return None
        return (
            f"{self.code}-{self.number:0{REFERENCE_DIGITS}d} has the wrong department code: "
            f"improvement {self.number:,}’s reference is "
            f"{improvement_reference(department_code, improvement_id)}"
        )


def reference_problem(text: str) -> str | None:
    """None if `text` reads as a reference or a number (`read_reference`); else the message."""
    found = REFERENCE.fullmatch(text.strip())
    if found is None:
        return REFERENCE_MESSAGE if text.strip() else "Enter the improvement’s reference"
    digits = found["number"].lstrip("0")
    # More digits than any record number is outside it (and int() refuses 4,300 digits).
    return RECORD_ID.message if len(digits) > 20 else RECORD_ID.problem(int(digits or "0"))


def read_reference(text: str) -> TypedReference:
    """The code and number of a reference `reference_problem` accepts."""
    problem = reference_problem(text)
    if problem:
        raise ValueError(problem)
    found = REFERENCE.fullmatch(text.strip())
    code = found["code"]
    return TypedReference(code.upper() if code else None, int(found["number"]))


# The plan's fields and their bounds: what `validate_plan` checks, whichever path a plan came
# by. The implementation cost is kept in pence and checked in pounds.
PLAN_BOUNDS: dict[str, NumberBound | DateBound | TextBound] = {
    "title": TITLE,
    "hypothesis": HYPOTHESIS,
    "metric_name": METRIC_NAME,
    "metric_unit": METRIC_UNIT,
    "unit_of_observation": UNIT_OF_OBSERVATION,
    "scale": SCALE,
    "planned_sample_size": PLANNED_SAMPLE_SIZE,
    "expected_effect": EXPECTED_EFFECT,
    "planned_sd": PLANNED_SD,
    "implementation_cost_pence": IMPLEMENTATION_COST_GBP,
    "annual_volume": ANNUAL_VOLUME,
    "annual_volume_low": ANNUAL_VOLUME,
    "annual_volume_high": ANNUAL_VOLUME,
    "value_per_unit_gbp": VALUE_PER_UNIT_GBP,
    "value_per_unit_low_gbp": VALUE_PER_UNIT_GBP,
    "value_per_unit_high_gbp": VALUE_PER_UNIT_GBP,
    "expected_life_years": EXPECTED_LIFE_YEARS,
    "persistence": PERSISTENCE,
    "optimism_bias_benefits": OPTIMISM_BIAS_BENEFITS,
    "optimism_bias_costs": OPTIMISM_BIAS_COSTS,
    "go_live_on": DATE,
    "ended_on": DATE,
}


def plan_field_problem(name: str, value: Any) -> str | None:
    """The problem with one plan field's value (None when it is absent or within bounds)."""
    bound = PLAN_BOUNDS.get(name)
    if bound is None or value is None:
        return None
    if name == "implementation_cost_pence":
        if isinstance(value, bool) or not isinstance(value, int):
            return bound.message
        value = Decimal(value) / 100
    return bound.problem(value)


# The plan's optional ranges: (low, central, high) field names, named in messages.
PLAN_RANGES = {
    "annual volume": ("annual_volume_low", "annual_volume", "annual_volume_high"),
    "value per unit": ("value_per_unit_low_gbp", "value_per_unit_gbp", "value_per_unit_high_gbp"),
}


def range_problem(what: str, low: Any, central: Any, high: Any) -> str | None:
    """The problem with a low / central / high range (None when it has no range or a good
    one): both ends or neither, only beside a central value, and low <= central <= high."""
    if low is None and high is None:
        return None
    if low is None or high is None:
        return f"Enter both the low and the high {what}, or neither"
    if central is None:
        return f"Enter the {what} itself before its low and high"
    if not low <= central <= high:
        return f"The low {what} must be at most the {what} itself, and the high at least it"
    return None
