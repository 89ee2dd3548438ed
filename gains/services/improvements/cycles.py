"""PDSA cycles (Plan, Do, Study, Act): start the next one, record what happened and the act
decision (docs/decisions/0048).

An improvement has no cycles until its team starts one, so one run without cycles is exactly
as before. At most one cycle is open at a time; the batches recorded while it is open are its
own (`recording.store_batch`). A cycle is part of what a reviewer sees: starting one, ending
one or changing its act decision follows the measurements' rules (the improvement takes data,
the person may change it) and is a new data version through `recording.data_changed`, which
reopens an approved improvement's review and stores every estimate again. The act decision
may be amended later, audited with its before and after, under the same rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gains import bounds
from gains.extensions import db
from gains.models import ActDecision, Cycle, Improvement, Status
from gains.services.audit.events import record_event, snapshot
from gains.services.estimates.cycles import cycles_of
from gains.services.improvements.workflow import WorkflowError, may_change
from gains.services.measurements.recording import OPEN_FOR_DATA, data_changed, require_open

CYCLE_FIELDS = ("number", "plan", "prediction", "started_on")
OUTCOME_FIELDS = ("ended_on", "notes", "act_decision")


class CycleError(WorkflowError):
    """A cycle's input refused; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def may_run_cycles(user: Any, improvement: Improvement) -> bool:
    """Whether to offer the cycle forms: the person may change it and it takes data now."""
    return improvement.status in OPEN_FOR_DATA and may_change(user, improvement)


def _text(value: str | None, bound: bounds.TextBound, field: str, *, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise CycleError(f"Enter {bound.what}", field)
        return None
    if problem := bound.problem(value):
        raise CycleError(problem, field)
    return value


def _day(value: date | None, field: str, missing: str) -> date:
    if value is None:
        raise CycleError(missing, field)
    if problem := bounds.DATE.problem(value):
        raise CycleError(problem, field)
    return value


def start_cycle(
    actor: Any, improvement: Improvement, *, plan: str, prediction: str, started_on: date | None
) -> Cycle:
    """Start the next cycle (numbered from 1) with what the team will try and predicts.

    Refused while another cycle is open, and before the day the previous one ended: cycles
    follow one another, so each batch belongs to at most one.
    """
    require_open(actor, improvement)  # rights, the row lock, and the improvement takes data
    plan_text = _text(plan, bounds.CYCLE_PLAN, "plan", required=True)
    prediction_text = _text(prediction, bounds.CYCLE_PREDICTION, "prediction", required=True)
    started = _day(started_on, "started_on", "Enter the day the cycle starts")
    previous = (cycles_of(improvement.id) or [None])[-1]
    if previous is not None and previous.is_open:
        raise WorkflowError(
            f"Cycle {previous.number} is still open: record what happened in it first"
        )
    if previous is not None and started < previous.ended_on:
        raise CycleError(
            f"The cycle must start on or after {previous.ended_on.day} "
            f"{previous.ended_on:%B %Y}, when cycle {previous.number} ended",
            "started_on",
        )
    cycle = Cycle(
        improvement=improvement,
        number=1 if previous is None else previous.number + 1,
        plan=plan_text,
        prediction=prediction_text,
        started_on=started,
        created_by_id=actor.id,
    )
    db.session.add(cycle)
    db.session.flush()
    record_event(
        actor,
        "cycle.started",
        cycle,
        department_id=improvement.department_id,
        after=snapshot(cycle, CYCLE_FIELDS),
    )
    data_changed(actor, improvement, reason=f"Cycle {cycle.number} started")
    return cycle


def record_outcome(
    actor: Any,
    cycle: Cycle,
    *,
    ended_on: date | None,
    notes: str | None,
    act_decision: ActDecision | None,
) -> Cycle:
    """End a cycle with what happened and the act decision (which may wait), or amend them.

    The end day lies between the cycle's start and the next cycle's start. Changing nothing
    writes nothing; any change is audited and is a new data version (module docstring).
    """
    improvement = cycle.improvement
    require_open(actor, improvement)
    ended = _day(ended_on, "ended_on", "Enter the day the cycle ended")
    if ended < cycle.started_on:
        raise CycleError("The cycle cannot end before the day it started", "ended_on")
    following = [other for other in cycles_of(improvement.id) if other.number > cycle.number]
    if following and ended > following[0].started_on:
        raise CycleError(
            f"The cycle must end by the day cycle {following[0].number} started", "ended_on"
        )
    notes_text = _text(notes, bounds.CYCLE_NOTES, "notes", required=False)
    before = snapshot(cycle, OUTCOME_FIELDS)
    was_open = cycle.is_open
    cycle.ended_on, cycle.notes, cycle.act_decision = ended, notes_text, act_decision
    after = snapshot(cycle, OUTCOME_FIELDS)
    if after == before:
        return cycle
    db.session.flush()
    record_event(
        actor,
        "cycle.ended" if was_open else "cycle.updated",
        cycle,
        department_id=improvement.department_id,
        before=before,
        after=after,
    )
    decided = f": {act_decision.label.lower()}" if act_decision else ""
    data_changed(
        actor,
        improvement,
        reason=f"Cycle {cycle.number} {'ended' if was_open else 'changed'}{decided}",
    )
    return cycle


def cycle_by_number(improvement: Improvement, number: int) -> Cycle | None:
    return next((cycle for cycle in cycles_of(improvement.id) if cycle.number == number), None)


def shows_cycles(improvement: Improvement, user: Any) -> bool:
    """A one-run improvement looks as it did: the cycles section appears once a cycle exists,
    and to people who may start one, only as an offer folded away."""
    return bool(improvement.cycles) or (
        improvement.status is not Status.WITHDRAWN and may_run_cycles(user, improvement)
    )
