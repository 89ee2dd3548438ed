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
from gains.services.estimates import plain_english

# The filters are thin wrappers over gains/numbers.py, the one number style (decision 0040).
format_gbp = numbers.gbp
format_pence_as_gbp = numbers.pence_gbp
format_gbp_rate = numbers.gbp_rate
format_date = numbers.govuk_date
format_number = numbers.number
format_p_value = numbers.p_value
NUMBER_FILTERS = {
    "gbp": format_gbp,
    "pence_gbp": format_pence_as_gbp,
    "gbp_rate": format_gbp_rate,
    "govuk_date": format_date,
    "number": format_number,
    "p_value": format_p_value,
    "govuk_datetime": numbers.govuk_datetime,
    "govuk_month": numbers.govuk_month,
    "count": numbers.count,
    "exact": numbers.exact,
    "percent": numbers.percent,
    "places": numbers.to_places,
    "estimate_gbp": numbers.estimate_gbp,
    "estimate_pence_gbp": numbers.estimate_pence_gbp,
    "estimate_with_interval": numbers.estimate_with_interval,
    "plural": numbers.plural,
    "word_for": numbers.word_for,
    "per_unit": numbers.per_unit,
    "with_unit": numbers.amount_of_unit,
}


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
    app.add_template_global(numbers.with_interval, "with_interval")
    app.add_template_global(numbers.interval, "interval")
    # The words around statistics ("What does this mean?", plain readings): one module.
    app.add_template_global(plain_english, "plain_english")
    app.add_template_filter(summary_row, "plan_row")
    for name, number_filter in NUMBER_FILTERS.items():
        app.add_template_filter(number_filter, name)

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
