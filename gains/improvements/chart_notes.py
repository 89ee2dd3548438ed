"""Notes on an improvement's charts: add one (a plain form on the page, or an htmx swap of the
charts panel), delete one (a page that asks first; htmx asks inline). Only people who may
change the improvement write them; a note is not reviewed (docs/decisions/0043). The routes
hang on the improvements blueprint (imported by the app factory)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from gains.access import get_scoped_or_404
from gains.extensions import db
from gains.htmx_support import render_page_or_fragment, wants_fragment
from gains.improvements import blueprint
from gains.improvements.forms import ChartNoteForm
from gains.models import ChartNote, Improvement
from gains.services.estimates.charts import chart_marks, chart_tables, cycle_weeks
from gains.services.estimates.summaries import CellSummary, cell_summaries
from gains.services.improvements.chart_notes import (
    ChartNoteError,
    add_note,
    delete_note,
    may_add_notes,
    notes_for,
    notes_key,
)
from gains.services.improvements.workflow import PermissionDenied, WorkflowError

CHARTS_PANEL = "improvements/partials/charts.html"


def charts_context(
    improvement: Improvement,
    cells: list[CellSummary] | None = None,
    note_form: ChartNoteForm | None = None,
) -> dict[str, Any]:
    """What the charts panel shows: the chart tables, the notes, and the note form for people
    who may add one. ``cells``: the page's cell summaries, if it has them already."""
    if cells is None:
        cells = cell_summaries([improvement.id])
    chart_cells, weekly = chart_tables(improvement, cells)
    notes = notes_for(improvement.id)
    may_add = may_add_notes(current_user, improvement)
    return {
        "chart_cells": chart_cells,
        "weekly": weekly,
        "chart_notes": notes,
        "notes_key": notes_key(notes),
        "may_add_notes": may_add,
        "note_form": (note_form or ChartNoteForm()) if may_add else None,
        "cycle_weeks": cycle_weeks(chart_marks(improvement.id)),
    }


def _charts_url(improvement: Improvement) -> str:
    return url_for("improvements.view", improvement_id=improvement.id, _anchor="chart-notes")


def _panel(improvement: Improvement, note_form: ChartNoteForm | None = None):
    return render_page_or_fragment(
        CHARTS_PANEL,
        CHARTS_PANEL,
        improvement=improvement,
        **charts_context(improvement, note_form=note_form),
    )


@blueprint.route("/<int:improvement_id>/chart-notes", methods=["GET", "POST"])
def add_chart_note(improvement_id: int):
    """GET: the form on a page of its own (where a plain post with a problem comes back to).
    POST: add the note; htmx gets the charts panel again, a plain form a 303 to the page."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    form = ChartNoteForm()
    if form.validate_on_submit():
        try:
            add_note(current_user, improvement, form.on_date.data, form.text.data)
        except ChartNoteError as error:
            db.session.rollback()
            form[error.field].errors = [*form[error.field].errors, str(error)]
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except WorkflowError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            if wants_fragment():
                return _panel(improvement)
            flash("Note added to the charts.", "success")
            return redirect(_charts_url(improvement), code=303)
    if wants_fragment():
        return _panel(improvement, note_form=form)  # htmx swaps only a 200
    status = 422 if request.method == "POST" else 200
    return render_template("improvements/chart_note.html", improvement=improvement, form=form), (
        status
    )


@blueprint.route("/<int:improvement_id>/chart-notes/<int:note_id>/delete", methods=["GET", "POST"])
def delete_chart_note(improvement_id: int, note_id: int):
    """GET asks first (the page without JavaScript; htmx asks inline and posts), POST deletes."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    note = get_scoped_or_404(ChartNote, note_id, current_user, write=True)
    if note.improvement_id != improvement.id:
        abort(404)
    if request.method == "GET":
        return render_template(
            "improvements/chart_note_delete.html",
            improvement=improvement,
            note=note,
            cancel_url=_charts_url(improvement),
        )
    try:
        delete_note(current_user, note)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    db.session.commit()
    if wants_fragment():
        return _panel(improvement)
    flash("Note deleted from the charts.", "success")
    return redirect(_charts_url(improvement), code=303)
