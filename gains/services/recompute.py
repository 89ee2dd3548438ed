"""Recompute every improvement's estimate at once, from database aggregates.

`estimates.refresh_estimate` computes one improvement's estimate from its rows whenever its
data change. When the statistics change (a new method version, a fix) every cached estimate
must be rebuilt; doing that one improvement at a time costs a query, a DataFrame and a model
fit each. This module does it in a fixed number of queries whatever the number of
improvements:

1. one window + ``GROUP BY`` query over all active rows: per (improvement, phase, group) the
   count, mean, two-pass sum of squares, minimum, maximum, the number of values strictly
   between them and the order statistics either side of the quartiles (for the
   strong-outlier check, exactly as numpy computes it);
2. one ``GROUP BY`` (improvement, unit, phase) for the designs that can be paired, and one
   count of distinct units for control-group designs (repeated units change the DiD);
3. the statistics for all improvements of a method at once (`gains.stats.sufficient`);
4. one bulk ``DELETE`` and one bulk ``INSERT`` of the estimates.

The documents equal the per-improvement ones (`estimates.estimate_document`): the same method,
counts, warnings and "not enough data" messages, and numbers within rounding (1e-9; tested).
What the aggregates cannot decide exactly goes through the per-improvement path: time series
(weekly regressions with HAC errors) and DiD with repeated units (clustered, or unit means).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, delete, exists, func, insert, select

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
from gains.models.enums import Phase
from gains.services.estimates import (
    NO_MEASUREMENTS,
    NoEstimate,
    estimate_document,
    estimate_row,
    not_enough_data,
)
from gains.stats.assemble import direction_sign
from gains.stats.sufficient import (
    CellAggregates,
    EstimateArrays,
    did_from_cells,
    paired_from_differences,
    strong_outliers_from_order_statistics,
    welch_from_cells,
)
from gains.stats.warning_codes import StatsWarning, describe

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
    "sum_squares",
    "minimum",
    "maximum",
    "n_inside",
    "q1_below",
    "q1_above",
    "q3_below",
    "q3_above",
)
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
    if rows:
        db.session.execute(insert(Estimate), rows)
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
    if per_improvement and recomputed.per_improvement_ids:
        improvements = db.session.scalars(
            select(Improvement).where(Improvement.id.in_(recomputed.per_improvement_ids))
        )
        for improvement in improvements:
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
    rows = db.session.execute(stmt).all()
    plans = pd.DataFrame(
        [
            (
                row.id,
                row.design.value,
                direction_sign(row.direction.value),
                math.nan if row.expected_effect is None else float(row.expected_effect),
                row.data_version,
            )
            for row in rows
        ],
        columns=["id", "design", "sign", "planned_effect", "data_version"],
    )
    return plans.set_index("id")


def _active_rows(plans: pd.DataFrame, *columns):
    stmt = (
        select(*columns)
        .join(UploadBatch, UploadBatch.id == Measurement.batch_id)
        .where(UploadBatch.status == BatchStatus.ACTIVE)
    )
    return stmt


def _restrict(stmt, plans: pd.DataFrame, column, designs: tuple[Design, ...] | None = None):
    if designs is not None:
        stmt = stmt.join(Improvement, Improvement.id == column).where(
            Improvement.design.in_(designs)
        )
    return stmt


def _cell_statistics(plans: pd.DataFrame) -> pd.DataFrame:
    """One row per improvement with each cell's statistics as ``<cell>_<statistic>`` columns."""
    cell = (Measurement.improvement_id, Measurement.phase, Measurement.group)
    ranked = _active_rows(
        plans,
        Measurement.improvement_id,
        Measurement.phase,
        Measurement.group.label("study_group"),
        Measurement.value,
        (func.row_number().over(partition_by=cell, order_by=Measurement.value) - 1).label("k"),
        func.count().over(partition_by=cell).label("n"),
        func.avg(Measurement.value).over(partition_by=cell).label("mean"),
        func.min(Measurement.value).over(partition_by=cell).label("minimum"),
        func.max(Measurement.value).over(partition_by=cell).label("maximum"),
    )
    if len(plans) and plans.index.size < _all_improvements_count():
        ranked = ranked.where(Measurement.improvement_id.in_(plans.index.tolist()))
    r = ranked.subquery()
    deviation = r.c.value - r.c.mean
    # 0-based positions of the order statistics either side of the quartiles, as numpy's
    # default interpolation uses them: ⌊(n - 1)/4⌋ and ⌊3(n - 1)/4⌋, and the next ones.
    q1_at = (r.c.n - 1) // 4
    q3_at = (3 * (r.c.n - 1)) // 4
    stmt = select(
        r.c.improvement_id,
        r.c.phase,
        r.c.study_group,
        func.max(r.c.n).label("n"),
        func.max(r.c.mean).label("mean"),
        func.sum(deviation * deviation).label("sum_squares"),
        func.max(r.c.minimum).label("minimum"),
        func.max(r.c.maximum).label("maximum"),
        func.sum(case((and_(r.c.value > r.c.minimum, r.c.value < r.c.maximum), 1), else_=0)).label(
            "n_inside"
        ),
        func.max(case((r.c.k == q1_at, r.c.value))).label("q1_below"),
        func.max(case((r.c.k == q1_at + 1, r.c.value))).label("q1_above"),
        func.max(case((r.c.k == q3_at, r.c.value))).label("q3_below"),
        func.max(case((r.c.k == q3_at + 1, r.c.value))).label("q3_above"),
    ).group_by(r.c.improvement_id, r.c.phase, r.c.study_group)
    with _big_sort():
        rows = db.session.execute(stmt).all()
    wide = pd.DataFrame(index=plans.index)
    if rows:
        long = pd.DataFrame(
            rows, columns=["improvement_id", "phase", "group", *CELL_STATISTICS]
        ).astype({name: float for name in CELL_STATISTICS})
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
    return wide


