"""Running a service's write for the API: commit once, or turn its refusal into a problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_smorest import abort

from gains.extensions import db
from gains.services.improvements.plan_changes import LockedFieldError
from gains.services.improvements.workflow import (
    DuplicateTitleError,
    ImprovementWithdrawn,
    PermissionDenied,
    WorkflowError,
)

T = TypeVar("T")


def refuse(error: WorkflowError, *, validation: bool = False) -> None:
    """A service's refusal as a problem: not allowed (403), a clash with the record's state
    or another record (409: a withdrawn improvement too), or, while registering or editing, a
    wrong value (422)."""
    if isinstance(error, PermissionDenied):
        abort(403, message=str(error))
    if validation and not isinstance(
        error, DuplicateTitleError | LockedFieldError | ImprovementWithdrawn
    ):
        abort(422, message=str(error))
    abort(409, message=str(error))


def commit_or_refuse(write: Callable[[], T], *, validation: bool = False) -> T:
    """Run `write` (a service call) and commit; a refusal rolls everything back first."""
    try:
        result = write()
    except WorkflowError as error:
        db.session.rollback()
        refuse(error, validation=validation)
    db.session.commit()
    return result
