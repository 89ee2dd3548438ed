"""Every form of Gains words its errors as the GOV.UK Design System does: no WTForms default
("This field is required.", "Not a valid date value.", "Field cannot be longer than 200
characters.") reaches a page, whatever is posted (issue 21)."""

import importlib
import pkgutil

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectFieldBase, TextAreaField
from wtforms.validators import InputRequired, Length

import gains
from gains.form_fields import BoundedForm, GovukMessages
from gains.improvements.forms import DatePartsField, ImprovementForm, amendment_form_class

# WTForms' own words, as they read once filled in: each message it can give (the list in
# GovukMessages.DEFAULTS and COUNTED) begins with one of these or holds the last.
WTFORMS_WORDS = (
    "This field is required",
    "Not a valid",
    "Field must",
    "Field cannot",
    "Invalid",
    "Number must",
    "is not a valid choice",
    "This field cannot be edited",
    "This field is disabled",
    "Choices cannot be None",
)


def form_classes() -> list[type[BoundedForm]]:
    """Every form class in the app, found by walking its modules, so a new form is tested
    without being listed here."""
    for module in pkgutil.walk_packages(gains.__path__, "gains."):
        if module.name.endswith("forms"):
            importlib.import_module(module.name)
    found, waiting = [], [BoundedForm]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            found.append(subclass)
            waiting.append(subclass)
    return [*found, amendment_form_class("title"), amendment_form_class("annual_volume")]


def posted(form_class, value: str) -> MultiDict:
    """`value` for every field of the form (three times for a date's day, month and year)."""
    with_choices = form_class(formdata=None)
    data = MultiDict()
    for field in with_choices:
        if isinstance(field, DatePartsField):
            for part in (value, value, value):
                data.add(field.name, part)
        else:
            data.add(field.name, value)
    return data


CASES = {
    "empty": "",
    "too long": "x" * 10_001,
    "wrong type": "not a number",
    "no such choice": "nonsense",
}


def errors_of(form) -> list[str]:
    found = list(form.form_errors)
    for field in form:
        found.extend(str(message) for message in field.errors)
    return found


@pytest.mark.parametrize("case", CASES)
def test_no_form_gives_a_wtforms_default_message(app, case):
    classes = form_classes()
    assert len(classes) >= 25  # every area's forms were found
    seen = []
    with app.test_request_context("/", method="POST"):
        for form_class in classes:
            form = form_class(formdata=posted(form_class, CASES[case]))
            for field in form:
                if isinstance(field, SelectFieldBase) and field.choices is None:
                    field.choices = [("1", "One")]  # the view offers these
            form.validate()
            for message in errors_of(form):
                seen.append(message)
                wtforms = [words for words in WTFORMS_WORDS if words in message]
                assert not wtforms, (form_class.__name__, message)
    assert seen  # the posts were refused, so the messages were really looked at


def improvement_errors(app, **values) -> dict[str, list[str]]:
    data = MultiDict({"title": "A title", **values})
    for name, parts in values.items():
        if isinstance(parts, list):
            data.setlist(name, parts)
    with app.test_request_context("/", method="POST"):
        form = ImprovementForm(formdata=data)
        form.team.choices = [(1, "One")]
        form.validate()
        return form.errors


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": "x" * 201}, "title", "Title must be 200 characters or fewer"),
        ({"go_live_on": ["31", "2", "2026"]}, "go_live_on", "Go-live date must be a real date"),
        ({"annual_volume": "lots"}, "annual_volume", "Annual volume must be a whole number"),
        (
            {"implementation_cost": "£ten"},
            "implementation_cost_pence",
            "Implementation cost must be a number",
        ),
        ({"kind": "nonsense"}, "kind", "Select the kind of improvement from the choices given"),
    ],
)
def test_messages_name_the_field_as_govuk_does(app, values, field, message):
    assert message in improvement_errors(app, **values)[field]


def test_a_required_choice_asks_to_select_and_a_question_is_the_reason(app):
    class Asked(BoundedForm):
        colour = RadioField("Colour", choices=[("red", "Red")], validators=[InputRequired()])
        reason = TextAreaField("Why is it red?", validators=[Length(max=5)])

    with app.test_request_context("/", method="POST"):
        form = Asked(formdata=MultiDict({"reason": "far too long"}))
        form.validate()
    assert form.errors == {
        "colour": ["Select the colour"],
        "reason": ["Reason must be 5 characters or fewer"],
    }


def test_every_wtforms_default_is_reworded():
    class Labelled:
        label = type("Label", (), {"text": "Go-live date (optional)"})()

    words = GovukMessages(Labelled())
    for default in GovukMessages.DEFAULTS:
        assert words.gettext(default) != default
    for default in GovukMessages.COUNTED:
        assert words.ngettext(default, default + "s", 3) != default
