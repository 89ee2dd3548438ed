"""The per-improvement cell summaries behind `gains estimates recompute-all`, kept on write.

Recomputing every estimate from the measurements means scanning every active row (a million
and more); the statistics only need, per improvement, a few numbers per cell (treatment /
control × before / after): count, mean, variance, minimum, maximum, whether there are more
than two distinct values, the quartiles, plus the paired summary of the per-unit means and
the unit counts the DiD needs. `measurement_cells` keeps them, one row per improvement, and
this module is the only writer:

* `refresh_cells` recomputes an improvement's row FROM ITS ROWS (never merged incrementally,
  so it is exact by construction) whenever its data version changes: `estimates.
  refresh_estimate`, which every write path reaches through `measurements.data_changed`
  (and `plan_changes` for amendments), calls it first, in the writing transaction;
* each row records the data version it was computed at; a reader (`stored_cells`) takes only
  rows at the improvement's current version, and anything else is recomputed from the rows,
  so a missing or stale row costs time, never a wrong estimate;
* `recompute.compute_estimates` stores the ones it had to compute from the rows (with
  ``keep_computed_cells``, as recompute-all does);
* `refresh_all_cells` rebuilds the table (`gains estimates refresh-cells`, after the
  migration or a bulk load that bypassed the services).

The statistics are computed exactly as numpy computes them from the rows: PostgreSQL answers
one ``GROUP BY`` with ordered-set aggregates (cells whose one-pass variance or interpolation
could differ in the last digits are flagged ``undecided`` and their improvement goes the
per-improvement way); SQLite, which has no variance or percentile aggregates, fetches the
rows and numpy computes them.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Integer, bindparam, case, delete, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from gains.extensions import db
from gains.models import (
    BatchStatus,
    Improvement,
    Measurement,
    StudyGroup,
    UploadBatch,
    measurement_cells,
)
from gains.models.cells import (
    CELL_STATISTICS,
    CELLS,
    PAIRED_STATISTICS,
    STATISTIC_COLUMNS,
    UNIT_COUNTS,
)
from gains.models.enums import Phase
from gains.stats.assemble import TUKEY_FAR_OUT
from gains.stats.sufficient import linear_quartiles

logger = logging.getLogger(__name__)

MAX_LISTED_IDS = 5_000  # longest id list sent in one statement
CELL_KEYS = {
    (Phase.BEFORE.value, StudyGroup.TREATMENT.value): "tb",
    (Phase.AFTER.value, StudyGroup.TREATMENT.value): "ta",
    (Phase.BEFORE.value, StudyGroup.CONTROL.value): "cb",
    (Phase.AFTER.value, StudyGroup.CONTROL.value): "ca",
}
ILL_CONDITIONED = 1e8  # mean² / variance above this: the one-pass variance may lose digits
FENCE_TIE = 1e-12  # relative distance to a Tukey fence within which rounding could decide
CELL_COLUMNS = [f"{cell}_{statistic}" for cell in CELLS for statistic in CELL_STATISTICS]
PAIRED_COLUMNS = [f"paired_{statistic}" for statistic in PAIRED_STATISTICS]
COPY_FROM_ROWS = 100  # more rows than this go in by COPY on PostgreSQL


# --- Keeping the table ----------------------------------------------------------------------


def refresh_cells(improvement_ids: list[int]) -> pd.DataFrame:
    """Recompute and store the cells of these improvements from their active rows, at their
    current data versions; the caller commits. Returns the statistics (`cells_from_rows`)."""
    db.session.flush()  # rows and versions not yet written must count
    versions = _versions(improvement_ids)
    wide = cells_from_rows(pd.Index(sorted(versions), name="improvement_id"))
    store_cells(wide, versions)
    return wide


def refresh_improvement_cells(
    improvement: Improvement,
    frame: pd.DataFrame | None = None,
    computed: pd.DataFrame | None = None,
) -> bool:
    """`refresh_cells` for one improvement in the writing transaction, never losing the write;
    ``computed`` when the caller computed them from its rows (`RowsKept`), else from
    ``frame`` (its active rows, already read for the estimate) when given.

    A failure is logged and leaves the improvement's row at an older version (or none):
    readers recompute it from the rows, so nothing stale is ever used.
    """
    try:
        with db.session.begin_nested():
            if computed is not None:
                store_cells(computed, {improvement.id: improvement.data_version})
            elif frame is None:
                refresh_cells([improvement.id])
            else:
                wide = cells_from_frame(improvement.id, frame)
                store_cells(wide, {improvement.id: improvement.data_version})
        return True
    except Exception:
        logger.exception("Cell summaries for improvement %s failed", improvement.id)
        return False


class RowsKept:
    """An improvement's active rows kept as numbers while a bulk import writes them, so that
    its cell summaries are computed from memory rather than read back from the database:
    13 bytes a row (cell, value, unit), about 13 MB for a million.

    On PostgreSQL this runs while the server is still storing the rows (the COPY's queue),
    instead of a million-row ``GROUP BY`` with percentiles after it; on SQLite it replaces
    fetching the rows again. The statistics are the numpy path's (`_cells_from_codes`, as
    on SQLite); the per-unit means are each unit's sum over its count, equal to the
    database's ``avg`` to the last digit or so. The caller must feed every active row of
    the improvement (`add_frame` with the rows already there, `add` with each chunk written)
    and use the result only if nothing else changed the rows meanwhile (`bulk_import`
    compares the data version under the improvement's lock)."""

    def __init__(self, improvement_id: int, data_version: int | None = None):
        self.improvement_id = improvement_id
        self.data_version = data_version  # the version the caller saw before the first rows
        self.codes: list[np.ndarray] = []  # 2 after + 1 control, per row
        self.values: list[np.ndarray] = []
        self.units: list[np.ndarray] = []  # position in `unit_names`; -1 no unit
        self.unit_positions: dict[str, int] = {}

    def add(self, phase, group, unit, value) -> None:
        """Rows as arrays: phase and group labels, unit text or None, value."""
        after = np.asarray(phase) == Phase.AFTER.value
        control = np.asarray(group) == StudyGroup.CONTROL.value
        self.codes.append((after * 2 + control).astype(np.int8))
        self.values.append(np.asarray(value, dtype=float))
        codes, distinct = pd.factorize(np.asarray(unit, dtype=object), use_na_sentinel=True)
        positions = [
            self.unit_positions.setdefault(name, len(self.unit_positions)) for name in distinct
        ]
        self.units.append(np.array([*positions, -1], dtype=np.int32)[codes])

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Rows as `estimates.measurements_frame` gives them."""
        self.add(frame["phase"], frame["group"], frame["unit"], frame["value"])

    def cells(self) -> pd.DataFrame:
        """`cells_from_rows` for the improvement, from the rows kept (which it lets go of:
        call it once). Memory: the rows once more, about twice over while they are sorted."""
        ids = pd.Index([self.improvement_id], name="improvement_id")
        codes = _joined(self.codes, np.int8)
        values = _joined(self.values, float)
        units = _joined(self.units, np.int32)
        self.codes, self.values, self.units = [], [], []
        # Per (unit, cell): rows and sum, one bin each (the last bin: rows without a unit).
        bins = 4 * len(self.unit_positions)
        keys = units.astype(np.int64)  # in place from here: one array of the rows' size
        keys *= 4
        keys += codes
        keys[units < 0] = bins
        del units
        rows = np.bincount(keys, minlength=bins + 1)[:bins]
        sums = np.bincount(keys, weights=values, minlength=bins + 1)[:bins]
        del keys
        present = np.flatnonzero(rows)
        names = np.array([*self.unit_positions, None], dtype=object)[:-1]
        cell = present % 4
        per_unit = pd.DataFrame(
            {
                "improvement_id": np.full(len(present), self.improvement_id),
                "unit": names[present // 4],
                "phase": np.where(cell // 2 == 1, Phase.AFTER.value, Phase.BEFORE.value),
                "group": np.where(
                    cell % 2 == 1, StudyGroup.CONTROL.value, StudyGroup.TREATMENT.value
                ),
                "rows": rows[present],
                "mean": sums[present] / rows[present],
            }
        )
        # Cell by cell, so that only one cell's values are copied and sorted at a time (each
        # cell's figures are computed on their own in `_cells_from_codes` anyway).
        first = self.improvement_id * 4.0
        long = pd.concat(
            [
                _cells_from_codes(np.full(len(chosen), first + cell), chosen)
                for cell in range(4)
                if len(chosen := values[codes == cell])
            ]
            or [_cells_from_codes(np.empty(0), np.empty(0))]
        )
        return _assemble(_widen(long, ids), _unit_summaries(per_unit), ids)


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def refresh_all_cells() -> int:
    """Rebuild every improvement's cells (after the migration, or a bulk load that wrote
    measurements without the services); how many improvements. The caller commits."""
    db.session.flush()
    versions = _versions(None)
    wide = cells_from_rows(pd.Index(sorted(versions), name="improvement_id"))
    store_cells(wide, versions, everything=True)
    return len(versions)


def stored_cells(versions: pd.Series) -> tuple[pd.DataFrame, list[int]]:
    """The stored cells of the improvements in ``versions`` (id → current data version) that
    are at that version, as `cells_from_rows` gives them; and the ids whose cells are missing
    or stale (recompute those from the rows)."""
    columns = [measurement_cells.c.improvement_id, measurement_cells.c.data_version]
    stmt = select(*columns, *(measurement_cells.c[name] for name in STATISTIC_COLUMNS))
    ids = versions.index
    if len(ids) < improvement_count():
        stmt = stmt.where(measurement_cells.c.improvement_id.in_(listed_ids(ids.tolist())))
    table = np.array(raw_rows(stmt), dtype=float).reshape(-1, 2 + len(STATISTIC_COLUMNS))
    row_ids = table[:, 0].astype(np.int64)
    current = versions.reindex(row_ids).to_numpy(dtype=float)
    fresh = table[:, 1] == current  # NaN (not asked for) never equals
    wide = pd.DataFrame(
        table[fresh, 2:],
        index=pd.Index(row_ids[fresh], name="improvement_id"),
        columns=list(STATISTIC_COLUMNS),
    ).sort_index()
    stale = sorted(set(ids.tolist()) - set(wide.index.tolist()))
    return wide, stale


def cells_from_rows(ids: pd.Index) -> pd.DataFrame:
    """One row per improvement id with every `STATISTIC_COLUMNS` statistic, from its active
    rows (NaN where a cell is empty; counts and ``undecided`` are 0 there)."""
    return _assemble(_cell_statistics(ids), _unit_statistics(ids), ids)


def cells_from_frame(improvement_id: int, frame: pd.DataFrame) -> pd.DataFrame:
    """`cells_from_rows` for one improvement whose active rows are already in memory (the
    frame `estimates.measurements_frame` gives): the write path reads the rows once for the
    estimate and the cells. The same statistics, computed the same way (numpy), except the
    per-unit means, which pandas adds in its own order (equal to the last digit or so)."""
    ids = pd.Index([improvement_id], name="improvement_id")
    values = frame["value"].to_numpy(dtype=float)
    cells = _cells_from_arrays(
        np.full(len(values), float(improvement_id)),
        (frame["phase"].to_numpy() == Phase.AFTER.value).astype(float),
        (frame["group"].to_numpy() == StudyGroup.CONTROL.value).astype(float),
        values,
    )
    with_unit = frame[frame["unit"].notna()]
    units = (
        with_unit.groupby(["unit", "phase", "group"], sort=False)["value"]
        .agg(rows="size", mean="mean")
        .reset_index()
    )
    units.insert(0, "improvement_id", improvement_id)
    return _assemble(_widen(cells, ids), _unit_summaries(units), ids)


def _assemble(cells: pd.DataFrame, units: dict[str, Any], ids: pd.Index) -> pd.DataFrame:
    paired = units["paired"].reindex(ids)[list(PAIRED_STATISTICS)].astype(float)
    distinct = units["distinct"].reindex(ids)[list(UNIT_COUNTS)].astype(float)
    wide = pd.concat(
        [cells[CELL_COLUMNS].astype(float), paired.add_prefix("paired_"), distinct], axis=1
    )
    return wide[list(STATISTIC_COLUMNS)]


def split_cells(wide: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The cell statistics (``<cell>_<statistic>`` columns) and the unit summaries
    (``paired``: the paired statistics by name; ``distinct``: the unit counts)."""
    paired = wide[PAIRED_COLUMNS].rename(columns=lambda name: name.removeprefix("paired_"))
    return wide[CELL_COLUMNS], {"paired": paired, "distinct": wide[list(UNIT_COUNTS)]}


