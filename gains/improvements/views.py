"""Improvements: the register, registration, editing, amendments and status changes."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gains.access import get_scoped_or_404, scoped
from gains.exports import csv_response
from gains.extensions import db
from gains.figures_cache import figures_response
from gains.form_fields import record_id
from gains.htmx_support import render_page_or_fragment, wants_fragment
from gains.improvements import blueprint
from gains.improvements.chart_notes import charts_context
from gains.improvements.cycles import cycles_context
from gains.improvements.downloads import described, estimate_table, file_name
from gains.improvements.forms import (
    SORTS,
    FilterForm,
    ImprovementForm,
    StopReasonForm,
    amendment_form_class,
    changes_from,
    plan_form,
)
from gains.improvements.presenters import estimate_view, locked_values, money_terms
from gains.improvements.similar import CHECK_SIMILAR, similar_panel
from gains.measurements.context import measurements_section
from gains.models import (
    Department,
    Design,
    Improvement,
    ImprovementKind,
    Pillar,
    Status,
    Team,
)
from gains.paging import paginate_by_key
from gains.security import svg_response
from gains.services.estimates.charts import CHART_KINDS, improvement_chart_svg
from gains.services.estimates.listed import listed_results
from gains.services.estimates.summaries import measurement_counts
from gains.services.ideas.adoption import idea_panel
from gains.services.improvements import workflow
from gains.services.improvements.locking import (
    LOCK_TABLE,
    LocksFrom,
    amended_with,
    labels_locking_from,
    locked_fields,
)
from gains.services.improvements.plan_changes import LockedFieldError, amend_fields, update_plan
from gains.services.improvements.planning import planning_for
from gains.services.improvements.register import RegisterFilters, filter_register, order_register
from gains.services.improvements.stopping import record_stop_reason
from gains.services.improvements.workflow import (
    DuplicateTitleError,
    ImprovementPlan,
    ImprovementWithdrawn,
    WorkflowError,
)
from gains.services.public.publication import change_warning
from gains.services.review.notes import standing_review

PAGE_SIZE = 25
# The page names the improvement's department and team: joined, not two more queries (the
# team's composite key misses the identity map, so it would always be a query).
SHOWN_WITH_IMPROVEMENT = (joinedload(Improvement.team), joinedload(Improvement.department))
FILTER_ENUMS = {"kind": ImprovementKind, "pillar": Pillar, "status": Status, "design": Design}


def _filter_form() -> FilterForm:
    form = FilterForm(request.args)
    # Plain rows, not records: the choices need three columns (a list page's share of its
    # time went on loading every team and department as objects).
    departments = db.session.execute(
        scoped(select(Department.id, Department.name), current_user).order_by(Department.name)
    )
    teams = db.session.execute(
        scoped(select(Team.id, Team.name, Department.code), current_user)
        .join(Department, Department.id == Team.department_id)
        .order_by(Department.code, Team.name)
    )
    form.department.choices = [("", "Any department")] + [
        (str(id_), name) for id_, name in departments
    ]
    form.team.choices = [("", "Any team")] + [
        (str(id_), f"{name} ({code})") for id_, name, code in teams
    ]
    form.validate()  # unknown values fall back to "any" below rather than erroring
    return form


def _filtered(form: FilterForm):
    """The form's values as the register's filters; unknown values mean "any"."""
    chosen = {}
    for name, enum in FILTER_ENUMS.items():
        chosen[name] = enum.parse(form[name].data)
    for name in ("department", "team"):
        value = form[name].data or ""
        chosen[f"{name}_id"] = record_id(value)
    filters = RegisterFilters(q=form.q.data or "", **chosen)
    return filter_register(scoped(select(Improvement), current_user), filters)


@blueprint.route("/")
def index():
    form = _filter_form()
    sort = form.sort.data if form.sort.data in SORTS else "updated"
    listed = paginate_by_key(
        order_register(_filtered(form), sort),
        request.args.get("page", 1, type=int) or 1,
        PAGE_SIZE,
        *SHOWN_WITH_IMPROVEMENT,  # every row shows its team and department
    )
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_page_or_fragment(
        "improvements/index.html",
        "improvements/partials/results.html",
        form=form,
        listed=listed,
        counts=measurement_counts(i.id for i in listed.items),
        results=listed_results(listed.items),
        filters=filters,
        may_register=bool(workflow.teams_for_registration(current_user)),
    )


def _show_error(form, error: WorkflowError, field: str | None = None) -> None:
    target = form[field] if field and field in form else None
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        form.form_errors.append(str(error))


@blueprint.route("/new", methods=["GET", "POST"])
def new():
    teams = workflow.teams_for_registration(current_user)
    if not teams:
        abort(403)
    checking = request.method == "GET" and CHECK_SIMILAR in request.args
    # "Check for similar improvements" sends the form by GET: shown again as typed, unsaved.
    form = ImprovementForm(formdata=request.args) if checking else ImprovementForm()
    form.team.choices = [(team.id, f"{team.name} ({team.department.code})") for team in teams]
    panel = similar_panel(request.form if request.method == "POST" else request.args)
    for name in ("title", "hypothesis"):
        form[name].errors = [*form[name].errors, *panel["similar_form"][name].errors]
    if form.validate_on_submit():
        team = next((t for t in teams if t.id == form.team.data), None)
        plan = ImprovementPlan(**changes_from(form))
        try:
            improvement = workflow.create_improvement(current_user, team, plan)
        except DuplicateTitleError as error:
            _show_error(form, error, "title")
        except WorkflowError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(f"“{improvement.title}” is registered as a draft.", "success")
            return redirect(url_for(".view", improvement_id=improvement.id), code=303)
    return render_template(
        "improvements/new.html",
        form=form,
        locking={stage.name: labels_locking_from(stage) for stage in LocksFrom},
        **panel,
    ), 422 if form.errors else 200


@blueprint.route("/<int:improvement_id>")
def view(improvement_id: int):
    improvement = get_scoped_or_404(
        Improvement, improvement_id, current_user, options=SHOWN_WITH_IMPROVEMENT
    )
    view_model = estimate_view(improvement)
    section = measurements_section(improvement, current_user, request.args.get("page", 1, type=int))
    # The section's cells count the active rows by phase and group (no second count) and
    # give the chart tables their means.
    cells = section["measurements_section"].cells
    counts = {(c.phase, c.group): c.n for c in cells}
    return render_template(
        "improvements/view.html",
        improvement=improvement,
        estimate=view_model,
        money_terms=money_terms(improvement),
        # The write services' own rule, on the loaded record: no query (equal to the
        # scoped write query, tests/services/test_access.py).
        may_change=workflow.may_change(current_user, improvement),
        locked=locked_fields(improvement),
        problems=workflow.submission_problems(improvement, counts)
        if improvement.status in workflow.ALLOWED_FROM["submit"]
        else [],
        withdrawal=workflow.withdrawal_of(improvement),
        review_note=standing_review(improvement),
        planning=planning_for(improvement, cells),
        idea=idea_panel(current_user, improvement),
        **section,
        **charts_context(improvement, cells),
        **cycles_context(improvement),
    )


@blueprint.route("/<int:improvement_id>/estimate.csv")
def estimate_csv(improvement_id: int):
    """The current estimate as the page shows it, one row headed by column keys."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    table = estimate_table(improvement, estimate_view(improvement))
    return csv_response(table, described(improvement), file_name(improvement, table))


