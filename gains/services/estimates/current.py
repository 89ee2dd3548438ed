"""The current estimate of an improvement, cached per data version.

The statistics are pure functions in `gains.stats`; this module feeds them the improvement's
active measurements and keeps the result (or why there is none) when the data change, so
that a page only ever reads (docs/decisions/0007-get-never-writes.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Select, delete, func, select

from gains.extensions import db
from gains.models import (
    BatchStatus,
    Cycle,
    Design,
    Estimate,
    Improvement,
    MissingEstimate,
    UploadBatch,
)
from gains.services.estimates.cells import refresh_improvement_cells
from gains.services.estimates.cycles import refresh_cycle_estimates
from gains.services.estimates.documents import (
    NO_MEASUREMENTS,
    NoEstimate,
    estimate_document,
    estimate_row,
    measurements_frame,
    missing_estimate_row,
)
from gains.services.estimates.recompute import compute_estimates

logger = logging.getLogger(__name__)
# Each method's name and, in a sentence, why it answers the question (shown with estimates).
ESTIMATION_METHODS = {
    "welch": (
        "Welch two-sample t-test",
        "Compares the mean after the change with the mean before, without assuming the two "
        "periods vary equally. It cannot rule out other things that changed at the same time.",
    ),
    "paired": (
        "Paired t-test on unit means",
        "Each unit (a round, a caseworker) is compared with itself before and after, which "
        "removes differences between units.",
    ),
    "did": (
        "Difference-in-differences",
        "Compares the change in the treatment group with the change in the control group over "
        "the same period, so changes that hit both groups cancel out.",
    ),
    "treatment_vs_control": (
        "Randomised comparison of treatment and control",
        "Compares the treatment group with the control group after the change; randomisation "
        "makes the groups alike in everything but the change. Where units were also measured "
        "before, each unit's before value is allowed for, which narrows the interval.",
    ),
    "its": (
        "Interrupted time series",
        "Fits the weekly trend before go-live, projects it forward, and compares what happened "
        "after with that projection, with standard errors that allow for autocorrelation.",
    ),
}

DESIGN_METHOD = {
    Design.BEFORE_AFTER: "welch",
    Design.PAIRED: "paired",
    Design.CONTROL_GROUP: "did",
    Design.TIME_SERIES: "its",
}


# What a page says when the write that changed the data stored no estimate (it failed, or
# the statistics changed and recompute-all has not run yet): pages never compute one.
NOT_COMPUTED = (
    "The estimate has not been computed yet. It is computed when measurements are added, "
    "corrected or withdrawn. An administrator can compute it now by running "
    "gains estimates recompute-all."
)


def current_estimate(improvement: Improvement) -> Estimate | NoEstimate:
    """The estimate stored for the improvement's current data version, or why there is none.

    Never computes: the write that changed the data stored it (`refresh_estimate`), or
    `recompute_all` did; a page only reads (docs/decisions/0007-get-never-writes.md).
    """
    return current_estimates([improvement])[improvement.id]


# Past this many active rows an improvement's estimate is computed from aggregates
# (`estimates.recompute`) instead of from its rows in memory: the same document (to 1e-9,
# tested), without a DataFrame and a model fit over a million rows, which a bulk import would
# otherwise pay in time and memory inside its transaction: the kept cell summaries, refreshed
# just before from the rows (or from the rows the import kept as it wrote them), are all the
# aggregate path reads.
AGGREGATE_PATH_ROWS = 100_000


def active_row_count(improvement_id: int) -> int:
    # Batches carry their row count: summing a handful of batch rows, not the measurements.
    return db.session.scalar(
        select(func.coalesce(func.sum(UploadBatch.row_count), 0)).where(
            UploadBatch.improvement_id == improvement_id,
            UploadBatch.status == BatchStatus.ACTIVE,
        )
    )


def _from_aggregates(improvement: Improvement) -> bool:
    return active_row_count(improvement.id) > AGGREGATE_PATH_ROWS


def _large_or_small_document(
    improvement: Improvement, frame: pd.DataFrame | None = None
) -> dict[str, Any] | NoEstimate:
    if not _from_aggregates(improvement):
        return estimate_document(improvement, frame)
    return compute_estimates([improvement.id]).documents[improvement.id]


def cached_estimates(improvements: Iterable[Improvement]) -> dict[int, Estimate]:
    """The cached estimates at each improvement's current data version, in one query.

    Never computes: dashboards read only what the write path stored (see `refresh_estimate`).
    """
    improvements = list(improvements)
    if not improvements:
        return {}
    return {
        estimate.improvement_id: estimate
        for estimate in db.session.scalars(
            estimate_at_current_version(select(Estimate), improvements)
        )
    }


def estimate_at_current_version(stmt: Select, improvements: Iterable[Improvement]) -> Select:
    """``stmt`` on `estimates`, kept to the improvements' rows at their current data
    version."""
    at_current_version = (Improvement.id == Estimate.improvement_id) & (
        Improvement.data_version == Estimate.data_version
    )
    ids = [improvement.id for improvement in improvements]
    return stmt.join(Improvement, at_current_version).where(Estimate.improvement_id.in_(ids))


def evidence_levels(improvements: Iterable[Improvement]) -> dict[int, int]:
    """The evidence level (2-5) of each improvement's cached current estimate, in one query
    on the column, for lists that show it beside each row; improvements without an estimate
    or a level are left out."""
    improvements = list(improvements)
    if not improvements:
        return {}
    stmt = select(Estimate.improvement_id, Estimate.evidence_level).where(
        Estimate.evidence_level.is_not(None)
    )
    return dict(db.session.execute(estimate_at_current_version(stmt, improvements)).all())


def current_estimates(improvements: Iterable[Improvement]) -> dict[int, Estimate | NoEstimate]:
    """`current_estimate` for many improvements: the stored estimates in one query, and for
    the rest (rarely any) the stored reason, or whether they have rows at all, in one more
    each."""
    improvements = list(improvements)
    found: dict[int, Estimate | NoEstimate] = dict(cached_estimates(improvements))
    rest = [improvement for improvement in improvements if improvement.id not in found]
    found |= _missing_reasons(rest)
    rest = [improvement for improvement in rest if improvement.id not in found]
    with_rows = _with_active_rows(rest)
    for improvement in rest:
        found[improvement.id] = NoEstimate(
            NOT_COMPUTED if improvement.id in with_rows else NO_MEASUREMENTS
        )
    return found


def _missing_reasons(improvements: list[Improvement]) -> dict[int, NoEstimate]:
    """The stored reasons there is no estimate, at each improvement's current version."""
    if not improvements:
        return {}
    at_current_version = (Improvement.id == MissingEstimate.improvement_id) & (
        Improvement.data_version == MissingEstimate.data_version
    )
    return {
        improvement_id: NoEstimate(reason)
        for improvement_id, reason in db.session.execute(
            select(MissingEstimate.improvement_id, MissingEstimate.reason)
            .join(Improvement, at_current_version)
            .where(MissingEstimate.improvement_id.in_([i.id for i in improvements]))
        )
    }


