"""How every number, amount of money and date is written on a page: the one number style.

Pure functions (no Flask, no database): values in, text out. templating.py's filters and the
charts' labels are thin wrappers over these; exports (CSV, XLSX, JSON, the API) keep machine
formats and do not use them. The rules (docs/decisions/0040-one-number-style.md):

- A statistic to 3 significant figures, never dropping whole units (123,457 not 123,000).
- An estimate and its interval at one precision chosen from the interval: the width to 2
  significant figures sets the decimals, and each number keeps at least 2 significant
  figures ("6.1 (between 3.3 and 8.9)", "between 0.044 and 3.6").
- The real minus sign U+2212; thousands separators in counts and amounts (not in years or
  ids); ties round half up, as money does (gains/stats/money.py).
- Money: exact amounts (costs, rates, an appraisal's present values) in whole pounds or pence;
  an estimated saving (its interval, band and totals) to 3 significant figures in whole pounds,
  in tables, cards and sentences alike.
- GOV.UK dates, "3 December 2026", and times, "3 December 2026 at 14:05".
- Nothing to show (None, NaN) is an en dash; infinity is the word.
"""

from __future__ import annotations

import numbers as _abc
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

MINUS = "\u2212"
MISSING = "–"
INFINITE = "infinity"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Units people write, with the words a sentence needs (singular, plural).
TIME_UNITS = {
    "s": ("second", "seconds"),
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "second": ("second", "seconds"),
    "seconds": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "minute": ("minute", "minutes"),
    "minutes": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "hour": ("hour", "hours"),
    "hours": ("hour", "hours"),
    "d": ("day", "days"),
    "day": ("day", "days"),
    "days": ("day", "days"),
    "week": ("week", "weeks"),
    "weeks": ("week", "weeks"),
}
OTHER_UNITS = {
    "mi": ("mile", "miles"),
    "miles": ("mile", "miles"),
    "km": ("kilometre", "kilometres"),
    "l": ("litre", "litres"),
    "kg": ("kilogram", "kilograms"),
    "£": ("pound", "pounds"),
}
PERCENT_UNIT = ("percentage point", "percentage points")


