"""Recompute every improvement's estimate at once, from database aggregates.

`estimates.refresh_estimate` computes one improvement's estimate from its rows whenever its
data change. When the statistics change (a new method version, a fix) every cached estimate
must be rebuilt; doing that one improvement at a time costs a query, a DataFrame and a model
fit each. This module does it in a fixed number of queries whatever the number of
improvements:

1. per (improvement, phase, group): the count, mean, sample variance, minimum, maximum,
   whether there are more than two distinct values, and the quartiles (the strong-outlier
   warning needs them exactly as numpy computes them). PostgreSQL answers this with one
   ``GROUP BY``; SQLite has no variance or percentile aggregates (and its window functions
   are slow), so one query fetches the active rows and numpy computes the same figures;
2. one ``GROUP BY`` (improvement, unit, phase, group) for the designs that can be paired: the
   per-unit means, and the distinct units of control-group designs (repeated units change
   the DiD);
3. the statistics for all improvements of a method at once (`gains.stats.sufficient`);
4. one bulk ``DELETE`` and one bulk ``INSERT`` (``COPY`` on PostgreSQL) of the estimates.

The documents equal the per-improvement ones (`estimates.estimate_document`): the same method,
counts, warnings and "not enough data" messages, and numbers within rounding (1e-9; tested).
What the aggregates cannot decide exactly goes through the per-improvement path: time series
(weekly regressions with HAC errors), DiD with repeated units (clustered, or unit means), and
on PostgreSQL the rare cells where its one-pass variance or its interpolation could differ
from numpy in the last digits (see `_cells_by_sql`).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, exists, func, insert, select

from gains.extensions import db
from gains.models import (
    BatchStatus,
    Design,
    Estimate,
    Improvement,
    Measurement,
    StudyGroup,
    UploadBatch,
)
from gains.models.base import utcnow
from gains.models.enums import Phase
from gains.services.estimates import (
    NO_MEASUREMENTS,
    NoEstimate,
    estimate_document,
    estimate_row,
    not_enough_data,
)
from gains.stats.assemble import TUKEY_FAR_OUT, direction_sign
from gains.stats.sufficient import (
    CellAggregates,
    EstimateArrays,
    did_from_cells,
    linear_quartiles,
    paired_from_differences,
    strong_outliers,
    welch_from_cells,
)
from gains.stats.warning_codes import StatsWarning, describe

MAX_LISTED_IDS = 5_000  # longest id list sent in one statement
ALPHA = 0.05  # as `estimates.estimate_document` (the app's default level)
LEVEL = 1.0 - ALPHA
TOO_FEW_ROWS = "each side needs at least 2 observations"  # as `stats.estimates._welch_core`
CELLS = ("tb", "ta", "cb", "ca")  # treatment/control × before/after
CELL_KEYS = {
    (Phase.BEFORE.value, StudyGroup.TREATMENT.value): "tb",
    (Phase.AFTER.value, StudyGroup.TREATMENT.value): "ta",
    (Phase.BEFORE.value, StudyGroup.CONTROL.value): "cb",
    (Phase.AFTER.value, StudyGroup.CONTROL.value): "ca",
}
CELL_STATISTICS = (
    "n",
    "mean",
    "variance",
    "minimum",
    "maximum",
    "more_than_two_values",
    "q1",
    "q3",
    "undecided",
)
ILL_CONDITIONED = 1e8  # mean² / variance above this: the one-pass variance may lose digits
FENCE_TIE = 1e-12  # relative distance to a Tukey fence within which rounding could decide
# The order in which `EstimateResult.to_dict` lists its keys (counts last).
RESULT_KEYS = (
    "method",
    "level",
    "effect",
    "se",
    "df",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "gain",
    "gain_ci_low",
    "gain_ci_high",
    "counterfactual_mean",
    "relative_change",
    "relative_se",
    "relative_ci_low",
    "relative_ci_high",
    "hedges_g",
    "hedges_g_variance",
)


@dataclass
class Recomputed:
    """Per improvement id, the result document or why there is none; and how each was made."""

    documents: dict[int, dict[str, Any] | NoEstimate] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)  # data version each was computed at
    methods: Counter = field(default_factory=Counter)  # fast-path documents per method
    per_improvement_ids: list[int] = field(default_factory=list)  # went the row-by-row way
    seconds: dict[str, float] = field(default_factory=dict)


def recompute_all(
    improvement_ids: list[int] | None = None, *, per_improvement: bool = True
) -> Recomputed:
    """Recompute and store the estimate of every improvement (or of the ids given).

    Replaces any cached estimate at each improvement's current data version; improvements
    with no estimate (no data, too few rows) keep none. The caller commits. With
    ``per_improvement=False`` the improvements the aggregates cannot cover are left alone.
    """
    began = time.perf_counter()
    recomputed = compute_estimates(improvement_ids, per_improvement=per_improvement)
    write_began = time.perf_counter()
    versions = recomputed.versions
    covered = [i for i in recomputed.documents if i in versions]
    _delete_current(covered)
    rows = [
        estimate_row(improvement_id, versions[improvement_id], data)
        for improvement_id, data in recomputed.documents.items()
        if not isinstance(data, NoEstimate)
    ]
    _insert_estimates(rows)
    recomputed.seconds["write"] = time.perf_counter() - write_began
    recomputed.seconds["total"] = time.perf_counter() - began
    return recomputed


def compute_estimates(
    improvement_ids: list[int] | None = None, *, per_improvement: bool = True
) -> Recomputed:
    """The result documents without storing them (see `recompute_all`)."""
    recomputed = Recomputed()
    began = time.perf_counter()
    plans = _plans(improvement_ids)
    ids = plans.index.to_numpy()
    recomputed.versions = dict(zip(ids.tolist(), plans["data_version"].tolist(), strict=True))
    cells = _cell_statistics(plans)
    units = _unit_statistics(plans)
    recomputed.seconds["queries"] = time.perf_counter() - began

    stats_began = time.perf_counter()
    routes = _routes(plans, cells, units)
    documents = recomputed.documents
    for improvement_id, reason in routes["no_estimate"].items():
        documents[improvement_id] = NoEstimate(reason)
    for method, (chosen, downgraded) in routes["fast"].items():
        if not len(chosen):
            continue
        arrays, extra = _run_method(method, plans.loc[chosen], cells.loc[chosen], units)
        for position, improvement_id in enumerate(chosen.tolist()):
            documents[improvement_id] = _document(
                method, arrays, extra, position, improvement_id in downgraded
            )
        recomputed.methods[method] += len(chosen)
    recomputed.seconds["statistics"] = time.perf_counter() - stats_began

    slow_began = time.perf_counter()
    recomputed.per_improvement_ids = sorted(routes["per_improvement"])
    ids_one_by_one = recomputed.per_improvement_ids if per_improvement else []
    for start in range(0, len(ids_one_by_one), MAX_LISTED_IDS):
        chunk = ids_one_by_one[start : start + MAX_LISTED_IDS]
        for improvement in db.session.scalars(select(Improvement).where(Improvement.id.in_(chunk))):
            documents[improvement.id] = estimate_document(improvement)
    recomputed.seconds["per_improvement"] = time.perf_counter() - slow_began
    return recomputed


# --- Queries ---------------------------------------------------------------------------------


def _plans(improvement_ids: list[int] | None) -> pd.DataFrame:
    stmt = select(
        Improvement.id,
        Improvement.design,
        Improvement.direction,
        Improvement.expected_effect,
        Improvement.data_version,
    ).order_by(Improvement.id)
    if improvement_ids is not None:
        stmt = stmt.where(Improvement.id.in_(improvement_ids))
    plans = pd.DataFrame.from_records(
        _raw_rows(stmt), columns=["id", "design", "direction", "planned_effect", "data_version"]
    )
    plans["sign"] = [direction_sign(direction) for direction in plans.pop("direction")]
    plans["planned_effect"] = plans["planned_effect"].astype(float)
    return plans.set_index("id")


def _active_rows(*columns):
    return (
        select(*columns)
        .join(UploadBatch, UploadBatch.id == Measurement.batch_id)
        .where(UploadBatch.status == BatchStatus.ACTIVE)
    )


def _only_listed(stmt, plans: pd.DataFrame):
    """Send the id list when it is short; otherwise aggregate all and drop the others later."""
    if len(plans) <= MAX_LISTED_IDS and len(plans) < _all_improvements_count():
        return stmt.where(Measurement.improvement_id.in_(plans.index.tolist()))
    return stmt


def _cell_statistics(plans: pd.DataFrame) -> pd.DataFrame:
    """One row per improvement with each cell's statistics as ``<cell>_<statistic>`` columns.

    Statistics: n, mean, variance, minimum, maximum, whether there are more than two distinct
    values, the quartiles, and ``undecided`` where a cell cannot be settled exactly from them
    (its improvement then goes the per-improvement way).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        long = _cells_by_sql(plans)
    else:
        long = _cells_by_numpy(plans)
    wide = pd.DataFrame(index=plans.index)
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


