"""gains.bounds on its own: every bound accepts its edges and refuses past them, with its
message, and never raises whatever it is given."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from gains import bounds
from gains.bounds import NumberBound, TextBound
from tests.support.bounds import CONTROL_CHARACTERS, inside, outside

NUMBERS = [v for v in vars(bounds).values() if isinstance(v, NumberBound)]
TEXTS = [v for v in vars(bounds).values() if isinstance(v, TextBound)]


@pytest.mark.parametrize("bound", NUMBERS, ids=lambda b: b.what)
def test_numbers_accept_their_edges_and_refuse_past_them(bound):
    for value in inside(bound):
        assert bound.problem(value) is None, value
    for value in (*outside(bound), math.nan, math.inf, -math.inf, Decimal("NaN"), True, "1"):
        assert bound.problem(value) == bound.message, value


def test_number_messages_say_what_to_enter():
    assert bounds.MEASUREMENT_VALUE.message == (
        "Value must be between −1,000,000,000,000 and 1,000,000,000,000"
    )
    assert bounds.IMPLEMENTATION_COST_GBP.message == (
        "Implementation cost must be between £0 and £1,000,000,000,000"
    )
    assert bounds.PLANNED_SAMPLE_SIZE.message == (
        "Planned sample size must be between 1 and 1,000,000,000"
    )


def test_whole_numbers_refuse_fractions():
    assert bounds.SCALE.problem(Decimal("1.5")) == bounds.SCALE.message
    assert bounds.SCALE.problem(Decimal("2.0")) is None


def test_a_number_of_any_size_is_refused_without_raising():
    assert bounds.ANNUAL_VOLUME.problem(10**5000) == bounds.ANNUAL_VOLUME.message
    assert bounds.VALUE_PER_UNIT_GBP.problem(Decimal("1E+999999999")) is not None


def test_dates_accept_their_edges_and_refuse_past_them():
    for day in inside(bounds.DATE):
        assert bounds.DATE.problem(day) is None
    for day in outside(bounds.DATE):
        assert (
            bounds.DATE.problem(day) == "Enter a date between 1 January 1990 and 31 December 2100"
        )


@pytest.mark.parametrize("bound", TEXTS, ids=lambda b: b.what)
def test_texts_refuse_control_characters_surrogates_and_length(bound):
    assert bound.problem("x" * bound.max_length) is None
    assert (
        bound.problem("x" * (bound.max_length + 1))
        == f"{bounds.subject(bound.what)} must be {bound.max_length:,} characters or fewer"
    )
    for character in CONTROL_CHARACTERS:
        assert bound.problem(f"a{character}b") == (
            f"Remove the invisible control characters from {bound.what}"
        )
    assert "not valid text" in bound.problem("a\ud800b")
    line_breaks = bound.problem("a\tb\r\nc")
    assert (line_breaks is None) is bound.multiline


def test_searches_for_what_cannot_be_stored_match_nothing():
    assert bounds.can_match_stored_text("renewal letter")
    assert bounds.can_match_stored_text("two\nlines")
    assert not bounds.can_match_stored_text("a\x00")
    assert not bounds.can_match_stored_text("\ud800")


@pytest.mark.parametrize("name", list(bounds.PLAN_BOUNDS))
def test_plan_fields_are_checked_by_their_bound(name):
    bound = bounds.PLAN_BOUNDS[name]
    assert bounds.plan_field_problem(name, None) is None
    if isinstance(bound, TextBound):
        assert bounds.plan_field_problem(name, "a\x00") is not None
        return
    for value in outside(bound):
        if name == "implementation_cost_pence":
            value = int(value * 100) if not isinstance(value, float) else int(1e20)
        assert bounds.plan_field_problem(name, value) == bound.message, value


def test_the_cost_is_kept_in_pence_and_bounded_in_pounds():
    assert bounds.plan_field_problem("implementation_cost_pence", 10**14) is None
    assert bounds.plan_field_problem("implementation_cost_pence", 10**14 + 1) is not None
    assert bounds.plan_field_problem("implementation_cost_pence", 1.5) is not None
    assert bounds.plan_field_problem("go_live_on", date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("what", "start"),
    [("the title", "Title"), ("an annual volume", "Annual volume"), ("a value", "Value")],
)
def test_messages_start_with_the_thing_as_govuk_names_it(what, start):
    assert bounds.subject(what) == start
    assert bounds.TITLE.too_long_message == "Title must be 200 characters or fewer"


def test_an_improvement_reference_is_its_department_code_and_padded_number():
    """Decision 0042: "WKP-0042"; typed, the reference in any case or the number alone."""
    assert bounds.improvement_reference("wkp", 42) == "WKP-0042"
    assert bounds.improvement_reference("HLT", 123456) == "HLT-123456"
    read = bounds.read_reference
    assert read(" wkp-0042 ") == bounds.TypedReference("WKP", 42)
    assert read("42") == read("0042") == bounds.TypedReference(None, 42)
    assert read("WKP-42").problem_with("WKP", 42) is None
    assert read("42").problem_with("REV", 42) is None
    assert read("REV-42").problem_with("WKP", 42) == (
        "REV-0042 has the wrong department code: improvement 42’s reference is WKP-0042"
    )
    for typed in ("", "WKP-", "-42", "WKP 42", "WKP-4-2", "W€P-42", "４２", "WKP-42x"):
        assert bounds.reference_problem(typed) is not None, typed
        with pytest.raises(ValueError):
            read(typed)
    for number in ("0", "2147483648", "9" * 5000):
        assert bounds.reference_problem(f"WKP-{number}") == bounds.RECORD_ID.message