def _unit_statistics(plans: pd.DataFrame) -> dict[str, Any]:
    """Per-unit phase means (paired designs) and distinct-unit counts (control-group designs)."""
    pairable = (Design.PAIRED, Design.CONTROL_GROUP)
    unit_stmt = _restrict(
        _active_rows(
            plans,
            Measurement.improvement_id,
            Measurement.unit_ref,
            Measurement.phase,
            func.count().label("rows"),
            func.avg(Measurement.value).label("mean"),
        ).where(Measurement.group == StudyGroup.TREATMENT, Measurement.unit_ref.is_not(None)),
        plans,
        Measurement.improvement_id,
        pairable,
    ).group_by(Measurement.improvement_id, Measurement.unit_ref, Measurement.phase)
    unit_rows = pd.DataFrame(
        [
            (row.improvement_id, row.unit_ref, _value(row.phase), row.rows, row.mean)
            for row in db.session.execute(unit_stmt)
        ],
        columns=["improvement_id", "unit", "phase", "rows", "mean"],
    )
    unit_rows = unit_rows[unit_rows["improvement_id"].isin(plans.index)]

    distinct_stmt = _restrict(
        _active_rows(
            plans,
            Measurement.improvement_id,
            func.count().label("rows"),
            func.count(Measurement.unit_ref).label("rows_with_unit"),
            func.count(Measurement.unit_ref.distinct()).label("units"),
        ),
        plans,
        Measurement.improvement_id,
        (Design.CONTROL_GROUP,),
    ).group_by(Measurement.improvement_id)
    distinct = pd.DataFrame(
        db.session.execute(distinct_stmt).all(),
        columns=["improvement_id", "rows", "rows_with_unit", "units"],
    ).set_index("improvement_id")
    return {"unit_rows": unit_rows, "paired": _paired_aggregates(unit_rows), "distinct": distinct}


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
        "n_inside",
        "q1_below",
        "q1_above",
        "q3_below",
        "q3_above",
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
    # Order statistics of the differences within each improvement: sort once, then index.
    ordered = units.assign(improvement=improvement).sort_values(
        ["improvement", "difference"], kind="stable"
    )
    values = ordered["difference"].to_numpy()
    starts = np.concatenate([[0], np.cumsum(n.to_numpy())[:-1]]).astype(int)
    counts = n.to_numpy().astype(int)
    positions = {
        "q1_below": (counts - 1) // 4,
        "q1_above": (counts - 1) // 4 + 1,
        "q3_below": (3 * (counts - 1)) // 4,
        "q3_above": (3 * (counts - 1)) // 4 + 1,
        "minimum": np.zeros_like(counts),
        "maximum": counts - 1,
    }
    stats = pd.DataFrame(index=n.index)
    for name, position in positions.items():
        inside = position < counts
        taken = np.full(len(counts), np.nan)
        taken[inside] = values[starts[inside] + position[inside]]
        stats[name] = taken
    minimum = stats["minimum"].reindex(improvement).to_numpy()
    maximum = stats["maximum"].reindex(improvement).to_numpy()
    strictly_inside = (units["difference"].to_numpy() > minimum) & (
        units["difference"].to_numpy() < maximum
    )
    stats["n_inside"] = pd.Series(strictly_inside, index=improvement).groupby(level=0).sum()
    return result.join(stats)


