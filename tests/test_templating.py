"""Money, number and date formats shown on pages."""

from datetime import date
from decimal import Decimal

import pytest

from gains.templating import (
    format_date,
    format_gbp,
    format_gbp_rate,
    format_number,
    format_pence_as_gbp,
)


@pytest.mark.parametrize(
    ("amount", "pence", "expected"),
    [
        (Decimal("1234567.5"), False, "£1,234,568"),
        (Decimal("-2500"), False, "−£2,500"),
        (Decimal("12.345"), True, "£12.35"),
        (0, True, "£0.00"),
        (None, False, "–"),
    ],
)
def test_format_gbp(amount, pence, expected):
    assert format_gbp(amount, pence=pence) == expected


@pytest.mark.parametrize(
    ("amount_pence", "pence", "expected"),
    [
        (123_456_750, False, "£1,234,568"),  # £1,234,567.50: half a pound rounds up
        (-250_000, False, "−£2,500"),
        (1_235, True, "£12.35"),
        (-5, True, "−£0.05"),
        (0, True, "£0.00"),
        (None, False, "–"),
    ],
)
def test_pence_are_shown_as_pounds(amount_pence, pence, expected):
    assert format_pence_as_gbp(amount_pence, pence=pence) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("0.0075", "£0.0075"), ("3.0000", "£3.00"), ("1.6", "£1.60"), ("2600", "£2,600.00")],
)
def test_format_gbp_rate_keeps_sub_penny_rates(rate, expected):
    assert format_gbp_rate(Decimal(rate)) == expected


def test_format_date_and_number():
    assert format_date(date(2026, 4, 1)) == "1 April 2026"
    assert format_number(1234567) == "1,234,567"
    assert format_number(0.000123456, 3) == "0.000123"
    assert format_number(None) == "–"


def test_format_p_value():
    from gains.templating import format_p_value

    assert format_p_value(0.0000221) == "< 0.001"
    assert format_p_value(0.04912) == "0.049"
    assert format_p_value(None) == "–"
