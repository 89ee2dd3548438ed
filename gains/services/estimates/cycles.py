"""PDSA cycles' estimates: each cycle's, stored by the write that changed the data, and which
cycle is the adopted change (docs/STATISTICS.md "PDSA cycles", docs/decisions/0048).

A cycle's estimate is THE estimate (`documents.estimate_document`, the engine every estimate
uses) on the improvement's baseline, every active before row, against that cycle's after rows
only. They are descriptive: one look per cycle is several comparisons, so the improvement's one
estimate over all its rows stays the figure that is reviewed, banked and published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from gains.extensions import db
from gains.models import ActDecision, Cycle, Improvement, Phase
from gains.services.estimates.documents import NoEstimate, estimate_document, measurements_frame

NO_CYCLE_ROWS = "No measurements after go-live have been recorded in this cycle yet."
# A cycle's estimate reads its rows into memory, as the per-improvement path does; past the
# size where the improvement's own estimate comes from aggregates (`current.AGGREGATE_PATH_ROWS`)
# that would cost a bulk import's transaction a model fit per cycle, so none is kept.
TOO_MANY_ROWS = (
    "Estimates per cycle are not computed for an improvement with over 100,000 measurements."
)
NOT_COMPUTED = "This cycle's estimate has not been computed for the latest data yet."


def cycles_of(improvement_id: int) -> list[Cycle]:
    """The improvement's cycles by number (none until its team starts one)."""
    return list(
        db.session.scalars(
            select(Cycle).where(Cycle.improvement_id == improvement_id).order_by(Cycle.number)
        )
    )


def open_cycle(improvement_id: int) -> Cycle | None:
    """The cycle rows recorded now belong to: the one not yet ended (at most one)."""
    return db.session.scalar(
        select(Cycle).where(Cycle.improvement_id == improvement_id, Cycle.ended_on.is_(None))
    )


def adopted_cycle(cycles: list[Cycle]) -> Cycle | None:
    """The adopted change: the latest cycle whose act decision is adopt. Cycles are successive
    versions of one change, so a later adoption supersedes an earlier one (decision 0048)."""
    adopted = [cycle for cycle in cycles if cycle.act_decision is ActDecision.ADOPT]
    return adopted[-1] if adopted else None


def cycle_document(improvement: Improvement, cycle: Cycle) -> dict[str, Any] | NoEstimate:
    """The estimate document of one cycle: the baseline against this cycle's after rows."""
    frame = measurements_frame(improvement.id, cycle_id=cycle.id)
    if not (frame["phase"] == Phase.AFTER.value).any():
        return NoEstimate(NO_CYCLE_ROWS)
    return estimate_document(improvement, frame)


def refresh_cycle_estimates(improvement: Improvement, *, too_many_rows: bool) -> None:
    """Store each cycle's estimate (or why there is none) at the improvement's data version;
    called by `current.refresh_estimate`, through which every new data version passes."""
    for cycle in cycles_of(improvement.id):
        document = (
            NoEstimate(TOO_MANY_ROWS) if too_many_rows else cycle_document(improvement, cycle)
        )
        found = isinstance(document, dict)
        cycle.estimate_result = document if found else None
        cycle.estimate_missing_reason = None if found else document.reason
        cycle.estimate_data_version = improvement.data_version


@dataclass(frozen=True)
class CycleEstimate:
    """What a page shows for one cycle's estimate: the stored document, or why there is none."""

    document: dict[str, Any] | None
    reason: str | None


def stored_cycle_estimate(improvement: Improvement, cycle: Cycle) -> CycleEstimate:
    """The cycle's stored estimate if it is at the current data version. Never computes."""
    if cycle.estimate_data_version != improvement.data_version:
        return CycleEstimate(None, NOT_COMPUTED)
    if cycle.estimate_result is not None:
        return CycleEstimate(cycle.estimate_result, None)
    return CycleEstimate(None, cycle.estimate_missing_reason or NOT_COMPUTED)
