"""Pre-registration: which plan fields are locked, editing the rest, and amendments.

../shared DESIGN "Locking": from *running*, the design fields are locked; from *submitted*,
the money fields too. A locked field changes only through an amendment with a reason, kept
and shown; an amendment after approval reopens review.
"""

from __future__ import annotations

from typing import Any

from gains.extensions import db
from gains.models import DESIGN_FIELDS, MONEY_FIELDS, Amendment, Improvement, Status
from gains.models.base import utcnow
from gains.services.audit import jsonable, record_event, snapshot
from gains.services.estimates import refresh_estimate
from gains.services.improvements import (
    PLAN_FIELDS,
    DuplicateTitleError,
    ImprovementPlan,
    WorkflowError,
    change_status,
    require_change_rights,
    title_taken,
    validate_plan,
)

# Pre-registration (../shared DESIGN "Locking"): the plan's design fields lock from running on,
# its money fields from submission on; after that they change only through an amendment.
DESIGN_LOCKED_IN = frozenset(Status) - {Status.DRAFT}
MONEY_LOCKED_IN = frozenset(Status) - {Status.DRAFT, Status.RUNNING}


class LockedFieldError(WorkflowError):
    """A change to a locked field was attempted outside an amendment."""


def locked_fields(improvement: Improvement) -> frozenset[str]:
    """The plan fields that can change now only by amendment."""
    locked: set[str] = set()
    if improvement.status in DESIGN_LOCKED_IN:
        locked.update(DESIGN_FIELDS)
    if improvement.status in MONEY_LOCKED_IN:
        locked.update(MONEY_FIELDS)
    return frozenset(locked)


def _plan_with(improvement: Improvement, changes: dict[str, Any]) -> ImprovementPlan:
    current = {name: getattr(improvement, name) for name in PLAN_FIELDS}
    return ImprovementPlan(**(current | changes))


def _changed(improvement: Improvement, changes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in changes.items() if getattr(improvement, name) != value}


def update_plan(actor: Any, improvement: Improvement, changes: dict[str, Any]) -> dict[str, Any]:
    """Change unlocked plan fields; returns what changed. Locked fields need `amend`."""
    require_change_rights(actor, improvement)
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise WorkflowError(f"Not a field of the plan: {', '.join(sorted(unknown))}")
    changed = _changed(improvement, changes)
    locked = sorted(set(changed) & locked_fields(improvement))
    if locked:
        raise LockedFieldError(
            "These fields are locked and can change only by amendment: "
            + ", ".join(name.replace("_", " ") for name in locked)
        )
    if not changed:
        return {}
    validate_plan(_plan_with(improvement, changed))
    if "title" in changed and title_taken(
        improvement.department_id, changed["title"], improvement.id
    ):
        raise DuplicateTitleError(
            f"Your department already has an improvement called {changed['title']!r}"
        )
    before = snapshot(improvement, list(changed))
    for name, value in changed.items():
        setattr(improvement, name, value)
    record_event(
        actor,
        "improvement.updated",
        improvement,
        department_id=improvement.department_id,
        before=before,
        after=snapshot(improvement, list(changed)),
    )
    return changed


def amend(
    actor: Any, improvement: Improvement, field_name: str, value: Any, reason: str
) -> Amendment:
    """Change a locked field, with a reason kept and shown (../shared DESIGN "Locking").

    The estimate's inputs changed, so the data version moves on; an approved improvement
    goes back to review, its approved snapshot standing until it is approved again.
    """
    require_change_rights(actor, improvement)
    if field_name not in locked_fields(improvement):
        raise WorkflowError("This field is not locked: edit the improvement instead")
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Explain why the locked field must change")
    if getattr(improvement, field_name) == value:
        raise WorkflowError("The new value is the same as the current one")
    validate_plan(_plan_with(improvement, {field_name: value}))
    old = jsonable(getattr(improvement, field_name))
    setattr(improvement, field_name, value)
    amendment = Amendment(
        improvement=improvement,
        field_name=field_name,
        old_value=old,
        new_value=jsonable(value),
        reason=reason,
        amended_by_id=actor.id,
        amended_at=utcnow(),
    )
    db.session.add(amendment)
    improvement.data_version += 1
    refresh_estimate(improvement)
    record_event(
        actor,
        "improvement.amended",
        improvement,
        department_id=improvement.department_id,
        before={field_name: old},
        after={field_name: jsonable(value)},
        note=reason,
    )
    if improvement.status is Status.APPROVED:
        change_status(
            actor,
            improvement,
            Status.SUBMITTED,
            "improvement.reopened",
            note=f"Amended {field_name.replace('_', ' ')}: {reason}",
        )
    return amendment
