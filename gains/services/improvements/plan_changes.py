"""Pre-registration: editing the plan's unlocked fields, and amendments to the locked ones.

Which field is locked when is `gains.services.improvements.locking.LOCK_TABLE`;
both functions here read it, and so does every path that changes a plan (web, API). A locked
field changes only through an amendment with a reason, kept and shown; an amendment after
approval reopens review, which takes the improvement off the public register.
"""

from __future__ import annotations

from typing import Any

from gains.extensions import db
from gains.models import Amendment, Improvement, Status
from gains.models.base import utcnow
from gains.services.audit.events import jsonable, record_event, snapshot
from gains.services.estimates.current import refresh_estimate
from gains.services.improvements.locking import field_label, locked_fields
from gains.services.improvements.workflow import (
    PLAN_FIELDS,
    DuplicateTitleError,
    ImprovementPlan,
    WorkflowError,
    change_status,
    lock_improvement,
    require_change_rights,
    require_not_withdrawn,
    title_taken,
    validate_plan,
)

__all__ = ["LockedFieldError", "amend", "amend_fields", "locked_fields", "update_plan"]


class LockedFieldError(WorkflowError):
    """A change to a locked field was attempted outside an amendment."""


def _plan_with(improvement: Improvement, changes: dict[str, Any]) -> ImprovementPlan:
    current = {name: getattr(improvement, name) for name in PLAN_FIELDS}
    return ImprovementPlan(**(current | changes))


def _changed(improvement: Improvement, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes that change something, an appraisal term left empty (None) read as its
    kind's default, as at registration (`ImprovementPlan`)."""
    plan = _plan_with(improvement, changes)
    return {
        name: getattr(plan, name)
        for name in changes
        if getattr(improvement, name) != getattr(plan, name)
    }


def _check(improvement: Improvement, changed: dict[str, Any]) -> None:
    """The rules every saved plan meets, whichever path changes it."""
    validate_plan(_plan_with(improvement, changed))
    if "title" in changed and title_taken(
        improvement.department_id, changed["title"], improvement.id
    ):
        raise DuplicateTitleError(
            f"Your department already has an improvement called {changed['title']!r}"
        )


def update_plan(actor: Any, improvement: Improvement, changes: dict[str, Any]) -> dict[str, Any]:
    """Change unlocked plan fields; returns what changed. Locked fields need `amend`."""
    require_change_rights(actor, improvement)
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise WorkflowError(f"Not a field of the plan: {', '.join(sorted(unknown))}")
    # The status is read under the row lock: a submission committed meanwhile locks the money.
    lock_improvement(improvement)
    require_not_withdrawn(improvement)
    changed = _changed(improvement, changes)
    now_locked = locked_fields(improvement)
    locked = [name for name in PLAN_FIELDS if name in changed and name in now_locked]
    if locked:
        one = len(locked) == 1
        raise LockedFieldError(
            f"The {' and '.join(field_label(name) for name in locked)} "
            f"{'is' if one else 'are'} locked while the improvement is "
            f"{improvement.status.label.lower()}: amend {'it' if one else 'them'} instead, "
            "with a reason"
        )
    if not changed:
        return {}
    _check(improvement, changed)
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
    """Change one locked field, with a reason kept and shown (`amend_fields`)."""
    return amend_fields(actor, improvement, {field_name: value}, reason)[0]


def amend_fields(
    actor: Any, improvement: Improvement, values: dict[str, Any], reason: str
) -> list[Amendment]:
    """Change locked fields together (a range with its central value: `locking.amended_with`),
    with one reason, kept and shown for each field that changes (docs/DESIGN.md "Locking").

    What was reviewed changed, so the data version moves on (the approval no longer matches
    it, so the improvement leaves the public register) and an approved improvement goes back
    to review, its approved snapshot standing until it is approved again.
    """
    require_change_rights(actor, improvement)
    lock_improvement(improvement)
    require_not_withdrawn(improvement)
    now_locked = locked_fields(improvement)
    if not values or any(name not in now_locked for name in values):
        raise WorkflowError("This field is not locked: edit the improvement instead")
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Explain why the locked field must change")
    changed = _changed(improvement, values)
    if not changed:
        raise WorkflowError("The new value is the same as the current one")
    _check(improvement, changed)
    old = snapshot(improvement, list(changed))
    amended_at = utcnow()
    amendments = []
    for name, value in changed.items():
        setattr(improvement, name, value)
        amendments.append(
            Amendment(
                improvement=improvement,
                field_name=name,
                old_value=old[name],
                new_value=jsonable(value),
                reason=reason,
                amended_by_id=actor.id,
                amended_at=amended_at,
            )
        )
    db.session.add_all(amendments)
    improvement.data_version += 1
    refresh_estimate(improvement)
    record_event(
        actor,
        "improvement.amended",
        improvement,
        department_id=improvement.department_id,
        before=old,
        after=snapshot(improvement, list(changed)),
        note=reason,
    )
    if improvement.status is Status.APPROVED:
        labels = " and ".join(field_label(name) for name in changed)
        change_status(
            actor,
            improvement,
            Status.SUBMITTED,
            "improvement.reopened",
            note=f"Amended the {labels}: {reason}",
        )
    return amendments
