"""The review queue and the review page: thin views over `services.review_queue` and
`services.reviews.decide`.

Who: managers review their own department (never their own improvements); admins and
treasury may read review pages but never see a decision form; admins also read every
department's queue; members have neither (403). Another department's improvement is a 404.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from gains.access import get_scoped_or_404, scoped
from gains.extensions import db
from gains.htmx_support import render_page_or_fragment, wants_fragment
from gains.improvements.cycles import cycles_context
from gains.improvements.presenters import estimate_view, money_terms
from gains.models import Decision, Department, Improvement, Role, Status, Team
from gains.reviews.forms import DecisionForm, QueueFilterForm
from gains.services.estimates.charts import chart_marks, chart_tables, cycle_weeks
from gains.services.estimates.summaries import cell_summaries
from gains.services.improvements.chart_notes import notes_for, notes_key
from gains.services.improvements.planning import planning_for
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.review import queue as queue_service
from gains.services.review.decisions import (
    DataChanged,
    decide,
    may_review,
    registered_by_this_manager,
)

blueprint = Blueprint("reviews", __name__, url_prefix="/reviews")


def _filter_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    teams = db.session.scalars(
        scoped(select(Team), current_user).join(Department).order_by(Department.code, Team.name)
    )
    form.team.choices = [("", "Any team")] + [
        (str(t.id), f"{t.name} ({t.department.code})") for t in teams
    ]
    form.validate()  # unknown values fall back to "any" (QueueFilterForm.filters)
    return form


@blueprint.route("/")
def queue():
    if not queue_service.may_see_queue(current_user):
        abort(403)
    form = _filter_form()
    review_queue = queue_service.review_queue(current_user, form.filters())
    response = render_page_or_fragment(
        "reviews/queue.html",
        "reviews/partials/queue_table.html",
        form=form,
        queue=review_queue,
        arguments=form.arguments(),
        sorts=queue_service.SORTS,
        sort_links={
            key: url_for(".queue", **(form.arguments() | {"sort": key}))
            for key in queue_service.SORTS
        },
        fy_start=queue_service.family_year_start(),
        in_fragment=wants_fragment(),
    )
    # Decided items must not come back from the browser's back-forward cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _readable(improvement_id: int) -> Improvement:
    if current_user.role is Role.MEMBER:
        abort(403)  # members never review, not even to read (docs/DESIGN.md "Who uses it")
    return get_scoped_or_404(Improvement, improvement_id, current_user)


def _page_context(improvement: Improvement, form: DecisionForm) -> dict:
    view_model = estimate_view(improvement)
    family = queue_service.family_of(improvement)
    member = next((m for m in family if m.improvement_id == improvement.id), None)
    cells = cell_summaries([improvement.id])
    chart_cells, weekly = chart_tables(improvement, cells)
    notes = notes_for(improvement.id)  # shown, not edited, here: the team writes them
    return {
        "improvement": improvement,
        "estimate": view_model,
        "chart_cells": chart_cells,
        "weekly": weekly,
        "chart_notes": notes,
        "notes_key": notes_key(notes),
        "cycle_weeks": cycle_weeks(chart_marks(improvement.id)),
        **cycles_context(improvement, read_only=True),
        "may_add_notes": False,
        "note_form": None,
        "cells": cells,
        "planning": planning_for(improvement, cells),
        "money_terms": money_terms(improvement),
        "money": queue_service.money_workings(improvement, view_model.result)
        if view_model.estimate
        else None,
        "family": family,
        "family_member": member,
        "why_no_adjusted_p": None
        if member
        else queue_service.why_no_adjusted_p(improvement, view_model.estimate),
        "family_titles": queue_service.family_titles(current_user, family),
        "since": queue_service.since_approval(improvement),
        "form": _showing(form, improvement),
        "may_decide": may_review(current_user, improvement)
        and improvement.status is Status.SUBMITTED,
        "registered_by_this_manager": registered_by_this_manager(current_user, improvement),
    }


def _showing(form: DecisionForm, improvement: Improvement) -> DecisionForm:
    """The form for a whole page: it decides the figures that page shows."""
    form.data_version.data = improvement.data_version
    form.data_version.raw_data = None  # else WTForms renders what was posted
    return form


@blueprint.route("/<int:improvement_id>")
def review(improvement_id: int):
    improvement = _readable(improvement_id)
    context = _page_context(improvement, DecisionForm())
    return render_template("reviews/review.html", **context)


def _form_again(improvement: Improvement, form: DecisionForm, status: int):
    """The decision form with its errors: the fragment for htmx, else the whole page.

    htmx does not swap 4xx responses by default, so its fragment comes with 200; the page
    without JavaScript gets the proper status.
    """
    if wants_fragment():
        return render_page_or_fragment(
            "reviews/partials/decision.html",
            "reviews/partials/decision.html",
            improvement=improvement,
            form=form,
            in_fragment=True,
        )
    context = _page_context(improvement, form)
    return render_page_or_fragment(
        "reviews/review.html", "reviews/review.html", status=status, **context
    )


def _data_changed(improvement: Improvement, form: DecisionForm, message: str):
    """The figures on the reviewer's page are out of date: the whole page again, with the
    current figures and the message (htmx swaps only the form, so it reloads the page)."""
    if wants_fragment():
        flash(message, "error")
        response = make_response("", 409)
        response.headers["HX-Redirect"] = url_for(".review", improvement_id=improvement.id)
        return response
    form.form_errors.append(message)
    return _form_again(improvement, form, 409)


@blueprint.post("/<int:improvement_id>/decision")
def decision(improvement_id: int):
    improvement = _readable(improvement_id)
    if not may_review(current_user, improvement):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _form_again(improvement, form, 422)
    try:
        review = decide(
            current_user,
            improvement,
            Decision(form.decision.data),
            form.comment.data,
            seen_data_version=form.data_version.data,
        )
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except DataChanged as error:
        db.session.rollback()
        return _data_changed(improvement, form, str(error))
    except WorkflowError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _form_again(improvement, form, 409)
    db.session.commit()
    if wants_fragment():
        return render_page_or_fragment(
            "reviews/partials/outcome.html",
            "reviews/partials/outcome.html",
            improvement=improvement,
            review=review,
        )
    flash(f"{review.decision.outcome}: “{improvement.title}”.", "success")
    return redirect(url_for(".review", improvement_id=improvement.id), code=303)