def _cells_by_sql(plans: pd.DataFrame) -> pd.DataFrame:
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
        plans,
    ).group_by(Measurement.improvement_id, Measurement.phase, Measurement.group)
    # Room to sort each cell's values in memory, for this transaction only.
    db.session.execute(func.set_config("work_mem", "256MB", True).select())
    rows = _raw_rows(stmt)
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


def _cells_by_numpy(plans: pd.DataFrame) -> pd.DataFrame:
    """SQLite (no variance, no percentiles, slow window functions): one query for the active
    rows, then the same statistics in numpy, exactly: a sort by (cell, value), two-pass
    variances, and the quartiles from the order statistics as numpy interpolates them."""
    stmt = _only_listed(
        _active_rows(
            Measurement.improvement_id,
            (Measurement.phase == Phase.AFTER).label("after"),
            (Measurement.group == StudyGroup.CONTROL).label("control"),
            Measurement.value,
        ),
        plans,
    )
    rows = _float_rows(stmt, 4)
    if not len(rows):
        return pd.DataFrame(columns=["improvement_id", "phase", "group", *CELL_STATISTICS])
    # Sorted in one copy, the unsorted rows let go: a bulk import's refresh runs this over
    # a million rows inside its transaction.
    improvement, after, control, values = rows[np.lexsort(rows.T[::-1])].T
    del rows
    starts = np.flatnonzero(
        np.concatenate(
            [[True], (np.diff(improvement) != 0) | (np.diff(after) != 0) | (np.diff(control) != 0)]
        )
    )
    n = np.diff(np.append(starts, len(values)))
    ends = starts + n
    mean = np.add.reduceat(values, starts) / n
    deviation = values - np.repeat(mean, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.add.reduceat(deviation * deviation, starts) / (n - 1)
    new_value = np.concatenate([[True], np.diff(values) != 0]) | np.isin(
        np.arange(len(values)), starts
    )
    distinct = np.add.reduceat(new_value.astype(int), starts)

    def at(offset):
        return values[np.minimum(starts + offset, ends - 1)]

    q1, q3 = linear_quartiles(
        n,
        (at((n - 1) // 4), at((n - 1) // 4 + 1)),
        (at((3 * (n - 1)) // 4), at((3 * (n - 1)) // 4 + 1)),
    )
    return pd.DataFrame(
        {
            "improvement_id": improvement[starts].astype(int),
            "phase": np.where(after[starts] == 1, Phase.AFTER.value, Phase.BEFORE.value),
            "group": np.where(
                control[starts] == 1, StudyGroup.CONTROL.value, StudyGroup.TREATMENT.value
            ),
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


def _unit_statistics(plans: pd.DataFrame) -> dict[str, Any]:
    """Per unit, phase and group of the designs that can be paired: rows and mean. Gives the
    paired aggregates (treatment rows) and the distinct units of control-group designs."""
    pairable = (Design.PAIRED, Design.CONTROL_GROUP)
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
            plans,
        )
        .join(Improvement, Improvement.id == Measurement.improvement_id)
        .where(Improvement.design.in_(pairable), Measurement.unit_ref.is_not(None))
        .group_by(
            Measurement.improvement_id, Measurement.unit_ref, Measurement.phase, Measurement.group
        )
    )
    units = pd.DataFrame.from_records(
        _raw_rows(stmt), columns=["improvement_id", "unit", "phase", "group", "rows", "mean"]
    )
    units = units[units["improvement_id"].isin(plans.index)]
    treated = units[units["group"] == StudyGroup.TREATMENT.value].drop(columns="group")
    by_improvement = units.groupby("improvement_id")
    distinct = pd.DataFrame(
        {"rows_with_unit": by_improvement["rows"].sum(), "units": by_improvement["unit"].nunique()}
    )
    return {"paired": _paired_aggregates(treated), "distinct": distinct}


def _paired_aggregates(unit_rows: pd.DataFrame) -> pd.DataFrame:
    """Per improvement: the per-unit differences' aggregates and order statistics."""
    columns = [
        "n_units",
        "mean_difference",
        "variance_difference",
        "mean_before",
        "variance_before",
        "covariance_difference_before",
        "n_dropped",
        "rows_before",
        "rows_after",
        "minimum",
        "maximum",
        "more_than_two_values",
        "q1",
        "q3",
    ]
    if unit_rows.empty:
        return pd.DataFrame(columns=columns, dtype=float)
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
        return result.assign(**{name: np.nan for name in columns if name not in result})
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


def _all_improvements_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Improvement)) or 0


def _raw_rows(stmt) -> list[tuple]:
    """The statement's rows as the driver returns them: plain tuples, no per-value processing
    by SQLAlchemy (enum labels stay strings), which matters at a million rows."""
    result = db.session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _float_rows(stmt, width: int) -> np.ndarray:
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


# --- Which method each improvement gets ------------------------------------------------------


def _routes(plans: pd.DataFrame, cells: pd.DataFrame, units: dict[str, Any]) -> dict[str, Any]:
    """`stats.design._supported_design`, decided from the aggregates for every improvement."""
    no_estimate: dict[int, str] = {}
    per_improvement: list[int] = []
    chosen: dict[str, list[int]] = {"welch": [], "paired": [], "did": [], "tvc": []}
    downgraded: dict[str, set[int]] = {"welch": set(), "paired": set(), "did": set(), "tvc": set()}
    index = plans.index
    pairs = units["paired"]["n_units"].reindex(index).fillna(0).to_numpy().tolist()
    distinct = units["distinct"].reindex(index)
    rows_with_unit = distinct["rows_with_unit"].fillna(0).to_numpy().tolist()
    unit_count = distinct["units"].fillna(0).to_numpy().tolist()
    counts = zip(
        *(cells[f"{cell_key}_n"].to_numpy().astype(int).tolist() for cell_key in CELLS),
        strict=True,
    )
    undecided = (cells[[f"{cell_key}_undecided" for cell_key in CELLS]].sum(axis=1) > 0).tolist()
    too_few = not_enough_data(TOO_FEW_ROWS).reason
    for i, (improvement_id, design, (tb, ta, cb, ca)) in enumerate(
        zip(index.tolist(), plans["design"].tolist(), counts, strict=True)
    ):
        rows = tb + ta + cb + ca
        if rows == 0:
            no_estimate[improvement_id] = NO_MEASUREMENTS
            continue
        if design == Design.TIME_SERIES.value or undecided[i]:
            per_improvement.append(improvement_id)
            continue
        if design == Design.CONTROL_GROUP.value and cb + ca > 0:
            if min(tb, ta, cb, ca) >= 2:
                # As `stats.did`: every row has a unit and some unit repeats → clustered or
                # unit means, which need the rows.
                if rows_with_unit[i] == rows and unit_count[i] < rows:
                    per_improvement.append(improvement_id)
                else:
                    chosen["did"].append(improvement_id)
                continue
            if tb + cb == 0:
                if ta < 2 or ca < 2:
                    no_estimate[improvement_id] = too_few
                else:
                    chosen["tvc"].append(improvement_id)
                continue
        pairable = design in (Design.PAIRED.value, Design.CONTROL_GROUP.value)
        if pairable and pairs[i] >= 2:
            chosen["paired"].append(improvement_id)
            if design == Design.CONTROL_GROUP.value:
                downgraded["paired"].add(improvement_id)
            continue
        if tb < 2 or ta < 2:
            no_estimate[improvement_id] = too_few
            continue
        chosen["welch"].append(improvement_id)
        if design != Design.BEFORE_AFTER.value:
            downgraded["welch"].add(improvement_id)
    return {
        "no_estimate": no_estimate,
        "per_improvement": per_improvement,
        "fast": {
            method: (np.asarray(ids, dtype=int), downgraded[method])
            for method, ids in chosen.items()
        },
    }


# --- Statistics for one method, all improvements at once -------------------------------------


def _cell(cells: pd.DataFrame, cell_key: str) -> CellAggregates:
    return CellAggregates.of(
        cells[f"{cell_key}_n"].to_numpy(),
        cells[f"{cell_key}_mean"].to_numpy(),
        cells[f"{cell_key}_variance"].to_numpy(),
    )


def _outliers(table: pd.DataFrame, prefix: str = "") -> np.ndarray:
    return strong_outliers(
        *(
            table[f"{prefix}{name}"].to_numpy()
            for name in ("n", "minimum", "maximum", "more_than_two_values", "q1", "q3")
        )
    )


def _run_method(
    method: str, plans: pd.DataFrame, cells: pd.DataFrame, units: dict[str, Any]
) -> tuple[EstimateArrays, dict[str, np.ndarray]]:
    sign = plans["sign"].to_numpy()
    planned = plans["planned_effect"].to_numpy()
    common = {"direction_sign": sign, "level": LEVEL, "planned_effect": planned}
    arrays, extra = _method_arrays(method, plans, cells, units, common)
    return arrays, {"sign": sign, **extra}


def _method_arrays(method, plans, cells, units, common):
    n = {cell_key: cells[f"{cell_key}_n"].to_numpy() for cell_key in CELLS}
    if method == "welch":
        arrays = welch_from_cells(_cell(cells, "tb"), _cell(cells, "ta"), **common)
        outliers = _outliers(cells, "tb_") | _outliers(cells, "ta_")
        return arrays, {"outliers": outliers, "n_before": n["tb"], "n_after": n["ta"]}
    if method == "tvc":
        arrays = welch_from_cells(_cell(cells, "ca"), _cell(cells, "ta"), **common)
        outliers = _outliers(cells, "ta_") | _outliers(cells, "ca_")
        return arrays, {"outliers": outliers, "n_after": n["ta"] + n["ca"], **n}
    if method == "did":
        arrays = did_from_cells(*(_cell(cells, cell_key) for cell_key in CELLS), **common)
        outliers = np.logical_or.reduce([_outliers(cells, f"{key}_") for key in CELLS])
        distinct = units["distinct"].reindex(plans.index)
        return arrays, {
            "outliers": outliers,
            "n_before": n["tb"] + n["cb"],
            "n_after": n["ta"] + n["ca"],
            "units": distinct["units"].fillna(0).to_numpy(),
            **n,
        }
    paired = units["paired"].loc[plans.index]
    arrays = paired_from_differences(
        *(paired[column].to_numpy() for column in _PAIRED_INPUTS), **common
    )
    return arrays, {
        "outliers": _outliers(paired.rename(columns={"n_units": "n"})),
        "n_before": paired["rows_before"].to_numpy(),
        "n_after": paired["rows_after"].to_numpy(),
        "units": paired["n_units"].to_numpy(),
        "n_dropped": paired["n_dropped"].to_numpy(),
    }


_PAIRED_INPUTS = (
    "n_units",
    "mean_difference",
    "variance_difference",
    "mean_before",
    "variance_before",
    "covariance_difference_before",
)
_METHOD_NAMES = {"welch": "welch", "paired": "paired", "did": "did", "tvc": "treatment_vs_control"}


# --- Documents -------------------------------------------------------------------------------


def _document(
    method: str, arrays: EstimateArrays, extra: dict[str, np.ndarray], i: int, downgraded: bool
) -> dict[str, Any]:
    """One improvement's result document, key for key as `EstimateResult.to_dict` gives it."""
    warnings: list[StatsWarning] = []
    if downgraded:
        warnings.append(StatsWarning.DESIGN_DOWNGRADED)
    if method in ("welch", "paired"):
        warnings.append(StatsWarning.NO_CONTROL_GROUP)
    if arrays.small_sample[i]:
        warnings.append(StatsWarning.SMALL_SAMPLE)
    if extra["outliers"][i]:
        warnings.append(StatsWarning.STRONG_OUTLIERS)
    if method == "paired" and extra["n_dropped"][i]:
        warnings.append(StatsWarning.DROPPED_UNPAIRED_UNITS)
    if arrays.denominator_ci_includes_zero[i]:
        warnings.append(StatsWarning.DENOMINATOR_CI_INCLUDES_ZERO)
    if arrays.zero_variance[i]:
        warnings.append(StatsWarning.ZERO_VARIANCE)
    elif arrays.underpowered[i]:
        warnings.append(StatsWarning.UNDERPOWERED)

    effect = _number(arrays.effect[i])
    sign = extra["sign"][i]
    ci_low, ci_high = _number(arrays.ci_low[i]), _number(arrays.ci_high[i])
    gain_bounds = sorted((sign * arrays.ci_low[i], sign * arrays.ci_high[i]))
    document: dict[str, Any] = {
        "method": _METHOD_NAMES[method],
        "level": LEVEL,
        "effect": effect,
        "se": _number(arrays.se[i]),
        "df": _number(arrays.df[i]),
        "statistic": _number(arrays.statistic[i]),
        "p_value": _number(arrays.p_value[i]),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "gain": _number(arrays.gain[i]),
        "gain_ci_low": _number(gain_bounds[0]),
        "gain_ci_high": _number(gain_bounds[1]),
        "counterfactual_mean": _number(arrays.counterfactual_mean[i]),
        "relative_change": _number(arrays.relative_change[i]),
        "relative_se": _number(arrays.relative_se[i]),
        "relative_ci_low": _number(arrays.relative_ci_low[i]),
        "relative_ci_high": _number(arrays.relative_ci_high[i]),
        "hedges_g": _number(arrays.hedges_g[i]),
        "hedges_g_variance": _number(arrays.hedges_g_variance[i]),
        "cov_type": "HC3" if method == "did" else None,
        "warnings": describe(tuple(dict.fromkeys(w.value for w in warnings))),
        "level_change": None,
        "slope_change": None,
        "details": _details(method, extra, i),
    }
    document.update(_counts(method, extra, i))
    return document


def _details(method: str, extra: dict[str, np.ndarray], i: int) -> dict[str, Any]:
    if method == "paired":
        return {"n_units_dropped": int(extra["n_dropped"][i])}
    if method == "did":
        return {
            "n_clusters": None,
            "rows_analysed": int(extra["n_before"][i] + extra["n_after"][i]),
        }
    return {}


def _counts(method: str, extra: dict[str, np.ndarray], i: int) -> dict[str, int | None]:
    counts: dict[str, int | None] = {
        "n_before": 0 if method == "tvc" else int(extra["n_before"][i]),
        "n_after": int(extra["n_after"][i]),
        "n_treatment_before": None,
        "n_treatment_after": None,
        "n_control_before": None,
        "n_control_after": None,
        "n_units": None,
    }
    if method == "tvc":
        counts["n_treatment_after"] = int(extra["ta"][i])
        counts["n_control_after"] = int(extra["ca"][i])
    elif method == "did":
        counts["n_treatment_before"] = int(extra["tb"][i])
        counts["n_treatment_after"] = int(extra["ta"][i])
        counts["n_control_before"] = int(extra["cb"][i])
        counts["n_control_after"] = int(extra["ca"][i])
        counts["n_units"] = int(extra["units"][i]) or None
    elif method == "paired":
        counts["n_units"] = int(extra["units"][i])
    return counts


def _number(value) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _insert_estimates(rows: list[dict[str, Any]]) -> None:
    """One bulk insert; on PostgreSQL through COPY, which is several times faster."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(Estimate.__table__), rows)
        return
    columns = ["computed_at", *rows[0]]
    now = utcnow()
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY estimates ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([now, *(json.dumps(v) if k == "result" else v for k, v in row.items())])


def _delete_current(improvement_ids: list[int]) -> None:
    """Drop the cached estimates at the improvements' current data versions."""
    at_current_version = exists().where(
        Improvement.id == Estimate.improvement_id,
        Improvement.data_version == Estimate.data_version,
    )
    stmt = delete(Estimate).where(at_current_version)
    options = {"synchronize_session": False}
    if len(improvement_ids) >= _all_improvements_count():
        db.session.execute(stmt, execution_options=options)
        return
    # In slices: SQLite allows a limited number of parameters per statement.
    for start in range(0, len(improvement_ids), MAX_LISTED_IDS):
        chunk = improvement_ids[start : start + MAX_LISTED_IDS]
        db.session.execute(
            stmt.where(Estimate.improvement_id.in_(chunk)), execution_options=options
        )
