"""The one number style (gains/numbers.py, decision 0040): every magnitude, sign and edge."""

import re
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest

from gains import numbers

MINUS = "\u2212"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-6, "0.000001"),
        (1.23456e-6, "0.00000123"),
        (0.000123456, "0.000123"),
        (0.012345, "0.0123"),
        (0.1, "0.1"),
        (1.0, "1"),
        (2.345, "2.35"),
        (12.34, "12.3"),
        (123.4, "123"),
        (999.5, "1,000"),
        (1234.5, "1,235"),
        (123_456.789, "123,457"),
        (1e6, "1,000,000"),
        (1e12, "1,000,000,000,000"),
        (1234567, "1,234,567"),  # an int as it is
        (np.float64(0.5), "0.5"),
        (np.int64(10_000), "10,000"),
        (Decimal("0.04912"), "0.0491"),
    ],
)
def test_statistics_keep_three_significant_figures_and_whole_units(value, text):
    assert numbers.number(value) == text


@pytest.mark.parametrize("value", [-1e-6, -0.5, -12.34, -1234.5, -1e12])
def test_negatives_carry_the_real_minus_sign(value):
    text = numbers.number(value)
    assert text.startswith(MINUS) and "-" not in text
    assert text[1:] == numbers.number(-value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (-0.0000001, "−0.0000001"),
        (None, "–"),
        (float("nan"), "–"),
        (float("inf"), "infinity"),
        (float("-inf"), "−infinity"),
    ],
)
def test_zero_nothing_and_infinity(value, text):
    assert numbers.number(value) == text


@pytest.mark.parametrize(
    ("value", "figures", "text"),
    [
        (2.675, 3, "2.68"),  # the float's binary value is below the tie; as written it is one
        (0.125, 2, "0.13"),
        (-0.125, 2, "−0.13"),
        (1.5, 1, "2"),
        (2.5, 1, "3"),  # half up, not to even
        (0.0004995, 3, "0.0005"),  # a tie of 0.000499|5 rounds up, trailing zeros dropped
    ],
)
def test_ties_round_half_up_like_money(value, figures, text):
    assert numbers.number(value, figures) == text


def test_negative_rounding_to_zero_is_not_signed():
    assert numbers.count(-0.4) == "0"
    assert numbers.with_interval(-0.0001, -3.3, 8.9) == ("0", "−3.3", "8.9")


@pytest.mark.parametrize(
    ("estimate", "low", "high", "shown"),
    [
        (6.1034, 3.33, 8.88, ("6.1", "3.3", "8.9")),  # the issue's own example
        (1.2, 0.0442, 3.56, ("1.2", "0.044", "3.6")),  # each end keeps 2 figures
        (-2.3, -3.4, -1.2, ("−2.3", "−3.4", "−1.2")),
        (3.0, 2.961, 3.043, ("3.000", "2.961", "3.043")),  # narrow: the width sets the places
        (1_126_095.5, 616_491.0, 1_635_700.0, ("1,100,000", "620,000", "1,600,000")),
        (5.0, 5.0, 5.0, ("5", "5", "5")),  # no width: 3 figures each
        (0.0, -1.0, 1.0, ("0.0", "−1.0", "1.0")),
        (None, 1.0, 2.0, ("–", "1.0", "2.0")),
        (1.0, float("-inf"), float("inf"), ("1", "−infinity", "infinity")),
    ],
)
def test_an_estimate_and_its_interval_share_one_precision(estimate, low, high, shown):
    assert numbers.with_interval(estimate, low, high) == shown


def test_estimate_with_interval_sentence():
    assert (
        numbers.estimate_with_interval(6.1034, 3.33, 8.88, "min") == "6.1 min (between 3.3 and 8.9)"
    )
    assert numbers.interval(0.0442, 3.56) == ("0.044", "3.6")


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (999, "999"), (1000, "1,000"), (-2500, "−2,500"), (1e12, "1,000,000,000,000")],
)
def test_counts_have_thousands_separators(value, text):
    assert numbers.count(value) == text


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (61_649_100, "£616,000"),  # the public page's £616,491 and £614,000 must agree
        (163_570_000, "£1,640,000"),
        (94_049, "£940"),
        (-94_049, "−£940"),
        (12_345_678_900, "£123,000,000"),
        (4, "£0"),
        (0, "£0"),
        (None, "–"),
    ],
)
def test_an_estimated_amount_is_three_significant_figures_in_whole_pounds(pence, text):
    assert numbers.estimate_pence_gbp(pence) == text


