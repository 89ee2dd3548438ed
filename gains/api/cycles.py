"""PDSA cycles: read an improvement's cycles, start the next, record what happened and the act
decision, through the same service (and so the same rules and audit events) as the web
(services/improvements/cycles.py; docs/decisions/0048)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint, abort

from gains.access import get_scoped_or_404
from gains.api.pagination import ID
from gains.api.schemas import CycleCreateSchema, CycleOutcomeSchema, CycleSchema
from gains.api.writes import refuse
from gains.extensions import db
from gains.models import Cycle, Improvement
from gains.services.estimates.cycles import adopted_cycle, cycles_of, stored_cycle_estimate
from gains.services.improvements.cycles import (
    CycleError,
    cycle_by_number,
    record_outcome,
    start_cycle,
)
from gains.services.improvements.workflow import WorkflowError

blueprint = Blueprint("api_cycles", __name__, description="An improvement's PDSA cycles")

CYCLES = f"/improvements/<{ID}:improvement_id>/cycles"
ESTIMATE_KEYS = ("method", "effect", "ci_low", "ci_high", "level", "n_before", "n_after")


def present(improvement: Improvement, cycle: Cycle, adopted: Cycle | None) -> dict[str, Any]:
    """The cycle as the schema dumps it, with its stored estimate (never computed here)."""
    estimate = stored_cycle_estimate(improvement, cycle)
    document = estimate.document or {}
    return {
        **{
            name: getattr(cycle, name)
            for name in CycleSchema._declared_fields
            if hasattr(cycle, name)
        },
        "adopted": cycle is adopted,
        "estimate": {
            "data_version": improvement.data_version,
            **{key: document.get(key) for key in ESTIMATE_KEYS},
            "no_estimate_reason": estimate.reason,
        },
    }


def _write(write) -> Cycle:
    try:
        cycle = write()
    except WorkflowError as error:
        db.session.rollback()
        # A wrong value is 422; an open cycle, a withdrawn or closed improvement: 409.
        refuse(error, validation=isinstance(error, CycleError))
    db.session.commit()
    return cycle


@blueprint.get(CYCLES)
@blueprint.response(200, CycleSchema(many=True))
def list_cycles(improvement_id: int):
    """The improvement's cycles by number (an empty list until its team starts one)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    cycles = cycles_of(improvement.id)
    adopted = adopted_cycle(cycles)
    return [present(improvement, cycle, adopted) for cycle in cycles]


@blueprint.post(CYCLES)
@blueprint.arguments(CycleCreateSchema)
@blueprint.response(201, CycleSchema)
@blueprint.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_cycle(data: dict[str, Any], improvement_id: int):
    """Start the next cycle. Measurements recorded while it is open are its own. For people
    who may change the improvement; refused (409) while another cycle is open or when the
    improvement takes no data. After approval it reopens review."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    cycle = _write(lambda: start_cycle(current_user, improvement, **data))
    return present(improvement, cycle, adopted_cycle(cycles_of(improvement.id)))


@blueprint.patch(f"{CYCLES}/<{ID}:number>")
@blueprint.arguments(CycleOutcomeSchema)
@blueprint.response(200, CycleSchema)
@blueprint.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update_cycle(data: dict[str, Any], improvement_id: int, number: int):
    """Record what happened and the act decision: ends an open cycle, or amends an ended one
    (audited; after approval it reopens review). Fields left out keep their values."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    cycle = cycle_by_number(improvement, number)
    if cycle is None:
        abort(404, message="This improvement has no cycle with that number")
    values = {name: getattr(cycle, name) for name in ("ended_on", "notes", "act_decision")}
    cycle = _write(lambda: record_outcome(current_user, cycle, **(values | data)))
    return present(improvement, cycle, adopted_cycle(cycles_of(improvement.id)))
