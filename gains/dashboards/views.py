"""A department's dashboard: its pooled effect, savings and forest plot."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from gains import numbers
from gains.access import get_scoped_or_404, reads_every_department, scoped
from gains.auth import allowed_if
from gains.charts.forest import ForestRow, forest_plot_svg
from gains.dashboards import blueprint
from gains.dashboards.department_tables import department_tables
from gains.exports import csv_response
from gains.extensions import db
from gains.figures_cache import cached_figures, cached_render, figures_response
from gains.models import Department
from gains.models.base import utcnow
from gains.security import svg_response
from gains.services.dashboards.department import (
    DepartmentDashboard,
    department_dashboard,
    department_lists,
    department_pooling,
    may_download_department,
)
from gains.stats.pooling import METHOD_NAMES, METHODS


def _method() -> str:
    method = request.args.get("method", "dl")
    return method if method in METHODS else "dl"


def _include_level_2() -> bool:
    """Before/after-only improvements (evidence level 2) are pooled only when asked."""
    return request.args.get("level_2") == "include"


@blueprint.route("/departments/")
def departments():
    if not reads_every_department(current_user):
        return redirect(url_for(".department", department_id=current_user.department_id))
    rows = db.session.scalars(scoped(select(Department), current_user).order_by(Department.name))
    return render_template("dashboards/departments.html", departments=rows.all())


@blueprint.route("/departments/<int:department_id>")
def department(department_id: int):
    record = get_scoped_or_404(Department, department_id, current_user)
    method, include_level_2 = _method(), _include_level_2()
    # The counts that link to the list, and which titles are links, as this person's list
    # shows them (a member opens only their team's improvements).
    lists = department_lists(current_user, record.id)

    def render_figures() -> str:  # reads cached estimates, writes nothing
        dashboard = _dashboard(record, method, include_level_2)
        return render_template(
            "dashboards/partials/department_figures.html",
            dashboard=dashboard,
            method=dashboard.pooling.method,
            lists=lists,
        )

    # The same for everyone who may open the same improvements: rendered once per figures
    # version and per such set.
    figures = cached_render(
        ("department", record.id, method, include_level_2, lists), render_figures
    )
    return render_template(
        "dashboards/department.html",
        department=record,
        figures=figures,
        may_download=may_download_department(current_user),
        method=method,
        include_level_2=include_level_2,
    )


def _dashboard(record: Department, method: str, include_level_2: bool) -> DepartmentDashboard:
    """The department's figures, computed once per figures version: the page and its files
    show the same numbers."""
    return cached_figures(
        ("department-dashboard", record.id, method, include_level_2),
        lambda: department_dashboard(record, method, include_level_2),
    )


@blueprint.route("/departments/<int:department_id>/<table>.csv")
@allowed_if(may_download_department)
def department_export(department_id: int, table: str):
    record = get_scoped_or_404(Department, department_id, current_user)
    method, include_level_2 = _method(), _include_level_2()
    tables = department_tables(_dashboard(record, method, include_level_2))
    if table not in tables:
        abort(404)
    described = [
        ("Department", record.name),
        ("Pooled by", METHOD_NAMES[method]),
        ("Before/after-only improvements pooled", "yes" if include_level_2 else "no"),
        ("Produced", f"{utcnow():%d %B %Y %H:%M} UTC"),
    ]
    return csv_response(
        tables[table],
        described,
        f"gains-department-{record.id}-{table}-{utcnow():%Y%m%d}.csv",
    )


@blueprint.route("/departments/<int:department_id>/forest.svg")
def forest_plot(department_id: int):
    record = get_scoped_or_404(Department, department_id, current_user)
    method, include_level_2 = _method(), _include_level_2()

    def render() -> Response:
        pooling = department_pooling(record.id, method, include_level_2)
        rows = [ForestRow(s.title, s.hedges_g, *s.ci) for s in pooling.studies]
        result = pooling.result
        pooled = (
            numbers.with_interval(result.estimate, result.ci_low, result.ci_high) if result else ()
        )
        svg = forest_plot_svg(
            rows,
            pooling.result,
            title=f"Forest plot of approved improvements, {record.name}",
            description=(
                f"Standardised effect (Hedges' g, positive is better) with 95% intervals for "
                f"{len(rows)} approved improvements"
                + (
                    f", pooled by {method.upper()}: {pooled[0]} ({pooled[1]} to {pooled[2]}, "
                    f"{pooling.ci_method_name} interval)."
                    if pooling.result
                    else "."
                )
            ),
        )
        return svg_response(svg)

    return figures_response(render, "forest", record.id, method, include_level_2)