def _with_active_rows(improvements: list[Improvement]) -> set[int]:
    if not improvements:
        return set()
    return set(
        db.session.scalars(
            select(UploadBatch.improvement_id)
            .where(
                UploadBatch.improvement_id.in_([i.id for i in improvements]),
                UploadBatch.status == BatchStatus.ACTIVE,
                UploadBatch.row_count > 0,
            )
            .distinct()
        )
    )


def refresh_estimate(
    improvement: Improvement, cells: pd.DataFrame | None = None
) -> Estimate | NoEstimate:
    """Compute and store the estimate for a new data version (or why there is none), in the
    writing transaction, so that pages and dashboards only ever read stored estimates.

    A failure here must not lose the data being written: it is logged, and the improvement's
    page says the estimate has not been computed yet, until the next write or recompute-all.

    Every new data version comes through here (`measurements.data_changed` for every write of
    rows, `plan_changes` for amendments and plan edits the statistics read), so this is also
    where the improvement's cell summaries for `recompute-all` are rebuilt from its rows
    (`estimates.cells`), first: the aggregate path below reads them. ``cells``: already
    computed from the rows by the caller (`cells.RowsKept`, a bulk import), stored as they
    are.
    """
    db.session.flush()  # the new rows and version must be visible to the query
    frame = None
    try:
        if not _from_aggregates(improvement):
            # The estimate reads the rows anyway: read them once, for the cells too.
            frame = measurements_frame(improvement.id)
    except Exception:
        logger.exception("Reading the rows of improvement %s failed", improvement.id)
    refresh_improvement_cells(improvement, frame, cells)
    try:
        with db.session.begin_nested():
            # Each PDSA cycle's estimate moves with the data too (none without cycles).
            refresh_cycle_estimates(improvement, too_many_rows=_from_aggregates(improvement))
    except Exception:
        logger.exception("Cycle estimates for improvement %s failed", improvement.id)
    try:
        with db.session.begin_nested():
            return _store(improvement, _large_or_small_document(improvement, frame))
    except Exception:
        logger.exception("Estimate for improvement %s failed", improvement.id)
        return NoEstimate(NOT_COMPUTED)


def recompute_cycle_estimates() -> int:
    """Recompute every PDSA cycle's estimate at its improvement's data version, for
    `recompute-all`: a change to the statistics moves them as it moves the improvements'
    own. Cycles are few (a team's tries), so each goes the per-improvement way. Returns how
    many improvements had cycles; the caller commits."""
    with_cycles = db.session.scalars(select(Cycle.improvement_id).distinct()).all()
    for improvement in db.session.scalars(
        select(Improvement).where(Improvement.id.in_(with_cycles))
    ):
        refresh_cycle_estimates(improvement, too_many_rows=_from_aggregates(improvement))
    return len(with_cycles)


def _store(improvement: Improvement, data: dict[str, Any] | NoEstimate) -> Estimate | NoEstimate:
    """Keep the estimate, or the reason there is none, at the current data version."""
    stored = cached_estimates([improvement]).get(improvement.id)
    if stored is not None:
        return stored
    db.session.execute(
        delete(MissingEstimate).where(MissingEstimate.improvement_id == improvement.id)
    )
    if isinstance(data, NoEstimate):
        if data.reason != NO_MEASUREMENTS:  # told from the rows when read: nothing to keep
            db.session.add(missing_estimate_row(improvement.id, improvement.data_version, data))
        return data
    estimate = Estimate(**estimate_row(improvement.id, improvement.data_version, data))
    db.session.add(estimate)
    return estimate
