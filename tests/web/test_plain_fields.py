"""The plain GOV.UK field markup is the govuk-frontend-wtf widget's, character for character."""

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from gains.improvements.forms import FilterForm
from gains.measurements.forms import MeasurementForm

MACROS = '{% from "partials/plain_fields.html" import plain_input, plain_select %}'
MEASUREMENT_PARAMS = {
    "unit_ref": {"classes": "govuk-input--width-10"},
    "observed_on": {"classes": "govuk-input--width-10"},
    "value": {"classes": "govuk-input--width-5", "inputmode": "decimal", "spellcheck": False},
}


def plain_select(field) -> str:
    return render_template_string(MACROS + "{{ plain_select(field) }}", field=field)


def plain_input(field, params) -> str:
    return render_template_string(
        MACROS + "{{ plain_input(field, params) }}", field=field, params=params
    )


@pytest.mark.parametrize(
    "query",
    ["", "?status=running&sort=title", "?kind=nonsense&design=paired", "?team=2&department=1"],
)
def test_plain_selects_render_what_the_widget_renders(app, db, query):
    with app.test_request_context(f"/improvements/{query}"):
        from flask import request

        form = FilterForm(request.args)
        form.department.choices = [("", "Any department"), ("1", "Tax & <Customs>")]
        form.team.choices = [("", "Any team"), ("2", "Team “two” (TC)")]
        form.validate()
        selects = [field for field in form if field.type == "SelectField"]
        assert len(selects) == 7
        for field in selects:
            assert plain_select(field) == str(field()), field.name


@pytest.mark.parametrize(
    "data",
    [
        None,  # the blank add-a-measurement form every improvement page shows
        {"new-phase": "after", "new-group": "control", "new-value": ""},
        {"new-phase": "before", "new-unit_ref": "<b>u1</b>", "new-observed_on": "2026-01-05"},
    ],
)
def test_plain_measurement_fields_render_what_the_widget_renders(app, db, data):
    with app.test_request_context("/"):
        form = MeasurementForm(prefix="new", formdata=MultiDict(data) if data else None)
        if data:
            form.value.errors = ["Enter a number"]
        for name in ("phase", "group"):
            assert plain_select(form[name]) == str(form[name]()), name
        for name, params in MEASUREMENT_PARAMS.items():
            field = form[name]
            assert plain_input(field, params) == str(field(params=params)), name