def _decimal(value) -> Decimal | str | None:
    """The value as an exact Decimal; None for nothing to show; the word for an infinity.
    A float is read from its shortest repr, so 2.675 rounds as written (half up to 2.68)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, _abc.Integral):
        return Decimal(int(value))
    else:
        number = Decimal(repr(float(value)))
    if number.is_nan():
        return None
    if number.is_infinite():
        return f"{MINUS}{INFINITE}" if number < 0 else INFINITE
    return number


def _fixed(number: Decimal, decimals: int, *, strip: bool = False) -> str:
    """`number` rounded half up to `decimals` places (negative: to tens, hundreds...), with
    thousands separators and the real minus sign; "0" never signed."""
    # Enough digits for the result (1e300 to the unit has 301): the default 28 would refuse.
    with localcontext() as context:
        context.prec = max(28, number.adjusted() + decimals + 2)
        rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    places = max(decimals, 0)
    text = f"{abs(rounded):,.{places}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{MINUS}{text}" if rounded < 0 and rounded != 0 else text


def _sig_decimals(number: Decimal, figures: int) -> int:
    """Decimal places that show `figures` significant figures of a non-zero `number`."""
    return figures - 1 - number.adjusted()


def number(value, figures: int = 3) -> str:
    """A statistic to `figures` significant figures (whole units kept), trailing zeros dropped:
    0.000123, 1.5, 123,457; an int as it is, with separators."""
    exact = _decimal(value)
    if exact is None:
        return MISSING
    if isinstance(exact, str):
        return exact
    if exact == 0:
        return "0"
    return _fixed(exact, max(0, _sig_decimals(exact, figures)), strip=True)


def exact(value) -> str:
    """A number as it was given, every digit kept (an audit trail's "set to"): separators and
    the real minus sign, no rounding and no trailing zeros: −6.5, 410,000, 0.000123456."""
    number_ = _decimal(value)
    if not isinstance(number_, Decimal):
        return number_ or MISSING
    places = max(0, -number_.normalize().as_tuple().exponent)
    return _fixed(number_, places)


def to_places(value, places: int) -> str:
    """A number to a fixed number of decimal places (a ratio, "−36.58"), rounded half up."""
    number_ = _decimal(value)
    if not isinstance(number_, Decimal):
        return number_ or MISSING
    return _fixed(number_, places)


def count(value) -> str:
    """A count or amount of things, whole, with thousands separators: 1,000."""
    exact = _decimal(value)
    if exact is None or isinstance(exact, str):
        return exact or MISSING
    return _fixed(exact, 0)


def interval_decimals(low, high) -> int | None:
    """The decimal places an interval's numbers share: its width to 2 significant figures;
    None when it has no finite width (the numbers then keep 3 significant figures each)."""
    exact_low, exact_high = _decimal(low), _decimal(high)
    if not (isinstance(exact_low, Decimal) and isinstance(exact_high, Decimal)):
        return None
    width = abs(exact_high - exact_low)
    return _sig_decimals(width, 2) if width else None


def with_interval(estimate, low, high) -> tuple[str, str, str]:
    """An estimate and its interval at one precision: ("6.1", "3.3", "8.9"). Each end keeps
    at least 2 significant figures ("0.044" beside "3.6"); the estimate, inside the interval,
    takes the shared places, so one close to 0 reads "0.0" rather than "0.00010"."""
    shared = interval_decimals(low, high)
    if shared is None:
        return number(estimate), number(low), number(high)
    shown = []
    for value, is_end in ((estimate, False), (low, True), (high, True)):
        exact = _decimal(value)
        if not isinstance(exact, Decimal):
            shown.append(number(value))
            continue
        decimals = max(shared, _sig_decimals(exact, 2)) if is_end and exact else shared
        shown.append(_fixed(exact, decimals))
    return shown[0], shown[1], shown[2]


def interval(low, high) -> tuple[str, str]:
    """An interval alone, both ends at one precision: ("0.044", "3.6")."""
    _, shown_low, shown_high = with_interval(None, low, high)
    return shown_low, shown_high


def estimate_with_interval(estimate, low, high, unit: str = "") -> str:
    """ "6.1 min (between 3.3 and 8.9)": the sentence form of `with_interval`."""
    shown, shown_low, shown_high = with_interval(estimate, low, high)
    unit_text = f" {unit.strip()}" if unit and unit.strip() else ""
    return f"{shown}{unit_text} (between {shown_low} and {shown_high})"


def _pounds(text: str) -> str:
    """A £ sign on a figure written by `_fixed`, after its minus sign: −£1,234."""
    return f"{MINUS}£{text[1:]}" if text.startswith(MINUS) else f"£{text}"


def gbp(amount, *, pence: bool = False) -> str:
    """An exact amount in pounds: £1,234 (or £1,234.56 with pence); a loss −£1,234."""
    exact = _decimal(amount)
    if not isinstance(exact, Decimal):
        return exact or MISSING
    text = _fixed(exact, 2 if pence else 0)
    return _pounds(text)


def pence_gbp(amount_pence, *, pence: bool = False) -> str:
    """An amount held in pence (as every stored sum of money is), shown as `gbp`."""
    exact = _decimal(amount_pence)
    if not isinstance(exact, Decimal):
        return gbp(amount_pence)
    return gbp(exact / 100, pence=pence)


def estimate_gbp(amount) -> str:
    """An estimated amount in pounds (a saving, its interval, a total of them), in whole pounds
    to 3 significant figures: £616,000, £1,640,000, £940. Its interval is far wider than that,
    and one rule in tables, cards and sentences keeps them from disagreeing."""
    exact_ = _decimal(amount)
    if not isinstance(exact_, Decimal):
        return gbp(amount)
    decimals = min(0, _sig_decimals(exact_, 3)) if exact_ else 0
    text = _fixed(exact_, decimals)
    return _pounds(text)


def estimate_pence_gbp(amount_pence) -> str:
    """An estimated amount held in pence, shown as `estimate_gbp`."""
    exact_ = _decimal(amount_pence)
    if not isinstance(exact_, Decimal):
        return gbp(amount_pence)
    return estimate_gbp(exact_ / 100)


def short_gbp(pounds: float) -> str:
    """A short figure for an axis or a bar end: £350, £350k, £1.2m, £3.4bn, negatives with a
    minus sign (the tables beside the charts give the exact amounts)."""
    magnitude = abs(pounds)
    # Choose the unit by the figure as printed, so £999,999 reads "£1.0m", not "£1000k".
    if round(magnitude / 1_000_000, 1) >= 1_000:
        figure = f"£{magnitude / 1_000_000_000:.1f}bn"
    elif round(magnitude / 1_000) >= 1_000:
        figure = f"£{magnitude / 1_000_000:.1f}m"
    elif round(magnitude) >= 1_000:
        figure = f"£{magnitude / 1_000:.0f}k"
    else:
        figure = f"£{magnitude:.0f}"
    rounds_to_zero = figure.strip("£.0kmbn") == ""
    return figure if pounds >= 0 or rounds_to_zero else f"{MINUS}{figure}"


def gbp_rate(amount) -> str:
    """A £ rate per unit: pence always shown, and up to 4 decimals when they matter (£0.0075)."""
    exact = _decimal(amount)
    if not isinstance(exact, Decimal):
        return exact or MISSING
    normal = exact.normalize()
    places = max(2, -normal.as_tuple().exponent) if normal != normal.to_integral() else 2
    text = _fixed(exact, places)
    return _pounds(text)


def p_value(p) -> str:
    """p as people read it: three decimals, and "< 0.001" rather than 2.21e-05."""
    exact = _decimal(p)
    if not isinstance(exact, Decimal):
        return exact or MISSING
    return "< 0.001" if exact < Decimal("0.001") else _fixed(exact, 3)


def percent(fraction, figures: int = 3) -> str:
    """A fraction as a percentage, GOV.UK style (no space): 0.95 -> "95%", 0.1234 -> "12.3%"."""
    exact = _decimal(fraction)
    if not isinstance(exact, Decimal):
        return exact or MISSING
    return f"{number(exact * 100, figures)}%"


def exact_percent(fraction) -> str:
    """A fraction as entered, every digit kept: 0.8 -> "80%", 0.035 -> "3.5%"."""
    exact_ = _decimal(fraction)
    if not isinstance(exact_, Decimal):
        return exact_ or MISSING
    return f"{exact((exact_ * 100).normalize())}%"


def govuk_date(value: date | datetime | None) -> str:
    """3 December 2026 (GOV.UK style: no leading zero, the month in full)."""
    if value is None:
        return MISSING
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def govuk_datetime(value: datetime | None) -> str:
    """3 December 2026 at 14:05 (the time as stored: the service keeps UTC)."""
    if value is None:
        return MISSING
    return f"{govuk_date(value)} at {value.hour:02d}:{value.minute:02d}"


def govuk_month(value: date | datetime | None) -> str:
    """December 2026."""
    if value is None:
        return MISSING
    return f"{MONTHS[value.month - 1]} {value.year}"


def word_for(how_many, singular: str, plural: str | None = None) -> str:
    """The noun for `how_many` things: "row" for 1, "rows" otherwise."""
    return singular if how_many == 1 else (plural or f"{singular}s")


def plural(how_many, singular: str, plural_form: str | None = None) -> str:
    """ "1 row", "2 rows", "1,000 rows"."""
    return f"{count(how_many)} {word_for(how_many, singular, plural_form)}"


def unit_words(unit: str) -> tuple[str, str]:
    """(singular, plural) of a metric's unit as written: "mins" -> ("minute", "minutes"),
    "% of letters" -> percentage points; a unit not known is kept as written."""
    unit = " ".join((unit or "").split())
    if unit.startswith("%"):
        return PERCENT_UNIT
    key = unit.lower().rstrip(".")
    return TIME_UNITS.get(key) or OTHER_UNITS.get(key) or (unit, unit)


def per_unit(unit: str) -> str:
    """ "per minute" for "minutes", "per form" for "per form" (never "per per form")."""
    unit = " ".join((unit or "").split())
    if unit.lower().startswith("per "):
        return unit
    return f"per {unit_words(unit)[0]}"


def amount_of_unit(value, unit: str, figures: int = 3) -> str:
    """ "1 minute", "2.5 minutes", "1.2 per form": a number with its unit's right form."""
    shown = number(value, figures)
    unit = " ".join((unit or "").split())
    if not unit or shown == MISSING:
        return shown
    if unit.lower().startswith("per "):
        return f"{shown} {unit}"
    if unit.startswith("%"):
        return f"{shown}%" if unit == "%" else f"{shown} {unit}"
    singular, plural_form = unit_words(unit)
    return f"{shown} {singular if shown == '1' else plural_form}"
