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
from wtforms import PasswordField, RadioField, SelectFieldBase, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from gains.bounds import RECORD_ID, DateBound, NumberBound, TextBound, subject, text_problem


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
    question asking why ("Why is it withdrawn?") as "the reason", any other as "your answer"."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()
    if text.endswith("?") and text.startswith("Why "):
        return "the reason"
    if not text or text.endswith("?"):
        return "your answer"
    return f"the {text[0].lower()}{text[1:]}"


def _subject(label: str) -> str:
    """How a message starts with a field: "Go-live date (optional)" as "Go-live date"; a
    question as "Your answer"."""
    named = _named(label)
    return "Your answer" if named == "your answer" else subject(named)


class GovukMessages:
    """WTForms' own messages ("This field is required.", "Not a valid date value.") in the
    words of the GOV.UK Design System's error messages, naming the field by its label: "Enter
    the title", "Go-live date must be a real date", "Title must be 200 characters or fewer".

    WTForms asks each field for its messages through `field.gettext` and `field.ngettext`
    (its hook for translations), so `BoundedForm` gives every field one of these and no form
    or validator words them itself. A message a validator was given is never asked for.
    `DEFAULTS` is every message WTForms 3 can give a form of Gains; any other text (there is
    none today) passes through unchanged.
    """

    DEFAULTS = (
        "This field is required.",
        "Not a valid date value.",
        "Not a valid datetime value.",
        "Not a valid time value.",
        "Not a valid week value.",
        "Not a valid integer value.",
        "Not a valid decimal value.",
        "Not a valid float value.",
        "Not a valid choice.",
        "Invalid Choice: could not coerce.",
        "Invalid input.",
        "Invalid email address.",
        "Field must be equal to %(other_name)s.",
        "Field must be between %(min)d and %(max)d characters long.",
        "Number must be at least %(min)s.",
        "Number must be at most %(max)s.",
        "Number must be between %(min)s and %(max)s.",
        "Invalid value, must be one of: %(values)s.",
        "Invalid value, can't be any of: %(values)s.",
        "This field cannot be edited.",
        "This field is disabled and cannot have a value.",
    )
    # ngettext's plurals, by their singular.
    COUNTED = (
        "Field must be at least %(min)d character long.",
        "Field cannot be longer than %(max)d character.",
        "Field must be exactly %(max)d character long.",
        "'%(value)s' is not a valid choice for this field.",
    )

    def __init__(self, field) -> None:
        self.field = field

    def _words(self, formatted: bool) -> tuple[str, str, str]:
        """The field as a message's subject ("Title") and object ("the title"), and what
        choosing it is ("Select" for radios and lists, else "Enter"); `formatted` escapes "%"
        for a message WTForms then fills in with `%`."""
        label = self.field.label.text if self.field.label else ""
        named, start = _named(label), _subject(label)
        if formatted:
            named, start = named.replace("%", "%%"), start.replace("%", "%%")
        verb = "Select" if isinstance(self.field, SelectFieldBase) else "Enter"
        return start, named, verb

    def gettext(self, string: str) -> str:
        start, named, verb = self._words(formatted="%(" in string)
        return {
            "This field is required.": f"{verb} {named}",
            "Not a valid date value.": f"{start} must be a real date",
            "Not a valid datetime value.": f"{start} must be a real date and time",
            "Not a valid time value.": f"{start} must be a real time",
            "Not a valid week value.": f"{start} must be a real week",
            "Not a valid integer value.": f"{start} must be a whole number",
            "Not a valid decimal value.": f"{start} must be a number",
            "Not a valid float value.": f"{start} must be a number",
            "Not a valid choice.": f"Select {named} from the choices given",
            "Invalid Choice: could not coerce.": f"Select {named} from the choices given",
            "Invalid input.": f"Enter {named} in the correct format",
            "Invalid email address.": "Enter an email address in the correct format, like "
            "name@example.com",
            "Field must be equal to %(other_name)s.": f"{start} must match %(other_label)s",
            "Field must be between %(min)d and %(max)d characters long.": f"{start} must be "
            "between %(min)d and %(max)d characters",
            "Number must be at least %(min)s.": f"{start} must be %(min)s or more",
            "Number must be at most %(max)s.": f"{start} must be %(max)s or less",
            "Number must be between %(min)s and %(max)s.": f"{start} must be between %(min)s "
            "and %(max)s",
            "Invalid value, must be one of: %(values)s.": f"Select {named} from the choices given",
            "Invalid value, can't be any of: %(values)s.": f"Enter a different {named[4:]}"
            if named.startswith("the ")
            else f"Enter a different answer for {named}",
            "This field cannot be edited.": f"{start} cannot be changed",
            "This field is disabled and cannot have a value.": f"{start} cannot be changed",
        }.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        start, named, _verb = self._words(formatted=True)
        return {
            "Field must be at least %(min)d character long.": f"{start} must be {n:,} "
            f"character{'' if n == 1 else 's'} or more",
            "Field cannot be longer than %(max)d character.": f"{start} must be {n:,} "
            f"character{'' if n == 1 else 's'} or fewer",
            "Field must be exactly %(max)d character long.": f"{start} must be {n:,} "
            f"character{'' if n == 1 else 's'}",
            "'%(value)s' is not a valid choice for this field.": f"Select {named} from the "
            "choices given",
        }.get(singular, singular if n == 1 else plural)


def _plain_text(form, field) -> None:
    if isinstance(field.data, str):
        multiline = isinstance(field, TextAreaField)
        problem = text_problem(field.data, _named(field.label.text), multiline=multiline)
        if problem:
            raise StopValidation(problem)


class BoundedForm(FlaskForm):
    """Every form of Gains: each text field refuses control characters and lone surrogates
    (`gains.bounds.text_problem`) before its own validators run, so no form can forget to,
    whether it is posted or read from a query string; and every field words WTForms' own
    messages as GOV.UK does (`GovukMessages`).

    Passwords are left alone: they are hashed, never stored or compared as text, and
    refusing characters in them could only lock someone out.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field._translations = GovukMessages(field)
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
            raise ValueError(f"{subject(self.what)} must be a number") from None
        if not value.is_finite():
            raise ValueError(f"{subject(self.what)} must be a number")
        if -value.as_tuple().exponent > self.places:
            raise ValueError(
                f"{subject(self.what)} must have no more than {self.places} decimal places"
            )
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
            raise ValueError(f"{subject(self.what)} must be a whole number")
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
