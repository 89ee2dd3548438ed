"""Try this in my team: a GET page that says what the draft will copy, and a POST that
registers it (issue 22; the confirmation pages' pattern, decision 0038). The routes hang on
the improvements blueprint (imported by the app factory)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from gains.extensions import db
from gains.improvements import blueprint
from gains.improvements.forms import AdoptForm
from gains.models import Improvement
from gains.services.ideas.adoption import (
    ADOPTED_FIELDS,
    adopt,
    adoptable,
    may_open,
    original_of,
)
from gains.services.improvements import workflow
from gains.services.improvements.workflow import DuplicateTitleError, WorkflowError


def _labels() -> list[str]:
    return [name.replace("_", " ") for name in ADOPTED_FIELDS]


@blueprint.route("/<int:improvement_id>/adopt", methods=["GET", "POST"])
def adopt_idea(improvement_id: int):
    source = adoptable(current_user, improvement_id)
    teams = workflow.teams_for_registration(current_user)
    if not teams:
        abort(403)  # Treasury reads ideas but has no team to try them in
    form = AdoptForm()
    form.team.choices = [(team.id, f"{team.name} ({team.department.code})") for team in teams]
    if not form.is_submitted():
        form.title.data = source.title
        form.team.data = teams[0].id
    status = 200
    if form.validate_on_submit():
        team = next(t for t in teams if t.id == form.team.data)
        try:
            adoption = adopt(current_user, source, team, form.title.data.strip())
        except (DuplicateTitleError, WorkflowError) as error:
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(error)]
        else:
            db.session.commit()
            flash(f"“{adoption.title}” is registered as a draft that tries this idea.", "success")
            return redirect(url_for(".view", improvement_id=adoption.id), code=303)
    if form.errors:
        status = 422
    return render_template(
        "improvements/adopt.html",
        source=source,
        original=original_of(source),
        form=form,
        copied=_labels(),
        back_url=_back_url(source),
    ), status


def _back_url(source: Improvement) -> str:
    """Back to where the person came from: the improvement's page if they may open it, else
    its page on the public register."""
    if may_open(current_user, source.id):
        return url_for(".view", improvement_id=source.id)
    return url_for("public.improvement", improvement_id=source.id)