@pytest.mark.parametrize(
    ("amount", "pence", "text"),
    [
        (Decimal("1234567.5"), False, "£1,234,568"),
        (Decimal("-2500"), False, "−£2,500"),
        (Decimal("12.345"), True, "£12.35"),
        (Decimal("-0.004"), True, "£0.00"),
        (float("nan"), False, "–"),
    ],
)
def test_exact_amounts(amount, pence, text):
    assert numbers.gbp(amount, pence=pence) == text


def test_rates_and_p_values_and_percentages():
    assert numbers.gbp_rate(Decimal("0.0075")) == "£0.0075"
    assert numbers.gbp_rate(Decimal("-1.5")) == "−£1.50"
    assert numbers.p_value(0.0000221) == "< 0.001"
    assert numbers.p_value(0.0495) == "0.050"  # half up
    assert numbers.percent(0.95) == "95%"
    assert numbers.percent(0.1234) == "12.3%"
    assert numbers.percent(None) == "–"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2026, 12, 3), "3 December 2026"),
        (date(1, 1, 1), "1 January 1"),
        (date(9999, 12, 31), "31 December 9999"),
        (datetime(2026, 4, 1, 0, 0), "1 April 2026"),
        (None, "–"),
    ],
)
def test_govuk_dates(value, text):
    assert numbers.govuk_date(value) == text


def test_govuk_date_and_time_and_month():
    assert numbers.govuk_datetime(datetime(2026, 12, 3, 14, 5, 59, 999999)) == (
        "3 December 2026 at 14:05"
    )
    assert numbers.govuk_datetime(datetime(1, 1, 1, 0, 0)) == "1 January 1 at 00:00"
    assert numbers.govuk_month(date(2026, 3, 1)) == "March 2026"
    assert numbers.govuk_datetime(None) == numbers.govuk_month(None) == "–"


@pytest.mark.parametrize(
    ("how_many", "singular", "plural", "text"),
    [
        (0, "row", None, "0 rows"),
        (1, "row", None, "1 row"),
        (2, "row", None, "2 rows"),
        (1000, "row", None, "1,000 rows"),
        (1, "published improvement", None, "1 published improvement"),
        (3, "match", "matches", "3 matches"),
    ],
)
def test_plural(how_many, singular, plural, text):
    assert numbers.plural(how_many, singular, plural) == text


@pytest.mark.parametrize(
    ("unit", "per", "one", "two"),
    [
        ("minutes", "per minute", "1 minute", "2.5 minutes"),
        ("mins", "per minute", "1 minute", "2.5 minutes"),
        ("days", "per day", "1 day", "2.5 days"),
        ("per form", "per form", "1 per form", "2.5 per form"),
        ("per 1,000 bills", "per 1,000 bills", "1 per 1,000 bills", "2.5 per 1,000 bills"),
        ("% of letters", "per percentage point", "1 % of letters", "2.5 % of letters"),
        ("%", "per percentage point", "1%", "2.5%"),
        ("widgets", "per widgets", "1 widgets", "2.5 widgets"),  # unknown: as written
    ],
)
def test_units_take_their_right_form(unit, per, one, two):
    assert numbers.per_unit(unit) == per
    assert not re.search(r"\bper per\b", numbers.per_unit(unit))
    assert numbers.amount_of_unit(1, unit) == one
    assert numbers.amount_of_unit(2.5, unit) == two


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-6.5, "−6.5"),
        (410000, "410,000"),
        (0.000123456, "0.000123456"),
        (-1e12, "−1,000,000,000,000"),
    ],
)
def test_exact_keeps_every_digit(value, text):
    assert numbers.exact(value) == text


def test_extreme_magnitudes_are_written_in_full():
    assert numbers.number(1e300) == "1" + ",000" * 100
    assert numbers.number(-1e-300) == MINUS + "0." + "0" * 299 + "1"
    assert numbers.with_interval(1e20, 1e20 - 1e-10, 1e20 + 1e-10)[0] == "100" + ",000" * 6
    assert numbers.estimate_gbp(Decimal("1e30")) == "£1" + ",000" * 10
