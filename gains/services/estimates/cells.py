"""The per-improvement cell summaries, kept as rows arrive and read everywhere else.

The statistics need, per improvement, a few numbers per cell (treatment / control × before /
after): count, mean, variance, minimum, maximum, whether there are more than two distinct
values, the quartiles, plus the paired summary of the per-unit means and the unit counts the
DiD needs (`gains.stats.cells` computes them, the one implementation). `measurement_cells`
keeps them, one row per improvement, and this module is the only one that writes or reads it:

* `refresh_cells` recomputes an improvement's row FROM ITS ROWS (never merged incrementally,
  so it is exact by construction) whenever its data version changes: `estimates.current.
  refresh_estimate`, which every write path reaches through `measurements.data_changed`
  (and `plan_changes` for amendments), calls it first, in the writing transaction;
* each row records the data version it was computed at; readers (`current_cells`) take only
  rows at the improvement's current version, and compute anything else from the rows, so a
  missing or stale row costs time, never a wrong figure; recompute-all stores what it had to
  compute, a page never does (GET never writes);
* `refresh_all_cells` rebuilds the table (`gains estimates refresh-cells`, after a bulk load
  that bypassed the services).

Rows reach the computation one way, `RowsKept`: a bulk import feeds it the rows as it writes
them, the write path the rows it read for the estimate, `cells_from_rows` the rows it reads
from the database (in id order, the order the estimate's frame reads them in).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from sqlalchemy import case, delete, insert, select

from gains.database import MAX_LISTED_IDS, listed_ids, raw_rows, row_slices
from gains.extensions import db
from gains.models import Improvement, Measurement, Phase, StudyGroup, measurement_cells
from gains.models.cells import (
    CELL_STATISTICS,
    CELLS,
    PAIRED_STATISTICS,
    STATISTIC_COLUMNS,
    TREND_CELLS,
    TREND_COLUMNS,
    UNIT_COUNTS,
)
from gains.services.measurements.active import active_measurements
from gains.stats.cells import cell_index, cell_statistics, unit_summaries
from gains.stats.evidence import TREND_FIGURES, trend_summaries, week_numbers

logger = logging.getLogger(__name__)

# The cells in `stats.cells.cell_index` order: 2 × after + 1 × control.
CELL_OF_INDEX = ("tb", "cb", "ta", "ca")
CELL_COLUMNS = [f"{cell}_{statistic}" for cell in CELLS for statistic in CELL_STATISTICS]
PAIRED_COLUMNS = [f"paired_{statistic}" for statistic in PAIRED_STATISTICS]
COPY_FROM_ROWS = 100  # more rows than this go in by COPY on PostgreSQL
SLICE_ROWS = 50_000  # rows read from the database at a time


# --- Keeping the table ----------------------------------------------------------------------


def refresh_cells(improvement_ids: list[int]) -> pd.DataFrame:
    """Recompute and store the cells of these improvements from their active rows, at their
    current data versions; the caller commits. Returns the statistics (`cells_from_rows`)."""
    db.session.flush()  # rows and versions not yet written must count
    versions = data_versions(improvement_ids)
    wide = cells_from_rows(versions.index)
    store_cells(wide, versions.to_dict())
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
            if computed is None and frame is None:
                refresh_cells([improvement.id])
                return True
            if computed is None:
                computed = cells_from_frame(improvement.id, frame)
            store_cells(computed, {improvement.id: improvement.data_version})
        return True
    except Exception:
        logger.exception("Cell summaries for improvement %s failed", improvement.id)
        return False


def refresh_all_cells() -> int:
    """Rebuild every improvement's cells (after the migration, or a bulk load that wrote
    measurements without the services); how many improvements. The caller commits."""
    db.session.flush()
    versions = data_versions(None)
    store_cells(cells_from_rows(versions.index), versions.to_dict(), everything=True)
    return len(versions)


def current_cells(
    ids: pd.Index, *, every_improvement: bool = False, store_computed: bool = False
) -> pd.DataFrame:
    """Every `STATISTIC_COLUMNS` statistic of these improvements, one row each in that order:
    the kept row where it is at the improvement's current data version, else computed from
    the rows, and stored only with ``store_computed`` (recompute-all; a page never writes).
    ``every_improvement``: ``ids`` are all of them (no id list is sent)."""
    stored, stale = stored_cells(ids, every_improvement=every_improvement)
    if not stale:
        return stored.reindex(ids)
    computed = cells_from_rows(pd.Index(stale, name="improvement_id"))
    if store_computed:
        store_cells(computed, data_versions(stale).to_dict())
    return pd.concat([stored, computed]).reindex(ids)


def stored_cells(
    ids: pd.Index, *, every_improvement: bool = False
) -> tuple[pd.DataFrame, list[int]]:
    """The kept cells of these improvements that are at their current data version (one
    query), and the ids whose cells are missing or stale."""
    db.session.flush()  # a data version not yet written must count
    at_current_version = (Improvement.id == measurement_cells.c.improvement_id) & (
        Improvement.data_version == measurement_cells.c.data_version
    )
    stmt = select(
        measurement_cells.c.improvement_id,
        *(measurement_cells.c[name] for name in STATISTIC_COLUMNS),
    ).join(Improvement, at_current_version)
    if not every_improvement:
        stmt = stmt.where(measurement_cells.c.improvement_id.in_(listed_ids(list(ids))))
    table = np.array(raw_rows(stmt), dtype=float).reshape(-1, 1 + len(STATISTIC_COLUMNS))
    wide = pd.DataFrame(
        table[:, 1:],
        index=pd.Index(table[:, 0].astype(np.int64), name="improvement_id"),
        columns=list(STATISTIC_COLUMNS),
    ).sort_index()
    stale = sorted(set(ids.tolist()) - set(wide.index.tolist()))
    return wide, stale


def data_versions(improvement_ids: list[int] | None) -> pd.Series:
    """Improvement id → current data version, by id (of every improvement with None)."""
    stmt = select(Improvement.id, Improvement.data_version).order_by(Improvement.id)
    if improvement_ids is not None:
        stmt = stmt.where(Improvement.id.in_(listed_ids(list(improvement_ids))))
    rows = raw_rows(stmt)
    return pd.Series(
        [version for _, version in rows],
        index=pd.Index([i for i, _ in rows], name="improvement_id", dtype=np.int64),
        dtype=np.int64,
    )


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
    values = wide[list(STATISTIC_COLUMNS)].to_numpy(dtype=float)
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


def split_cells(wide: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The cell statistics (``<cell>_<statistic>`` columns) and the unit summaries
    (``paired``: the paired statistics by name; ``distinct``: the unit counts; ``trends``:
    the before cells' weekly trends, ``<cell>_<figure>``)."""
    paired = wide[PAIRED_COLUMNS].rename(columns=lambda name: name.removeprefix("paired_"))
    return wide[CELL_COLUMNS], {
        "paired": paired,
        "distinct": wide[list(UNIT_COUNTS)],
        "trends": wide[list(TREND_COLUMNS)],
    }


