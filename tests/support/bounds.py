"""Values at and past the edges of each bound in `gains.bounds`, for the tests of every path.

Everything is generated from the bound objects, so a new or changed bound is tested by each
path's table without editing it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from gains import bounds
from gains.bounds import DateBound, NumberBound

# What people and programs have sent that used to break a page (issue 17).
HUGE_FLOAT = 1e308
TWENTY_DIGITS = 99_999_999_999_999_999_999
FAR_DATES = (date(1, 1, 1), date(9999, 12, 31))
CONTROL_CHARACTERS = ("\x00", "\x1b", "\x7f", "\x85")


def _step(bound: NumberBound) -> int | Decimal:
    if bound.percent:
        return Decimal("0.0001")  # a fraction's last place: 0.01 %
    return 1 if bound.whole or not bound.pounds else Decimal("0.01")


def inside(bound: NumberBound | DateBound) -> tuple:
    """The edges, which are accepted."""
    return (bound.low, bound.high)


def outside(bound: NumberBound | DateBound) -> tuple:
    """Just past each edge, and the far values that used to get through."""
    if isinstance(bound, DateBound):
        return (bound.low - timedelta(days=1), bound.high + timedelta(days=1), *FAR_DATES)
    step = _step(bound)
    far = (TWENTY_DIGITS,) if bound.whole else (HUGE_FLOAT, -HUGE_FLOAT, TWENTY_DIGITS)
    return (bound.low - step, bound.high + step, *far)


def typed(value) -> str:
    """A number as someone would type it into a form (the forms take "£" and commas too)."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def typed_in_form(bound: NumberBound | DateBound, value) -> str:
    """`typed`, a fraction typed as the percentage a form asks for."""
    if isinstance(bound, NumberBound) and bound.percent:
        return f"{(Decimal(str(value)) * 100).normalize():f}"
    return typed(value)


NUMBER_BOUNDS = {
    name: bound
    for name, bound in vars(bounds).items()
    if isinstance(bound, NumberBound) and name != "RECORD_ID"
}
