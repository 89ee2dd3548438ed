"""The register's plain select markup is the GOV.UK widget's, character for character."""

import pytest
from flask import render_template_string

from gains.improvements.forms import FilterForm

MACRO = '{% from "improvements/partials/filter_select.html" import filter_select %}'


@pytest.mark.parametrize(
    "query",
    ["", "?status=running&sort=title", "?kind=nonsense&design=paired", "?team=2&department=1"],
)
def test_filter_select_renders_what_the_widget_renders(app, db, query):
    with app.test_request_context(f"/improvements/{query}"):
        from flask import request

        form = FilterForm(request.args)
        form.department.choices = [("", "Any department"), ("1", "Tax & <Customs>")]
        form.team.choices = [("", "Any team"), ("2", "Team “two” (TC)")]
        form.validate()
        for field in form:
            if field.type != "SelectField":
                continue
            plain = render_template_string(MACRO + "{{ filter_select(field) }}", field=field)
            assert plain == str(field()), field.name
