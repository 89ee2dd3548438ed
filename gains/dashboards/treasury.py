"""Treasury's cumulative savings dashboard and its exports."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, render_template, request
from sqlalchemy import func, select

from gains import numbers
from gains.auth import allowed_if
from gains.charts.cumulative import CumulativePoint, cumulative_savings_svg
from gains.charts.tornado import TornadoBar, tornado_svg
from gains.dashboards import blueprint
from gains.dashboards.treasury_tables import lasting_on_the_page, treasury_tables
from gains.exports import csv_response, table_to_csv, table_to_xlsx
from gains.extensions import db
from gains.figures_cache import cached_render, figures_response, treasury_figures
from gains.form_fields import record_id
from gains.ideas.presenting import spread_table
from gains.models import Department, Improvement, ImprovementKind, Pillar
from gains.models.base import utcnow
from gains.security import svg_response
from gains.services.dashboards.treasury import Sensitivity, TreasuryFilters, may_see_treasury
from gains.services.ideas.spread import spread_ideas
from gains.stats.evidence import LEVELS
from gains.stats.money import month_starts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(raw: str | None) -> date | None:
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def _filters() -> TreasuryFilters:
    """Filters from the query string; values that are not valid are ignored, not errors."""
    known = set(db.session.scalars(select(Department.id)))
    asked = {record_id(value) for value in request.args.getlist("department")}
    ids = tuple(sorted(asked & known))
    return TreasuryFilters(
        department_ids=ids,
        pillar=Pillar.parse(request.args.get("pillar")),
        kind=ImprovementKind.parse(request.args.get("kind")),
        start=_month(request.args.get("from")),
        end=_month(request.args.get("to")),
        level=_level(request.args.get("level")),
    )


def _level(raw: str | None) -> int | None:
    """An evidence level 2-5, or None for "all" (and for anything else)."""
    return int(raw) if raw in {str(level) for level in LEVELS} else None


def _month_choices(today: date) -> list[date]:
    first = db.session.scalar(select(func.min(Improvement.go_live_on))) or today
    return month_starts(first, today + timedelta(days=1))  # up to this month


@blueprint.route("/treasury")
@allowed_if(may_see_treasury)
def treasury():
    today = utcnow().date()
    filters = _filters()
    query = request.args.to_dict(flat=False)

    def render_figures() -> str:
        dashboard = treasury_figures(filters, today)
        departments = db.session.scalars(select(Department).order_by(Department.name)).all()
        return render_template(
            "dashboards/partials/treasury_figures.html",
            dashboard=dashboard,
            tables=treasury_tables(dashboard),
            lasting=lasting_on_the_page(dashboard),
            departments=departments,
            described=filters.describe({d.id: d.name for d in departments}),
            months=_month_choices(today),
            query=query,
        )

    # The same for every Treasury user: rendered once per figures version, filters and day
    # (the query string too, which the chart's and files' links repeat).
    query_key = tuple(sorted((name, tuple(values)) for name, values in query.items()))
    figures = cached_render(("treasury", filters, today, query_key), render_figures)
    return render_template("dashboards/treasury.html", figures=figures)


@blueprint.route("/treasury/cumulative.svg")
@allowed_if(may_see_treasury)
def treasury_chart():
    today = utcnow().date()

    def render() -> Response:
        dashboard = treasury_figures(_filters(), today)
        return svg_response(_cumulative_svg(dashboard.months))

    # The figures' own version, so the chart moves whenever the table beside it does.
    return figures_response(render, "cumulative", request.query_string.decode(), today.isoformat())


def _cumulative_svg(months) -> str:
    points = [
        CumulativePoint(
            p.month,
            p.claimed_pence / 100,
            p.claimed_low_pence / 100,
            p.claimed_high_pence / 100,
            p.validated_pence / 100,
            p.validated_low_pence / 100,
            p.validated_high_pence / 100,
        )
        for p in months
    ]
    last = months[-1] if months else None
    description = (
        f"Cumulative net savings by month from {numbers.govuk_month(points[0].month)} to "
        f"{numbers.govuk_month(points[-1].month)}: validated "
        f"{numbers.estimate_pence_gbp(last.validated_pence)}, claimed "
        f"{numbers.estimate_pence_gbp(last.claimed_pence)} at the end."
        if last
        else "No savings for these filters."
    )
    return cumulative_savings_svg(
        points, title="Cumulative savings, claimed and validated", description=description
    )


@blueprint.route("/treasury/sensitivity.svg")
@allowed_if(may_see_treasury)
def treasury_sensitivity_chart():
    today = utcnow().date()

    def render() -> Response:
        dashboard = treasury_figures(_filters(), today)
        return svg_response(_sensitivity_svg(dashboard.sensitivity))

    return figures_response(render, "sensitivity", request.query_string.decode(), today.isoformat())


def _sensitivity_svg(sensitivity: Sensitivity) -> str:
    """The sensitivity table as a tornado chart: one bar per assumption, its ends the
    headline under it (an end that is the headline itself is not drawn)."""
    base = sensitivity.headline_pence
    level_2, raw, low, high = sensitivity.scenarios
    bars = [
        TornadoBar("Evidence level 2 items", base, level_2.total_pence, "", "included"),
        TornadoBar("Shrinkage", base, raw.total_pence, "", "off (raw)"),
        TornadoBar(
            "Annual volume and £ per unit",
            low.total_pence,
            high.total_pence,
            "all at low",
            "all at high",
        ),
    ]
    description = (
        f"Validated annual savings, shrunk: {numbers.estimate_pence_gbp(base)} a year. "
    ) + " ".join(
        f"{scenario.label}: {numbers.estimate_pence_gbp(scenario.total_pence)}."
        for scenario in sensitivity.scenarios
    )
    return tornado_svg(
        base, bars, title="How the headline moves under other assumptions", description=description
    )


@blueprint.route("/treasury/<table>.<file_format>")
@allowed_if(may_see_treasury)
def treasury_export(table: str, file_format: str):
    if file_format not in ("csv", "xlsx"):
        abort(404)
    filters = _filters()
    dashboard = treasury_figures(filters, utcnow().date())
    tables = treasury_tables(dashboard)
    if table not in tables:
        abort(404)
    departments = {d.id: d.name for d in db.session.scalars(select(Department))}
    described = [*filters.describe(departments), ("Produced", f"{utcnow():%d %B %Y %H:%M} UTC")]
    if file_format == "csv":
        body, mimetype = table_to_csv(tables[table], described), "text/csv"
    else:
        body, mimetype = table_to_xlsx(tables[table], described), XLSX
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="gains-{table}-{utcnow():%Y%m%d}.{file_format}"'
    )
    return response


@blueprint.route("/treasury/ideas")
@allowed_if(may_see_treasury)
def treasury_ideas():
    """Which ideas spread, their pooled effect and their savings summed (issue 22)."""
    return render_template("dashboards/treasury_ideas.html", ideas=spread_ideas())


@blueprint.route("/treasury/ideas/spread.csv")
@allowed_if(may_see_treasury)
def treasury_ideas_csv():
    described = [("Produced", f"{utcnow():%d %B %Y %H:%M} UTC")]
    return csv_response(
        spread_table(spread_ideas()), described, f"gains-ideas-spread-{utcnow():%Y%m%d}.csv"
    )