def _all_improvements_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Improvement)) or 0


class _big_sort:
    """PostgreSQL: room to sort the window in memory for this transaction (no-op on SQLite)."""

    def __enter__(self):
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(func.set_config("work_mem", "256MB", True).select())
        return self

    def __exit__(self, *exc):
        return False


def _value(label) -> str:
    return label.value if hasattr(label, "value") else str(label)


# --- Which method each improvement gets ------------------------------------------------------


def _routes(plans: pd.DataFrame, cells: pd.DataFrame, units: dict[str, Any]) -> dict[str, Any]:
    """`stats.design._supported_design`, decided from the aggregates for every improvement."""
    no_estimate: dict[int, str] = {}
    per_improvement: list[int] = []
    chosen: dict[str, list[int]] = {"welch": [], "paired": [], "did": [], "tvc": []}
    downgraded: dict[str, set[int]] = {"welch": set(), "paired": set(), "did": set(), "tvc": set()}
    paired = units["paired"]
    pairs = paired["n_units"] if len(paired) else pd.Series(dtype=float)
    distinct = units["distinct"]
    n = {cell_key: cells[f"{cell_key}_n"] for cell_key in CELLS}
    for improvement_id, design in plans["design"].items():
        tb, ta, cb, ca = (int(n[cell_key][improvement_id]) for cell_key in CELLS)
        if tb + ta + cb + ca == 0:
            no_estimate[improvement_id] = NO_MEASUREMENTS
            continue
        if design == Design.TIME_SERIES.value:
            per_improvement.append(improvement_id)
            continue
        if design == Design.CONTROL_GROUP.value and cb + ca > 0:
            if min(tb, ta, cb, ca) >= 2:
                if _units_repeat(distinct, improvement_id):
                    per_improvement.append(improvement_id)  # clustered or unit means
                else:
                    chosen["did"].append(improvement_id)
                continue
            if tb + cb == 0:
                if ta < 2 or ca < 2:
                    no_estimate[improvement_id] = not_enough_data(TOO_FEW_ROWS).reason
                else:
                    chosen["tvc"].append(improvement_id)
                continue
        pairable = design in (Design.PAIRED.value, Design.CONTROL_GROUP.value)
        if pairable and pairs.get(improvement_id, 0) >= 2:
            chosen["paired"].append(improvement_id)
            if design == Design.CONTROL_GROUP.value:
                downgraded["paired"].add(improvement_id)
            continue
        if tb < 2 or ta < 2:
            no_estimate[improvement_id] = not_enough_data(TOO_FEW_ROWS).reason
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


def _units_repeat(distinct: pd.DataFrame, improvement_id: int) -> bool:
    """As `stats.did._choose_rows_and_covariance`: every row has a unit and some unit repeats."""
    if improvement_id not in distinct.index:
        return False
    row = distinct.loc[improvement_id]
    return bool(row["rows_with_unit"] == row["rows"] and row["units"] < row["rows"])


# --- Statistics for one method, all improvements at once -------------------------------------


def _cell(cells: pd.DataFrame, cell_key: str) -> CellAggregates:
    n = cells[f"{cell_key}_n"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = cells[f"{cell_key}_sum_squares"].to_numpy() / (n - 1.0)
    return CellAggregates.of(n, cells[f"{cell_key}_mean"].to_numpy(), variance)


def _outliers(table: pd.DataFrame, prefix: str = "") -> np.ndarray:
    column = table.__getitem__
    return strong_outliers_from_order_statistics(
        column(f"{prefix}n").to_numpy(),
        column(f"{prefix}minimum").to_numpy(),
        column(f"{prefix}maximum").to_numpy(),
        column(f"{prefix}n_inside").to_numpy(),
        (column(f"{prefix}q1_below").to_numpy(), column(f"{prefix}q1_above").to_numpy()),
        (column(f"{prefix}q3_below").to_numpy(), column(f"{prefix}q3_above").to_numpy()),
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


def _delete_current(improvement_ids: list[int]) -> None:
    """Drop the cached estimates at the improvements' current data versions."""
    at_current_version = exists().where(
        Improvement.id == Estimate.improvement_id,
        Improvement.data_version == Estimate.data_version,
    )
    stmt = delete(Estimate).where(at_current_version)
    if len(improvement_ids) < _all_improvements_count():
        stmt = stmt.where(Estimate.improvement_id.in_(improvement_ids))
    db.session.execute(stmt, execution_options={"synchronize_session": False})