def listed_ids(ids: list[int]):
    """A subquery of these ids sent as ONE parameter (an array; JSON on SQLite): thousands of ``IN``
    placeholders cost more to build and parse than the statement saves, and SQLite limits
    their number."""
    if db.session.get_bind().dialect.name == "postgresql":
        return select(func.unnest(bindparam(None, list(ids), type_=ARRAY(Integer))))
    return select(func.json_each(json.dumps(list(ids))).table_valued("value").c.value)


def _versions(improvement_ids: list[int] | None) -> dict[int, int]:
    stmt = select(Improvement.id, Improvement.data_version)
    if improvement_ids is None:
        return dict(raw_rows(stmt))
    return dict(raw_rows(stmt.where(Improvement.id.in_(listed_ids(improvement_ids)))))


def store_cells(wide: pd.DataFrame, versions: dict[int, int], *, everything: bool = False) -> None:
    """Replace the rows of these improvements (of all, with ``everything``)."""
    table = measurement_cells
    ids = wide.index.tolist()
    if everything:
        db.session.execute(delete(table))
    elif ids:
        db.session.execute(delete(table).where(table.c.improvement_id.in_(listed_ids(ids))))
    if not ids:
        return
    values = wide.to_numpy(dtype=float)
    rows = [
        [improvement_id, versions[improvement_id], *(None if math.isnan(v) else v for v in row)]
        for improvement_id, row in zip(ids, values.tolist(), strict=True)
    ]
    names = ["improvement_id", "data_version", *STATISTIC_COLUMNS]
    if db.session.get_bind().dialect.name == "postgresql" and len(rows) > COPY_FROM_ROWS:
        cursor = db.session.connection().connection.driver_connection.cursor()
        with cursor.copy(f"COPY measurement_cells ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    db.session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


# --- From the rows --------------------------------------------------------------------------


def _active_rows(*columns):
    return (
        select(*columns)
        .join(UploadBatch, UploadBatch.id == Measurement.batch_id)
        .where(UploadBatch.status == BatchStatus.ACTIVE)
    )


def _only_listed(stmt, ids: pd.Index):
    """Send the id list when it is short; otherwise aggregate all and drop the others later."""
    if len(ids) <= MAX_LISTED_IDS and len(ids) < improvement_count():
        return stmt.where(Measurement.improvement_id.in_(ids.tolist()))
    return stmt


def _cell_statistics(ids: pd.Index) -> pd.DataFrame:
    """One row per improvement with each cell's statistics as ``<cell>_<statistic>`` columns.

    Statistics: n, mean, variance, minimum, maximum, whether there are more than two distinct
    values, the quartiles, and ``undecided`` where a cell cannot be settled exactly from them
    (its improvement then goes the per-improvement way).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return _widen(_cells_by_sql(ids), ids)
    return _widen(_cells_by_numpy(ids), ids)


def _widen(long: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """One row per (improvement, phase, group) → one row per improvement."""
    wide = pd.DataFrame(index=ids)
    if len(long):
        long["cell"] = [
            CELL_KEYS[(_value(phase), _value(group))]
            for phase, group in zip(long["phase"], long["group"], strict=True)
        ]
        pivoted = long.pivot(index="improvement_id", columns="cell", values=list(CELL_STATISTICS))
        for statistic, cell_key in pivoted.columns:
            wide[f"{cell_key}_{statistic}"] = pivoted[(statistic, cell_key)]
    for cell_key in CELLS:
        for statistic in CELL_STATISTICS:
            column = f"{cell_key}_{statistic}"
            if column not in wide:
                wide[column] = math.nan
        wide[f"{cell_key}_n"] = wide[f"{cell_key}_n"].fillna(0.0)
        wide[f"{cell_key}_undecided"] = wide[f"{cell_key}_undecided"].fillna(0.0)
    return wide


def _cells_by_sql(ids: pd.Index) -> pd.DataFrame:
    """PostgreSQL: one GROUP BY with ordered-set aggregates, per (improvement, phase, group).

    ``var_samp`` is PostgreSQL's one-pass Youngs-Cramer algorithm, accurate to ~n·κ·ε (κ =
    |mean|/sd); cells with κ > 1e4 are left undecided. ``percentile_cont`` interpolates as
    numpy does except for rounding in the last place when the fraction is ≥ 0.5, so a minimum
    or maximum within 1e-12 of a Tukey fence is left undecided too.
    """
    value = Measurement.value
    stmt = _only_listed(
        _active_rows(
            Measurement.improvement_id,
            Measurement.phase,
            Measurement.group,
            func.count(),
            func.avg(value),
            func.var_samp(value),
            func.min(value),
            func.max(value),
            func.count(value.distinct()),
            func.percentile_cont(0.25).within_group(value),
            func.percentile_cont(0.75).within_group(value),
        ),
        ids,
    ).group_by(Measurement.improvement_id, Measurement.phase, Measurement.group)
    # Room to sort each cell's values in memory, for this transaction only.
    db.session.execute(func.set_config("work_mem", "256MB", True).select())
    rows = raw_rows(stmt)
    long = pd.DataFrame.from_records(
        rows,
        columns=[
            "improvement_id",
            "phase",
            "group",
            "n",
            "mean",
            "variance",
            "minimum",
            "maximum",
            "n_distinct",
            "q1",
            "q3",
        ],
    )
    numbers = ["n", "mean", "variance", "minimum", "maximum", "n_distinct", "q1", "q3"]
    long[numbers] = long[numbers].astype(float)
    long["more_than_two_values"] = (long["n_distinct"] > 2).astype(float)
    mean, variance = long["mean"].to_numpy(), long["variance"].to_numpy()
    ill_conditioned = (variance > 0) & (mean**2 > ILL_CONDITIONED * variance)
    long["undecided"] = (ill_conditioned | _near_a_fence(long)).astype(float)
    return long


def _near_a_fence(cells: pd.DataFrame) -> np.ndarray:
    q1, q3 = cells["q1"].to_numpy(), cells["q3"].to_numpy()
    lowest, highest = cells["minimum"].to_numpy(), cells["maximum"].to_numpy()
    spread = TUKEY_FAR_OUT * (q3 - q1)
    scale = np.abs(q1) + np.abs(q3) + np.abs(lowest) + np.abs(highest)
    with np.errstate(invalid="ignore"):
        near = (np.abs(lowest - (q1 - spread)) <= FENCE_TIE * scale) | (
            np.abs(highest - (q3 + spread)) <= FENCE_TIE * scale
        )
    # Only cells that can be flagged at all: 4 or more values, more than two distinct.
    return near & (cells["n"].to_numpy() >= 4) & (cells["more_than_two_values"].to_numpy() > 0)


def _cells_by_numpy(ids: pd.Index) -> pd.DataFrame:
    """SQLite (no variance, no percentiles, slow window functions): one query for the active
    rows, then the same statistics in numpy, exactly: a sort by (cell, value), two-pass
    variances, and the quartiles from the order statistics as numpy interpolates them.

    Each row comes as two numbers, its cell (`cell_codes`) and its value, not four: at a
    million rows that halves the fetch and the arrays sorted (about 40 MB less at the peak
    of a bulk import's refresh, docs/BENCHMARKS.md "Import")."""
    after = case((Measurement.phase == Phase.AFTER, 2), else_=0)
    control = case((Measurement.group == StudyGroup.CONTROL, 1), else_=0)
    stmt = _only_listed(
        _active_rows(Measurement.improvement_id * 4 + after + control, Measurement.value), ids
    )
    codes, values = float_rows(stmt, 2).T
    return _cells_from_codes(codes, values)


def cell_codes(improvement: np.ndarray, after: np.ndarray, control: np.ndarray) -> np.ndarray:
    """One number per row naming its cell, ordered as (improvement, phase, group):
    improvement × 4 + 2 after + 1 control (exact in a float up to 2⁵¹ improvements)."""
    return improvement * 4.0 + after * 2.0 + control


def _cells_from_arrays(
    improvement: np.ndarray, after: np.ndarray, control: np.ndarray, values: np.ndarray
) -> pd.DataFrame:
    """The cell statistics of rows given as arrays (after and control as 1.0 / 0.0)."""
    return _cells_from_codes(cell_codes(improvement, after, control), values)


def _cells_from_codes(codes: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """The cell statistics of rows given as their cells (`cell_codes`) and values."""
    if not len(values):
        return pd.DataFrame(columns=["improvement_id", "phase", "group", *CELL_STATISTICS])
    order = np.lexsort((values, codes))
    codes, values = codes[order], values[order]
    del order
    starts = np.flatnonzero(np.concatenate([[True], np.diff(codes) != 0]))
    n = np.diff(np.append(starts, len(values)))
    ends = starts + n
    mean = np.add.reduceat(values, starts) / n
    deviation = values - np.repeat(mean, n)
    deviation *= deviation
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.add.reduceat(deviation, starts) / (n - 1)
    del deviation
    new_value = np.concatenate([[True], np.diff(values) != 0])
    new_value[starts] = True
    distinct = np.add.reduceat(new_value.astype(int), starts)

    def at(offset):
        return values[np.minimum(starts + offset, ends - 1)]

    q1, q3 = linear_quartiles(
        n,
        (at((n - 1) // 4), at((n - 1) // 4 + 1)),
        (at((3 * (n - 1)) // 4), at((3 * (n - 1)) // 4 + 1)),
    )
    cell = codes[starts].astype(np.int64)
    return pd.DataFrame(
        {
            "improvement_id": cell // 4,
            "phase": np.where(cell // 2 % 2 == 1, Phase.AFTER.value, Phase.BEFORE.value),
            "group": np.where(cell % 2 == 1, StudyGroup.CONTROL.value, StudyGroup.TREATMENT.value),
            "n": n.astype(float),
            "mean": mean,
            "variance": np.where(n > 1, variance, np.nan),
            "minimum": values[starts],
            "maximum": values[ends - 1],
            "more_than_two_values": (distinct > 2).astype(float),
            "q1": q1,
            "q3": q3,
            "undecided": 0.0,
        }
    )


def _unit_statistics(ids: pd.Index) -> dict[str, Any]:
    """Per unit, phase and group: rows and mean. Gives the paired aggregates (treatment rows)
    and the distinct units (repeated units change the DiD). For every design, whichever uses
    them: the summaries depend on the rows only, so a change of plan never makes them stale."""
    stmt = (
        _only_listed(
            _active_rows(
                Measurement.improvement_id,
                Measurement.unit_ref,
                Measurement.phase,
                Measurement.group,
                func.count().label("rows"),
                func.avg(Measurement.value).label("mean"),
            ),
            ids,
        )
        .where(Measurement.unit_ref.is_not(None))
        .group_by(
            Measurement.improvement_id, Measurement.unit_ref, Measurement.phase, Measurement.group
        )
    )
    units = pd.DataFrame.from_records(
        raw_rows(stmt), columns=["improvement_id", "unit", "phase", "group", "rows", "mean"]
    )
    return _unit_summaries(units[units["improvement_id"].isin(ids)])


def _unit_summaries(units: pd.DataFrame) -> dict[str, Any]:
    """From rows and mean per (improvement, unit, phase, group): the paired aggregates and
    the distinct unit counts."""
    treated = units[units["group"] == StudyGroup.TREATMENT.value].drop(columns="group")
    by_improvement = units.groupby("improvement_id")
    distinct = pd.DataFrame(
        {"rows_with_unit": by_improvement["rows"].sum(), "units": by_improvement["unit"].nunique()}
    )
    return {"paired": _paired_aggregates(treated), "distinct": distinct}


def _paired_aggregates(unit_rows: pd.DataFrame) -> pd.DataFrame:
    """Per improvement: the per-unit differences' aggregates and order statistics."""
    if unit_rows.empty:
        return pd.DataFrame(columns=list(PAIRED_STATISTICS), dtype=float)
    wide = unit_rows.pivot(index=["improvement_id", "unit"], columns="phase")
    table = pd.DataFrame(
        {
            "before": wide.get(("mean", "before"), np.nan),
            "after": wide.get(("mean", "after"), np.nan),
            "rows_before": wide.get(("rows", "before"), np.nan),
            "rows_after": wide.get(("rows", "after"), np.nan),
        },
        index=wide.index,
    )
    complete = table.dropna(subset=["before", "after"])
    all_units = table.groupby(level="improvement_id").size()
    units = complete.assign(difference=complete["after"] - complete["before"])
    improvement = units.index.get_level_values("improvement_id")
    grouped = units.groupby(level="improvement_id", sort=True)
    n = grouped.size()
    centred_d = units["difference"] - grouped["difference"].transform("mean")
    centred_b = units["before"] - grouped["before"].transform("mean")
    result = pd.DataFrame(
        {
            "n_units": n,
            "mean_difference": grouped["difference"].mean(),
            "variance_difference": (centred_d**2).groupby(improvement).sum() / (n - 1),
            "mean_before": grouped["before"].mean(),
            "variance_before": (centred_b**2).groupby(improvement).sum() / (n - 1),
            "covariance_difference_before": (centred_d * centred_b).groupby(improvement).sum()
            / (n - 1),
            "rows_before": grouped["rows_before"].sum(),
            "rows_after": grouped["rows_after"].sum(),
        }
    )
    result = result.reindex(all_units.index)
    result["n_units"] = result["n_units"].fillna(0.0)
    result["n_dropped"] = all_units - result["n_units"]
    if units.empty:  # units, but none seen in both phases
        return result.assign(**{name: np.nan for name in PAIRED_STATISTICS if name not in result})
    # Quartiles of the differences within each improvement: sort once, then index.
    ordered = units.assign(improvement=improvement).sort_values(
        ["improvement", "difference"], kind="stable"
    )
    values = ordered["difference"].to_numpy()
    counts = n.to_numpy().astype(int)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
    ends = starts + counts

    def at(offset):
        return values[np.minimum(starts + offset, ends - 1)]

    q1, q3 = linear_quartiles(
        counts,
        (at((counts - 1) // 4), at((counts - 1) // 4 + 1)),
        (at((3 * (counts - 1)) // 4), at((3 * (counts - 1)) // 4 + 1)),
    )
    new_value = np.concatenate([[True], np.diff(values) != 0])
    new_value[starts] = True
    stats = pd.DataFrame(
        {
            "minimum": values[starts],
            "maximum": values[ends - 1],
            "more_than_two_values": np.add.reduceat(new_value.astype(int), starts) > 2,
            "q1": q1,
            "q3": q3,
        },
        index=n.index,
    )
    return result.join(stats)


def improvement_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Improvement)) or 0


def raw_rows(stmt) -> list[tuple]:
    """The statement's rows as the driver returns them: plain tuples, no per-value processing
    by SQLAlchemy (enum labels stay strings), which matters at a million rows."""
    result = db.session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def float_rows(stmt, width: int) -> np.ndarray:
    """The statement's rows as one float array (rows × width), filled straight from the
    driver's cursor: a million rows as a list of tuples would hold about 100 MB at once."""
    result = db.session.connection().execute(stmt)
    try:
        values = np.fromiter(itertools.chain.from_iterable(result.cursor), dtype=float)
    finally:
        result.close()
    return values.reshape(-1, width)


def _value(label) -> str:
    return label.value if hasattr(label, "value") else str(label)
