"""Form fields shared by every area: money typed the way people type it, and whole numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField


class DecimalTextField(StringField):
    """A decimal typed as text ("£1,250.50", "0.0075"), never passed through a float.

    `places` caps the decimal places (2 for sums of money, 4 for £-per-unit rates);
    `minimum` is inclusive. Empty input gives None (add InputRequired to require it).
    """

    widget = GovTextInput()

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        places: int = 2,
        minimum=None,
        what: str = "an amount",
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.minimum = None if minimum is None else Decimal(str(minimum))
        self.what = what

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "") or ""
        self.data = None
        text = self.raw_text.strip().replace(",", "").removeprefix("£").strip()
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"Enter {self.what} as a number, like 1250.50") from None
        if not value.is_finite():
            raise ValueError(f"Enter {self.what} as a number, like 1250.50")
        if -value.as_tuple().exponent > self.places:
            raise ValueError(f"Enter {self.what} with no more than {self.places} decimal places")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"Enter {self.what} of {self.minimum} or more")
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data}"


class WholeNumberField(StringField):
    """A positive whole number typed as text ("12,000"), with GOV.UK wording for errors."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, what: str = "a number", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.what = what

    def process_formdata(self, valuelist):
        text = ((valuelist[0] if valuelist else "") or "").strip().replace(",", "")
        self.data = None
        if not text:
            return
        if not text.isdigit():
            raise ValueError(f"Enter {self.what} as a whole number, like 1200")
        value = int(text)
        if value <= 0:
            raise ValueError(f"Enter {self.what} greater than 0")
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


# The largest id a record can have (PostgreSQL's integer; SQLite refuses larger ints outright).
MAX_RECORD_ID = 2_147_483_647


def record_id(text: str | None) -> int | None:
    """A filter's record id from a query string, or None for anything that cannot be one.

    `str.isdigit` alone accepts "²" (which int() refuses) and any length (which the
    database refuses): both would turn a typo in a URL into a server error.
    """
    text = (text or "").strip()
    # The length first: int() refuses more than 4,300 digits with an error of its own.
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(MAX_RECORD_ID)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_RECORD_ID else None
