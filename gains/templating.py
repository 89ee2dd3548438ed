"""Jinja set-up: GOV.UK macros, filters for money, numbers and dates, and per-request globals."""

from __future__ import annotations

from flask import Flask, g, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers, wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from gains import numbers
from gains.models import ImprovementKind, Phase, Pillar, StudyGroup
from gains.navigation import navigation_for, permissions_for

# The filters are thin wrappers over gains/numbers.py, the one number style (decision 0040).
format_gbp = numbers.gbp
format_pence_as_gbp = numbers.pence_gbp
format_gbp_rate = numbers.gbp_rate
format_date = numbers.govuk_date
format_number = numbers.number
format_p_value = numbers.p_value


def summary_row(pair: tuple) -> dict:
    """(key html, value text) -> a govukSummaryList row."""
    key_html, value = pair
    return {"key": {"html": key_html}, "value": {"text": value}}


def error_summary(form) -> dict:
    """The GOV.UK error summary's parameters for `form`, each link naming an element the
    summary's script can focus: a date input's box to fix first (the day unless a part is
    missing), not its wrapper (the widget's own `wtforms_errors` links to the wrapper's id, a
    `<div>`); then the form-wide problems."""
    summary = wtforms_errors(form)
    date_parts = {
        f"#{field.id}": getattr(field, "first_part_to_fix", "day")
        for field in form
        if isinstance(field.widget, GovDateInput)
    }
    for item in summary["errorList"]:
        if item.get("href") in date_parts:
            item["href"] += f"-{date_parts[item['href']]}"
    summary["errorList"] += [{"text": message} for message in form.form_errors]
    return summary


def service_navigation() -> list[dict]:
    """The signed-in person's (or a visitor's) links, marked for the page being shown."""
    endpoint = request.endpoint or ""
    return [item.govuk(url_for(item.endpoint), endpoint) for item in navigation_for(current_user)]


def init_app(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    app.add_template_global(error_summary)
    app.add_template_filter(format_gbp, "gbp")
    app.add_template_filter(format_pence_as_gbp, "pence_gbp")
    app.add_template_filter(format_gbp_rate, "gbp_rate")
    app.add_template_filter(format_date, "govuk_date")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(summary_row, "plan_row")
    app.add_template_filter(format_p_value, "p_value")
    app.add_template_filter(numbers.govuk_datetime, "govuk_datetime")
    app.add_template_filter(numbers.govuk_month, "govuk_month")
    app.add_template_filter(numbers.count, "count")
    app.add_template_filter(numbers.percent, "percent")
    app.add_template_filter(numbers.estimate_pence_gbp, "estimate_gbp")
    app.add_template_filter(numbers.estimate_with_interval, "estimate_with_interval")
    app.add_template_filter(numbers.interval, "interval")
    app.add_template_filter(numbers.plural, "plural")
    app.add_template_filter(numbers.word_for, "word_for")
    app.add_template_filter(numbers.per_unit, "per_unit")
    app.add_template_filter(numbers.amount_of_unit, "with_unit")

    @app.context_processor
    def inject_globals():
        return {
            "cspNonce": g.get("csp_nonce"),
            # Role rules as flags from the predicates the routes use: templates compare no roles.
            "may": permissions_for(current_user),
            "service_navigation": service_navigation,
            "Phase": Phase,
            "StudyGroup": StudyGroup,
            "Pillar": Pillar,
            "ImprovementKind": ImprovementKind,
        }
