"""Start, submit, resubmit, withdraw and delete: each a GET page that asks, and a POST that acts.

The improvement's page links to the GET page, which says what will happen and what cannot
be undone before anyone acts, and works without JavaScript; its form posts to the same URL,
the action itself (CSRF, scoping and the audit event stay with the POST; GET never writes).
The routes hang on the improvements blueprint (imported at the end of `views.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from gains.access import get_scoped_or_404
from gains.extensions import db
from gains.improvements import blueprint
from gains.improvements.forms import WithdrawForm
from gains.models import Improvement, Status
from gains.services.improvements import workflow
from gains.services.improvements.locking import LocksFrom, labels_locking_from
from gains.services.improvements.workflow import WorkflowError
from gains.services.public.publication import is_public


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says, for one action on one improvement as it is now."""

    question: str
    happens: list[str]
    cannot_undo: str
    button: str
    # Why the action cannot be taken now: the page says so and offers no button.
    blocked: list[str] = field(default_factory=list)
    destructive: bool = False


def _locks(moment: LocksFrom) -> str:
    labels = labels_locking_from(moment)
    return ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else labels[0]


def _not_from(improvement: Improvement, doing: str) -> list[str]:
    return [f"An improvement that is {improvement.status.label.lower()} cannot be {doing}."]


def _start(improvement: Improvement) -> Confirmation:
    return Confirmation(
        question="Start measuring this improvement?",
        happens=[
            f"The plan's design locks: the {_locks(LocksFrom.RUNNING)}. From then on they change "
            "only by an amendment with a reason, which reviewers see.",
            "You can then log measurements as they come.",
        ],
        cannot_undo="Starting cannot be undone: the improvement cannot go back to being a draft.",
        button="Yes, start it",
        blocked=[]
        if improvement.status in workflow.ALLOWED_FROM["start"]
        else _not_from(improvement, "started"),
    )


def _submit(improvement: Improvement) -> Confirmation:
    again = improvement.status is Status.CHANGES_REQUESTED
    happens = [
        "A manager of the department reviews it: they approve it, reject it or ask for changes."
    ]
    if improvement.status is Status.RUNNING:
        happens.append(f"The money terms lock too: the {_locks(LocksFrom.SUBMISSION)}.")
    if improvement.status in workflow.ALLOWED_FROM["submit"]:
        blocked = workflow.submission_problems(improvement)
    else:
        blocked = _not_from(improvement, "submitted")
    return Confirmation(
        question="Resubmit it for review?" if again else "Submit it for review?",
        happens=happens,
        cannot_undo="You cannot take it back out of review; you can only withdraw it.",
        button="Yes, resubmit it" if again else "Yes, submit it",
        blocked=blocked,
    )


def _withdraw(improvement: Improvement) -> Confirmation:
    happens = [
        "It is kept, with its measurements and history, for the record.",
        "Its savings stop counting.",
    ]
    if is_public(improvement):
        happens.append("It comes off the public register.")
    return Confirmation(
        question="Withdraw this improvement?",
        happens=happens,
        cannot_undo="Withdrawing cannot be undone: a withdrawn improvement takes no more "
        "measurements and cannot be submitted again.",
        button="Yes, withdraw it",
        blocked=[]
        if improvement.status in workflow.ALLOWED_FROM["withdraw"]
        else _not_from(improvement, "withdrawn"),
        destructive=True,
    )


def _delete(improvement: Improvement) -> Confirmation:
    return Confirmation(
        question="Delete this draft?",
        happens=["The draft and its plan are deleted. The audit trail keeps a note of it."],
        cannot_undo="Deleting cannot be undone.",
        button="Yes, delete it",
        blocked=[]
        if improvement.status is Status.DRAFT
        else ["Only a draft can be deleted; withdraw it instead."],
        destructive=True,
    )


CONFIRMATIONS: dict[str, Callable[[Improvement], Confirmation]] = {
    "start": _start,
    "submit": _submit,
    "withdraw": _withdraw,
    "delete": _delete,
}


def _confirmation_page(improvement: Improvement, action: str, form=None, status: int = 200):
    return render_template(
        "improvements/confirm.html",
        improvement=improvement,
        confirmation=CONFIRMATIONS[action](improvement),
        action_url=url_for(f".{action}", improvement_id=improvement.id),
        form=form,
    ), status


def _writable(improvement_id: int) -> Improvement:
    return get_scoped_or_404(Improvement, improvement_id, current_user, write=True)


def _transition(improvement: Improvement, action, success: str, *args):
    try:
        action(current_user, improvement, *args)
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for(".view", improvement_id=improvement.id), code=303)


@blueprint.route("/<int:improvement_id>/start", methods=["GET", "POST"])
def start(improvement_id: int):
    improvement = _writable(improvement_id)
    if request.method == "GET":
        return _confirmation_page(improvement, "start")
    return _transition(
        improvement,
        workflow.start,
        "Started: the plan's design is now locked. Log measurements as they come.",
    )


@blueprint.route("/<int:improvement_id>/submit", methods=["GET", "POST"])
def submit(improvement_id: int):
    improvement = _writable(improvement_id)
    if request.method == "GET":
        return _confirmation_page(improvement, "submit")
    return _transition(
        improvement, workflow.submit, "Submitted for review: the money terms are now locked too."
    )


@blueprint.route("/<int:improvement_id>/withdraw", methods=["GET", "POST"])
def withdraw(improvement_id: int):
    improvement = _writable(improvement_id)
    form = WithdrawForm()
    if request.method == "GET":
        return _confirmation_page(improvement, "withdraw", form)
    if not form.validate_on_submit():
        return _confirmation_page(improvement, "withdraw", form, 422)
    return _transition(
        improvement, workflow.withdraw, "Withdrawn. It is kept for the record.", form.reason.data
    )


@blueprint.route("/<int:improvement_id>/delete", methods=["GET", "POST"])
def delete(improvement_id: int):
    improvement = _writable(improvement_id)
    if request.method == "GET":
        return _confirmation_page(improvement, "delete")
    title = improvement.title
    try:
        workflow.delete_draft(current_user, improvement)
    except WorkflowError as error:
        flash(str(error), "error")
        return redirect(url_for(".view", improvement_id=improvement_id), code=303)
    db.session.commit()
    flash(f"The draft “{title}” is deleted.", "success")
    return redirect(url_for(".index"), code=303)
