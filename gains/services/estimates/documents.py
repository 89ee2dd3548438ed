"""An improvement's estimate document, computed from its rows, or why there is none.

The per-improvement path: its active measurements as a frame (`measurements_frame`), the
statistics of `gains.stats.design` on it, and the document `EstimateResult.to_dict` gives;
`estimates.recompute` computes the same documents for many improvements at once from the
kept cell summaries. Both store them through `estimate_row` / `missing_estimate_row`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gains.database import row_slices
from gains.models import Improvement, Measurement, MissingEstimate, Phase, UploadBatch
from gains.services.measurements.active import active_measurements
from gains.stats.assemble import StatsInputError
from gains.stats.design import estimate_improvement
from gains.stats.evidence import level_of_document

# Rows fetched and compacted at a time when building an estimate's frame.
FRAME_SLICE_ROWS = 50_000
# The estimate's frame: its columns and their types.
FRAME_COLUMNS = {
    "phase": object,
    "group": object,
    "unit": object,
    "date": "datetime64[s]",
    "value": float,
}


# The headline figures kept as columns of `estimates` as well as in the result document.
ESTIMATE_COLUMNS = (
    "method",
    "effect",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "gain",
    "hedges_g",
    "hedges_g_variance",
    "n_before",
    "n_after",
)


NO_MEASUREMENTS = "There are no measurements yet."


@dataclass(frozen=True)
class NoEstimate:
    """Why there is no estimate yet, in words for the page."""

    reason: str


def _frame_slices(improvement_id: int, cycle_id: int | None = None) -> Iterator[list[tuple]]:
    """The active rows, `FRAME_SLICE_ROWS` at a time, straight from the driver: this runs over
    every active row of an improvement (a million after a big import) and must skip the
    ORM's and SQLAlchemy's per-row objects. With ``cycle_id``: every before row, and only the
    after rows of that PDSA cycle's batches (a cycle's estimate, docs/STATISTICS.md §PDSA)."""
    stmt = (
        active_measurements(
            Measurement.phase,
            Measurement.group,
            Measurement.unit_ref,
            Measurement.observed_on,
            Measurement.value,
        )
        .where(Measurement.improvement_id == int(improvement_id))
        .order_by(Measurement.id)
    )
    if cycle_id is not None:
        stmt = stmt.where((Measurement.phase == Phase.BEFORE) | (UploadBatch.cycle_id == cycle_id))
    return row_slices(stmt, FRAME_SLICE_ROWS)


def measurements_frame(improvement_id: int, cycle_id: int | None = None) -> pd.DataFrame:
    """Active measurements in the columns the statistics expect (``cycle_id``: the baseline
    and one PDSA cycle's after rows, `_frame_slices`).

    Read in slices and kept compact (text as shared strings, dates as datetime64) rather than
    as one object per row: an improvement can have a million rows (`gains import`), and the
    estimate is refreshed in the writing transaction.
    """
    slices = [_compact_slice(rows) for rows in _frame_slices(improvement_id, cycle_id)]
    # Column by column, each slice's arrays dropped once joined: one copy at a time.
    columns = {}
    for name, dtype in FRAME_COLUMNS.items():
        parts = [piece.pop(name) for piece in slices]
        joined = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
        columns[name] = pd.Series(joined, dtype=dtype)
        del parts
    return pd.DataFrame(columns)


def _shared(values: np.ndarray) -> np.ndarray:
    """An object column whose equal strings are one object (a few distinct, many rows)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    shared = np.append(np.asarray(distinct, dtype=object), None)
    return shared[codes]  # code -1 (missing) picks the appended None


def _compact_slice(rows: list[tuple]) -> dict[str, np.ndarray]:
    # One 2-D object array, then its columns: zip(*rows) over 50,000 rows is far slower.
    cells = np.empty((len(rows), 5), dtype=object)
    cells[:] = rows
    phase, group, unit, observed_on, value = cells.T
    codes, distinct = pd.factorize(observed_on)
    days = pd.to_datetime(pd.Series(distinct, dtype=object)).to_numpy()
    return {
        "phase": _shared(phase),
        "group": _shared(group),
        "unit": _shared(unit),
        "date": np.append(days, np.datetime64("NaT"))[codes].astype("datetime64[s]"),
        "value": value.astype(float),
    }


def estimate_document(
    improvement: Improvement, frame: pd.DataFrame | None = None
) -> dict[str, Any] | NoEstimate:
    """The estimate's result document from the improvement's rows, or why there is none.

    The per-improvement path (statsmodels on the rows); `estimates.recompute` computes the
    same documents for many improvements at once from database aggregates.
    """
    if frame is None:
        frame = measurements_frame(improvement.id)
    if frame.empty:
        return NoEstimate(NO_MEASUREMENTS)
    try:
        result = estimate_improvement(
            frame,
            design=improvement.design.value,
            direction=improvement.direction.value,
            planned_effect=improvement.expected_effect,
            planned_sample_size=improvement.planned_sample_size,
            randomised=improvement.randomised,
            seasonal=improvement.seasonal,
        )
    except StatsInputError as error:
        return not_enough_data(error)
    # The JSON-safe dict has NaN and infinities already turned into None.
    return result.to_dict()


def not_enough_data(error: Exception | str) -> NoEstimate:
    return NoEstimate(f"Not enough data for an estimate yet: {error}.")


def estimate_row(improvement_id: int, data_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """The `estimates` row for a result document: the headline columns and the document."""
    return {
        "improvement_id": improvement_id,
        "data_version": data_version,
        "result": data,
        **{column: data[column] for column in ESTIMATE_COLUMNS},
        "gain_ci_low": data.get("gain_ci_low"),
        "gain_ci_high": data.get("gain_ci_high"),
        "evidence_level": level_of_document(data),
    }


def missing_estimate_row(improvement_id: int, data_version: int, data: NoEstimate):
    return MissingEstimate(
        improvement_id=improvement_id, data_version=data_version, reason=data.reason
    )
