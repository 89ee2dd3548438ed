"""PDSA cycles on an improvement's page: start the next cycle, record what happened and the act
decision (plain forms on pages of their own, or htmx swaps of the cycles section), and the
cycles as CSV. The rules are services/improvements/cycles.py; decision 0048. The routes hang on
the improvements blueprint (imported by the app factory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from sqlalchemy import func, select

from gains.access import get_scoped_or_404
from gains.exports import csv_response
from gains.extensions import db
from gains.htmx_support import wants_fragment
from gains.improvements import blueprint
from gains.improvements.downloads import cycles_table, described, file_name
from gains.improvements.forms import UNDECIDED, CycleOutcomeForm, CycleStartForm
from gains.models import BatchStatus, Cycle, Improvement, UploadBatch
from gains.services.estimates.cycles import CycleEstimate, adopted_cycle, stored_cycle_estimate
from gains.services.improvements.cycles import (
    CycleError,
    cycle_by_number,
    may_run_cycles,
    record_outcome,
    shows_cycles,
    start_cycle,
)
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.public.publication import change_warning

SECTION = "improvements/partials/cycles.html"
# The estimate and charts panels fetch themselves again on this event (measurements/views.py).
CHANGED = "measurements-changed"


@dataclass(frozen=True)
class CycleRow:
    cycle: Cycle
    estimate: CycleEstimate
    uploads: int  # active batches recorded in the cycle
    rows: int  # their measurements


def cycles_context(
    improvement: Improvement, start_form: CycleStartForm | None = None, *, read_only=False
) -> dict[str, Any]:
    """What the cycles section shows; nothing at all for a one-run improvement its reader
    cannot start cycles on (`shows_cycles`). ``read_only``: the cycles without their forms
    (the review page, where a reviewer reads what the team did)."""
    if not (improvement.cycles if read_only else shows_cycles(improvement, current_user)):
        return {"show_cycles": False}
    cycles = improvement.cycles
    counts = _batch_counts(improvement.id)
    may_run = not read_only and may_run_cycles(current_user, improvement)
    offer_start = may_run and not any(cycle.is_open for cycle in cycles)
    adopted = adopted_cycle(cycles)
    return {
        "show_cycles": True,
        "cycle_rows": [
            CycleRow(
                cycle, stored_cycle_estimate(improvement, cycle), *counts.get(cycle.id, (0, 0))
            )
            for cycle in cycles
        ],
        "adopted_cycle": adopted,
        "may_run_cycles": may_run,
        "cycle_form": (start_form or CycleStartForm(started_on=date.today()))
        if offer_start
        else None,
        "cycles_warning": change_warning(improvement) if may_run else None,
    }


def _batch_counts(improvement_id: int) -> dict[int, tuple[int, int]]:
    return {
        cycle_id: (uploads, rows)
        for cycle_id, uploads, rows in db.session.execute(
            select(UploadBatch.cycle_id, func.count(), func.sum(UploadBatch.row_count))
            .where(
                UploadBatch.improvement_id == improvement_id,
                UploadBatch.status == BatchStatus.ACTIVE,
                UploadBatch.cycle_id.is_not(None),
            )
            .group_by(UploadBatch.cycle_id)
        )
    }


def _section_url(improvement: Improvement) -> str:
    return url_for("improvements.view", improvement_id=improvement.id, _anchor="cycles")


def _section(improvement: Improvement, *, changed: bool, start_form=None) -> Response:
    db.session.expire(improvement, ["cycles"])
    response = htmx_response(
        render_template(
            SECTION, improvement=improvement, **cycles_context(improvement, start_form)
        ),
        trigger=CHANGED if changed else None,
        retarget="#cycles",
        reswap="outerHTML",
    )
    response.vary.add("HX-Request")
    return response


def _refused(form, error: WorkflowError) -> None:
    """Put a refusal on the form: a field's under it, the improvement's state above."""
    db.session.rollback()
    if isinstance(error, PermissionDenied):
        abort(403)
    if isinstance(error, CycleError) and error.field in form:
        form[error.field].errors = [*form[error.field].errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _answer(improvement: Improvement, message: str) -> Response:
    db.session.commit()
    if wants_fragment():
        return _section(improvement, changed=True)
    flash(message, "success")
    return redirect(_section_url(improvement), code=303)


@blueprint.route("/<int:improvement_id>/cycles", methods=["GET", "POST"])
def start_cycle_page(improvement_id: int):
    """GET: the form on a page of its own. POST: start the next cycle; htmx gets the cycles
    section (and the estimate and charts refresh), a plain form a 303 to the page."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    form = CycleStartForm()
    if request.method == "GET" and not form.started_on.data:
        form.started_on.data = date.today()
    if form.validate_on_submit():
        try:
            cycle = start_cycle(
                current_user,
                improvement,
                plan=form.plan.data,
                prediction=form.prediction.data,
                started_on=form.started_on.data,
            )
        except WorkflowError as error:
            _refused(form, error)
        else:
            return _answer(improvement, f"Cycle {cycle.number} started.")
    if wants_fragment():
        return _section(improvement, changed=False, start_form=form)  # htmx swaps only a 200
    status = 422 if request.method == "POST" else 200
    return render_template(
        "improvements/cycle_start.html",
        improvement=improvement,
        form=form,
        warning=change_warning(improvement),
        number=len(improvement.cycles) + 1,
    ), status


@blueprint.route("/<int:improvement_id>/cycles/<int:number>", methods=["GET", "POST"])
def cycle_outcome(improvement_id: int, number: int):
    """GET: what happened and the act decision, as recorded so far. POST: save them (ending
    the cycle if it was open, or amending them)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    cycle = cycle_by_number(improvement, number)
    if cycle is None:
        abort(404)
    form = CycleOutcomeForm(
        data={
            "ended_on": cycle.ended_on or date.today(),
            "notes": cycle.notes,
            "act_decision": cycle.act_decision.value if cycle.act_decision else UNDECIDED,
        }
    )
    if form.validate_on_submit():
        was_open = cycle.is_open
        try:
            record_outcome(
                current_user,
                cycle,
                ended_on=form.ended_on.data,
                notes=form.notes.data,
                act_decision=form.decision,
            )
        except WorkflowError as error:
            _refused(form, error)
        else:
            return _answer(
                improvement, f"Cycle {cycle.number} {'ended' if was_open else 'updated'}."
            )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "improvements/cycle_outcome.html",
        improvement=improvement,
        cycle=cycle,
        form=form,
        warning=change_warning(improvement),
    ), status


@blueprint.route("/<int:improvement_id>/cycles.csv")
def cycles_csv(improvement_id: int):
    """The improvement's cycles, one row each, headed by column keys (`downloads.cycles_table`)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    table = cycles_table(improvement)
    return csv_response(table, described(improvement), file_name(improvement, table))
