"""Publishing approved results: the department's managers, signed in (not the public pages,
which are in gains/public)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from gains.access import get_scoped_or_404
from gains.extensions import db
from gains.models import Improvement
from gains.publication.forms import PublishForm, UnpublishForm
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.public import publication as publishing

blueprint = Blueprint("publication", __name__, url_prefix="/improvements")


def _load(improvement_id: int) -> Improvement:
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    if not publishing.may_publish(current_user, improvement):
        abort(403)
    return improvement


def _page(improvement: Improvement, form: PublishForm, unpublish_form: UnpublishForm, status=200):
    state, publication = publishing.publication_state(improvement)
    return render_template(
        "publication/manage.html",
        improvement=improvement,
        state=state,
        States=publishing.PublicationState,
        publication=publication,
        publishable=publishing.publishable_approval(improvement) is not None,
        form=form,
        unpublish_form=unpublish_form,
    ), status


@blueprint.route("/<int:improvement_id>/publication", methods=["GET", "POST"])
def manage(improvement_id: int):
    improvement = _load(improvement_id)
    form = PublishForm()
    if not form.is_submitted():
        current = publishing.publication_of(improvement)
        form.summary.data = current.summary if current else ""
    if form.validate_on_submit():
        try:
            publishing.publish(current_user, improvement, form.summary.data)
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except WorkflowError as error:
            db.session.rollback()
            form.summary.errors = [*form.summary.errors, str(error)]
        else:
            db.session.commit()
            flash("Published: it is on the public register now.", "success")
            return redirect(url_for(".manage", improvement_id=improvement.id), code=303)
    return _page(improvement, form, UnpublishForm(), 422 if form.errors else 200)


@blueprint.post("/<int:improvement_id>/publication/unpublish")
def unpublish(improvement_id: int):
    improvement = _load(improvement_id)
    form = UnpublishForm()
    if not form.validate_on_submit():
        return _page(improvement, PublishForm(), form, 422)
    try:
        publishing.unpublish(current_user, improvement, form.reason.data)
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Taken off the public register.", "success")
    return redirect(url_for(".manage", improvement_id=improvement.id), code=303)


@blueprint.app_template_global("publication_panel")
def publication_panel(improvement: Improvement) -> dict:
    """What the improvement page says about the public register, for the signed-in user."""
    state, _ = publishing.publication_state(improvement)
    return {
        "state": state,
        "public": state is publishing.PublicationState.PUBLIC,
        "may_publish": publishing.may_publish(current_user, improvement),
        "publishable": publishing.publishable_approval(improvement) is not None,
    }