# --- From the rows --------------------------------------------------------------------------


class RowsKept:
    """Active rows kept as numbers (cell, value, unit, week; and improvement, for rows of
    many), from which `cells` computes their summaries: 21 bytes a row, about 21 MB for a
    million.

    A bulk import feeds it the rows as it writes them (`add_frame` with the rows already
    there, `add` with each chunk written), so that on PostgreSQL the summaries are computed
    while the server is still storing the rows and on SQLite without fetching them again;
    it must use the result only if nothing else changed the rows meanwhile (`bulk_import`
    compares the data version under the improvement's lock). Per-unit means are each unit's
    sum over its count (equal to the database's ``avg`` or pandas' mean to the last digit
    or so)."""

    def __init__(self, improvement_id: int | None = None, data_version: int | None = None):
        self.improvement_id = improvement_id  # None: rows of many, each `add` says whose
        self.data_version = data_version  # the version the caller saw before the first rows
        self.improvements: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []  # `stats.cells.cell_index`, per row
        self.values: list[np.ndarray] = []
        self.units: list[np.ndarray] = []  # position in `unit_positions`; -1 no unit
        self.weeks: list[np.ndarray] = []  # `stats.evidence.week_numbers`; NaN no date
        self.unit_positions: dict[str, int] = {}

    def add(self, phase, group, unit, value, date, improvement=None) -> None:
        """Rows as arrays: phase and group labels, unit text or None, value, date or None
        (and improvement id, for rows of many improvements)."""
        self.add_coded(cell_index(phase, group), unit, value, date, improvement)

    def add_coded(self, cells, unit, value, date, improvement=None) -> None:
        """`add` with each row's cell given as its `stats.cells.cell_index`."""
        if self.improvement_id is None:
            self.improvements.append(np.asarray(improvement, dtype=np.int64))
        self.codes.append(np.asarray(cells, dtype=np.int8))
        self.values.append(np.asarray(value, dtype=float))
        self.weeks.append(week_numbers(date))
        codes, distinct = pd.factorize(np.asarray(unit, dtype=object), use_na_sentinel=True)
        positions = [
            self.unit_positions.setdefault(name, len(self.unit_positions)) for name in distinct
        ]
        self.units.append(np.array([*positions, -1], dtype=np.int64)[codes])

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Rows as `estimates.current.measurements_frame` gives them."""
        self.add(frame["phase"], frame["group"], frame["unit"], frame["value"], frame["date"])

    def cells(self, ids: pd.Index | None = None) -> pd.DataFrame:
        """One row per improvement id (``ids``, default the one improvement kept) with every
        `STATISTIC_COLUMNS` statistic: NaN where a cell is empty, counts 0 there. Lets go of
        the rows: call it once. Memory: one cell's rows at a time, twice over."""
        if ids is None:
            ids = pd.Index([self.improvement_id], name="improvement_id")
        many = self.improvement_id is None
        improvement = _joined(self.improvements, np.int64) if many else self.improvement_id
        codes = _joined(self.codes, np.int8)
        values = _joined(self.values, float)
        units = _joined(self.units, np.int64)
        weeks = _joined(self.weeks, float)
        self.improvements, self.codes, self.values, self.units, self.weeks = [], [], [], [], []
        per_unit = _unit_means(improvement, codes, values, units, list(self.unit_positions))
        del units
        # Cell by cell, so that only one cell's values are copied and sorted at a time.
        wide = pd.DataFrame(index=ids)
        for index, cell in enumerate(CELL_OF_INDEX):
            chosen = codes == index
            owners = improvement[chosen] if many else np.full(chosen.sum(), improvement)
            statistics = cell_statistics(owners, values[chosen]).reindex(ids)
            for statistic in CELL_STATISTICS:
                wide[f"{cell}_{statistic}"] = statistics[statistic].to_numpy(dtype=float)
            wide[f"{cell}_n"] = wide[f"{cell}_n"].fillna(0.0)
            if cell in TREND_CELLS:
                trends = trend_summaries(owners, weeks[chosen], values[chosen]).reindex(ids)
                for figure in TREND_FIGURES:
                    wide[f"{cell}_{figure}"] = trends[figure].to_numpy(dtype=float)
        return _assemble(wide, unit_summaries(per_unit), ids)


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def _unit_means(improvement, codes, values, units, names: list[str]) -> pd.DataFrame:
    """Rows and mean per (improvement, unit, cell) of the rows with a unit."""
    with_unit = units >= 0
    owners = improvement[with_unit] if np.ndim(improvement) else improvement
    keys = (owners * (len(names) + 1) + units[with_unit]) * 4 + codes[with_unit]
    distinct, position = np.unique(keys, return_inverse=True)
    rows = np.bincount(position, minlength=len(distinct))
    sums = np.bincount(position, weights=values[with_unit], minlength=len(distinct))
    cell = distinct % 4
    return pd.DataFrame(
        {
            "improvement_id": distinct // 4 // (len(names) + 1),
            "unit": np.array(names, dtype=object)[distinct // 4 % (len(names) + 1)],
            "phase": np.where(cell >= 2, "after", "before"),
            "group": np.where(cell % 2 == 1, "control", "treatment"),
            "rows": rows,
            "mean": sums / np.maximum(rows, 1),
        }
    )


def _assemble(cells: pd.DataFrame, units: dict[str, pd.DataFrame], ids: pd.Index) -> pd.DataFrame:
    paired = units["paired"].reindex(ids)[list(PAIRED_STATISTICS)].astype(float)
    distinct = units["distinct"].reindex(ids)[list(UNIT_COUNTS)].astype(float)
    wide = pd.concat(
        [
            cells[CELL_COLUMNS].astype(float),
            paired.add_prefix("paired_"),
            distinct,
            cells[list(TREND_COLUMNS)].astype(float),
        ],
        axis=1,
    )
    return wide[list(STATISTIC_COLUMNS)]


def cells_from_rows(ids: pd.Index) -> pd.DataFrame:
    """`RowsKept.cells` of these improvements, from their active rows in the database: four
    values a row (improvement and cell as one, unit, value, date), in id order."""
    ids = pd.Index(ids, name="improvement_id")
    after = case((Measurement.phase == Phase.AFTER, 2), else_=0)
    control = case((Measurement.group == StudyGroup.CONTROL, 1), else_=0)
    stmt = active_measurements(
        Measurement.improvement_id * 4 + after + control,
        Measurement.unit_ref,
        Measurement.value,
        Measurement.observed_on,
    ).order_by(Measurement.id)
    if len(ids) <= MAX_LISTED_IDS:  # more: read all, keep theirs (a long list costs more)
        stmt = stmt.where(Measurement.improvement_id.in_([int(i) for i in ids]))
    kept = RowsKept()
    for rows in row_slices(stmt, SLICE_ROWS):
        columns = np.empty((len(rows), 4), dtype=object)
        columns[:] = rows
        coded, unit, value, observed_on = columns.T
        coded = coded.astype(np.int64)
        kept.add_coded(coded % 4, unit, value.astype(float), observed_on, coded // 4)
    return kept.cells(ids)


def cells_from_frame(improvement_id: int, frame: pd.DataFrame) -> pd.DataFrame:
    """`RowsKept.cells` for one improvement whose active rows are already in memory (the
    frame `estimates.current.measurements_frame` gives): the write path reads the rows once
    for the estimate and the cells."""
    kept = RowsKept(improvement_id)
    kept.add_frame(frame)
    return kept.cells()