@blueprint.route("/<int:improvement_id>/charts/<kind>.svg")
def chart(improvement_id: int, kind: str):
    """An improvement's chart as SVG, re-drawn only when the figures have moved."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    if kind not in CHART_KINDS:
        abort(404)

    def render() -> Response:
        svg = improvement_chart_svg(improvement, kind)
        if svg is None:
            abort(404)
        return svg_response(svg)

    return figures_response(render, "improvement-chart", improvement.id, kind)


@blueprint.route("/<int:improvement_id>/estimate")
def estimate(improvement_id: int):
    """The estimate panel alone, for htmx to refresh when measurements change."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    if not wants_fragment():
        return redirect(url_for(".view", improvement_id=improvement.id, _anchor="estimate"))
    view_model = estimate_view(improvement)
    return render_page_or_fragment(
        "improvements/partials/estimate.html",
        "improvements/partials/estimate.html",
        improvement=improvement,
        estimate=view_model,
        may_change=workflow.may_change(current_user, improvement),
    )


@blueprint.route("/<int:improvement_id>/charts")
def charts_panel(improvement_id: int):
    """The charts panel alone, for htmx to redraw when measurements change."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    if not wants_fragment():
        return redirect(url_for(".view", improvement_id=improvement.id, _anchor="charts"))
    return render_page_or_fragment(
        "improvements/partials/charts.html",
        "improvements/partials/charts.html",
        improvement=improvement,
        **charts_context(improvement),
    )


@blueprint.route("/<int:improvement_id>/edit", methods=["GET", "POST"])
def edit(improvement_id: int):
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    form = plan_form(ImprovementForm, improvement)
    del form.team  # an improvement stays with the team that registered it
    locked = locked_fields(improvement)
    # Locked fields are shown with a link to amend them, not offered. One posted anyway (a
    # crafted post, or a page opened before the field locked) stays in the form, so that the
    # service refuses a change to it rather than the page dropping it unsaid.
    for plan_name in locked:
        if request.method == "GET" or form[plan_name].name not in request.form:
            del form[plan_name]
    status = 200
    if form.validate_on_submit():
        try:
            changed = update_plan(current_user, improvement, changes_from(form))
        except (LockedFieldError, ImprovementWithdrawn) as error:
            db.session.rollback()
            _show_error(form, error)
            status = 409  # the record's state, not the input
        except WorkflowError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash("Your changes are saved." if changed else "Nothing changed.", "success")
            return redirect(url_for(".view", improvement_id=improvement.id), code=303)
    return render_template(
        "improvements/edit.html",
        form=form,
        improvement=improvement,
        locked_shown=locked_values(improvement, locked),
        editable=len(locked) < len(LOCK_TABLE),
        withdrawal=workflow.withdrawal_of(improvement),
    ), 422 if status == 200 and form.errors else status


@blueprint.route("/<int:improvement_id>/amend/<field_name>", methods=["GET", "POST"])
def amend(improvement_id: int, field_name: str):
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    if field_name not in locked_fields(improvement):
        abort(404)
    form = plan_form(amendment_form_class(field_name), improvement)
    together = amended_with(field_name)
    status = 200
    if form.validate_on_submit():
        # The field asked for, and those of its range that were posted (a post without them
        # leaves them as they are).
        posted = changes_from(form)
        values = {
            name: posted[name]
            for name in together
            if name == field_name or form[name].name in request.form
        }
        try:
            amend_fields(current_user, improvement, values, form.reason.data)
        except ImprovementWithdrawn as error:
            db.session.rollback()
            _show_error(form, error)
            status = 409
        except WorkflowError as error:
            db.session.rollback()
            _show_error(form, error, field_name)
        else:
            db.session.commit()
            flash("The amendment is recorded and shown in the history.", "success")
            return redirect(url_for(".view", improvement_id=improvement.id), code=303)
    return render_template(
        "improvements/amend.html",
        form=form,
        improvement=improvement,
        field=form[field_name],
        fields=[form[name] for name in together],
        field_name=field_name,
        label=LOCK_TABLE[field_name].label,
        change_warning=change_warning(improvement),
        withdrawal=workflow.withdrawal_of(improvement),
    ), 422 if status == 200 and form.errors else status


@blueprint.route("/<int:improvement_id>/stop", methods=["GET", "POST"])
def stop(improvement_id: int):
    """Record why a running improvement stopped before its planned sample size."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    form = StopReasonForm()
    status = 200
    if form.validate_on_submit():
        try:
            record_stop_reason(current_user, improvement, form.reason.data)
        except WorkflowError as error:
            db.session.rollback()
            _show_error(form, error, "reason")
            status = 409  # not running, or recorded already: the record's state, not the input
        else:
            db.session.commit()
            flash("Recorded. The fixed-sample result is now the final one.", "success")
            return redirect(url_for(".view", improvement_id=improvement.id), code=303)
    return render_template(
        "improvements/stop.html", form=form, improvement=improvement
    ), 422 if status == 200 and form.errors else status
