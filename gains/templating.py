"""Jinja set-up: GOV.UK macros, filters for money and dates, and per-request globals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import Flask, g, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers, wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from gains.models import ImprovementKind, Phase, Pillar, StudyGroup
from gains.navigation import navigation_for, permissions_for


def format_gbp(amount: Decimal | int | float | None, *, pence: bool = False) -> str:
    """£1,234 (or £1,234.56 with pence); negatives as −£1,234 so a loss cannot be misread."""
    if amount is None:
        return "–"
    value = Decimal(str(amount))
    quantum = Decimal("0.01") if pence else Decimal("1")
    value = value.quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"£{abs(value):,.2f}" if pence else f"£{abs(value):,.0f}"
    return f"−{text}" if value < 0 else text


def format_pence_as_gbp(amount_pence: int | None, *, pence: bool = False) -> str:
    """An amount held in pence (as every stored sum of money is), shown as `format_gbp`."""
    if amount_pence is None:
        return format_gbp(None)
    return format_gbp(Decimal(str(amount_pence)) / 100, pence=pence)  # str: numpy numbers too


def format_gbp_rate(amount: Decimal | None) -> str:
    """A £ rate per unit: pence always shown, and up to 4 decimals when they matter (£0.0075)."""
    if amount is None:
        return "–"
    value = Decimal(str(amount)).normalize()
    places = max(2, -value.as_tuple().exponent) if value != value.to_integral() else 2
    return f"£{value:,.{places}f}"


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    return f"{value.day} {value:%B %Y}"


def format_number(value: float | int | None, digits: int = 3) -> str:
    """A statistic to `digits` significant figures, with thousands separators."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"


def format_p_value(p: float | None) -> str:
    """p as people read it: three decimals, and "< 0.001" rather than 2.21e-05."""
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


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
