"""Form fields shared by every area: money typed the way people type it, whole numbers, enum
radios, and the bounds of `gains.bounds` as WTForms applies them (`within`, `BoundedForm`).

Each field's data is the record's own type (an enum member, pence, a float), so a form is
filled with `Form(obj=record)` and read back with `form.populate_obj`, with no table mapping
form values to record values."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextInput
from wtforms import PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from gains.bounds import RECORD_ID, DateBound, NumberBound, TextBound, text_problem


def within(bound: NumberBound | DateBound | TextBound):
    """A validator refusing what `bound` refuses, with its message (empty input is left to
    InputRequired or Optional)."""

    def check(form, field) -> None:
        if field.data is None or field.data == "":
            return
        problem = bound.problem(field.data)
        if problem:
            raise ValidationError(problem)

    return check


def _named(label: str) -> str:
    """How a message names a field: "Unit reference (optional)" as "the unit reference"; a
    question ("Why is it withdrawn?") as "your answer"."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()
    if not text or text.endswith("?"):
        return "your answer"
    return f"the {text[0].lower()}{text[1:]}"


def _plain_text(form, field) -> None:
    if isinstance(field.data, str):
        multiline = isinstance(field, TextAreaField)
        problem = text_problem(field.data, _named(field.label.text), multiline=multiline)
        if problem:
            raise StopValidation(problem)


class BoundedForm(FlaskForm):
    """Every form of Gains: each text field refuses control characters and lone surrogates
    (`gains.bounds.text_problem`) before its own validators run, so no form can forget to,
    whether it is posted or read from a query string.

    Passwords are left alone: they are hashed, never stored or compared as text, and
    refusing characters in them could only lock someone out.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField) and not isinstance(field, PasswordField):
                field.validators = [_plain_text, *field.validators]
            return field


class DecimalTextField(StringField):
    """A decimal typed as text ("£1,250.50", "0.0075"), never passed through a float.

    `places` caps the decimal places (2 for sums of money, 4 for £-per-unit rates); `bound`
    is its range. Empty input gives None (add InputRequired to require it).
    """

    widget = GovTextInput()
    typed_per_stored = 1  # 100 for a fraction typed as a percentage

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        places: int = 2,
        bound: NumberBound,
        what: str = "an amount",
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.bound = bound
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
        if self.typed_per_stored != 1:
            value = value / self.typed_per_stored
        problem = self.bound.problem(value)
        if problem:
            raise ValueError(problem)
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data}"


class PercentField(DecimalTextField):
    """A fraction (`persistence`, an optimism bias) typed and shown as a percentage: "80" or
    "80 %" is kept as 0.8; `places` are the percentage's (2, for a fraction's 4), and the
    bound, the fraction's, words its message in percentages (`NumberBound.percent`)."""

    typed_per_stored = 100

    def process_formdata(self, valuelist):
        text = ((valuelist[0] if valuelist else "") or "").strip().removesuffix("%")
        super().process_formdata([text])

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{(self.data * 100).normalize():f}"


class PenceField(DecimalTextField):
    """A sum of money kept in pence (`implementation_cost_pence`), typed and shown in pounds.
    Give it `name=` for the name people post, without "_pence"."""

    def process_data(self, value) -> None:
        self.data = None if value is None else Decimal(value) / 100

    def populate_obj(self, obj, name) -> None:
        setattr(obj, name, int((self.data or Decimal(0)) * 100))


class FloatTextField(DecimalTextField):
    """A statistic kept as a float (an expected effect), typed as text and checked as a
    decimal like any other number; a record's float shows as its shortest decimal."""

    def process_data(self, value) -> None:
        self.data = None if value is None else Decimal(str(value))

    def populate_obj(self, obj, name) -> None:
        setattr(obj, name, None if self.data is None else float(self.data))


class EnumRadioField(RadioField):
    """GOV.UK radios, one per member of `enum`; the data is the member, from a post or a
    record. A posted value that is no member stays text, which the choice check refuses."""

    def __init__(self, label=None, validators=None, *, enum, **kwargs):
        super().__init__(
            label,
            validators,
            choices=enum.choices(),
            coerce=lambda value: enum.parse(value) or value,
            widget=GovRadioInput(),
            **kwargs,
        )


class YesNoField(RadioField):
    """GOV.UK radios for a yes-or-no question: `choices` are ("yes", ...) and ("no", ...); the
    data is True or False, from a post or a record."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=_yes_or_no, widget=GovRadioInput(), **kwargs)


def _yes_or_no(value):
    # Anything but "yes"/"no" (or a bool from the record) stays as it is: not a valid choice.
    return {"yes": True, "no": False}.get(value, value) if isinstance(value, str) else value


class WholeNumberField(StringField):
    """A whole number typed as text ("12,000") within `bound`, with GOV.UK wording for errors."""

    widget = GovTextInput()

    def __init__(
        self, label=None, validators=None, *, bound: NumberBound, what: str = "a number", **kwargs
    ):
        super().__init__(label, validators, **kwargs)
        self.bound = bound
        self.what = what

    def process_formdata(self, valuelist):
        text = ((valuelist[0] if valuelist else "") or "").strip().replace(",", "")
        self.data = None
        if not text:
            return
        # ASCII digits only: str.isdigit alone takes "²", which int() refuses.
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"Enter {self.what} as a whole number, like 1200")
        # More digits than any bound has is outside it (and int() refuses over 4,300 digits).
        too_long = len(text.lstrip("0")) > 20
        problem = self.bound.message if too_long else self.bound.problem(int(text))
        if problem:
            raise ValueError(problem)
        self.data = int(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


# The largest id a record can have (`bounds.RECORD_ID`).
MAX_RECORD_ID = RECORD_ID.high


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
