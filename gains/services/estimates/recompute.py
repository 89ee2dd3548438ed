"""Recompute every improvement's estimate at once, from the kept cell summaries.

`estimates.current.refresh_estimate` computes one improvement's estimate whenever its data
change. When the statistics change (a new method version, a fix) every stored estimate must
be rebuilt; doing that one improvement at a time costs a query, a DataFrame and a model fit
each. This module does it in a fixed number of queries whatever the number of improvements
or of measurements:

1. one query for the plans and one for the kept cell summaries (`estimates.cells`: per
   improvement and cell the count, mean, variance, extremes, quartiles; the paired summary
   of the per-unit means; the unit counts), one row per improvement rather than every
   measurement. Summaries missing or not at the improvement's current data version are
   computed from the rows by the same code and, by `recompute_all`, stored;
2. the method of each improvement by `stats.design.choose_design`, the rule the
   per-improvement path uses, then the statistics for all improvements of a method at once
   (`gains.stats.sufficient`), and each document from its `EstimateResult`;
3. one bulk ``DELETE`` and one bulk ``INSERT`` (``COPY`` on PostgreSQL) of the estimates.

Time series take one more query: the weekly sums and counts of every time series' dated
treatment rows (`_weekly_points`), from which `stats.timeseries.its_estimates` fits all the
series at once, the very function the per-improvement path calls with one series.

The documents equal the per-improvement ones (`estimates.documents.estimate_document`): the
same method, counts, warnings and "not enough data" messages, and numbers within rounding
(1e-9; tested). What the summaries cannot compute goes the per-improvement way: DiD whose
units have several rows (unit change scores, or rows clustered by unit, with CR2:
`stats.did.choose_analysis`), paired analyses with rows that name no unit and time series
with control rows (a control series is fitted on weekly differences: `stats.timeseries`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Integer, case, cast, delete, exists, func, select

from gains.database import MAX_LISTED_IDS, listed_ids, raw_rows
from gains.extensions import db
from gains.models import Estimate, Improvement, Measurement, MissingEstimate, Phase, StudyGroup
from gains.models.base import utcnow
from gains.models.cells import CELLS
from gains.services.estimates.cells import current_cells, split_cells
from gains.services.estimates.documents import (
    NO_MEASUREMENTS,
    NoEstimate,
    estimate_document,
    estimate_row,
    missing_estimate_row,
    not_enough_data,
)
from gains.services.measurements.active import active_measurements
from gains.stats.assemble import StatsInputError, direction_sign
from gains.stats.design import DESIGN_ALIASES, CellCounts, choose_design, is_downgrade
from gains.stats.evidence import TREND_FIGURES, PreTrends, level_of_result, pre_trend_test
from gains.stats.results import EstimateResult, GroupCounts, json_safe
from gains.stats.sufficient import (
    PAIRED_AGGREGATE_COLUMNS,
    CellAggregates,
    EstimateArrays,
    did_from_cells,
    paired_from_differences,
    result_numbers,
    strong_outliers,
    welch_from_cells,
)
from gains.stats.timeseries import FIRST_MONDAY, SeriesFacts, its_estimates
from gains.stats.warning_codes import StatsWarning

ALPHA = 0.05  # as `estimates.estimate_document` (the app's default level)
LEVEL = 1.0 - ALPHA
TOO_FEW_ROWS = "each side needs at least 2 observations"  # as `stats.estimates._welch_core`


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
    recomputed = compute_estimates(
        improvement_ids, per_improvement=per_improvement, keep_computed_cells=True
    )
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
    _store_missing(covered, recomputed)
    recomputed.seconds["write"] = time.perf_counter() - write_began
    recomputed.seconds["total"] = time.perf_counter() - began
    return recomputed


def compute_estimates(
    improvement_ids: list[int] | None = None,
    *,
    per_improvement: bool = True,
    keep_computed_cells: bool = False,
) -> Recomputed:
    """The result documents without storing them (see `recompute_all`). Cell summaries that
    had to be computed from the rows (missing or stale: a write whose refresh failed, a load
    that bypassed the services) are stored with ``keep_computed_cells``."""
    recomputed = Recomputed()
    began = time.perf_counter()
    plans = _plans(improvement_ids)
    ids = plans.index.to_numpy()
    recomputed.versions = dict(zip(ids.tolist(), plans["data_version"].tolist(), strict=True))
    summaries = current_cells(
        plans.index,
        every_improvement=improvement_ids is None,
        store_computed=keep_computed_cells,
    )
    cells, units = split_cells(summaries)
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
        numbers = result_numbers(arrays, extra["sign"])
        for position, improvement_id in enumerate(chosen.tolist()):
            documents[improvement_id] = _document(
                method, arrays, numbers, extra, position, improvement_id in downgraded
            )
        recomputed.methods[method] += len(chosen)
    recomputed.seconds["statistics"] = time.perf_counter() - stats_began

    series_began = time.perf_counter()
    series_ids = routes["its"]
    if series_ids:
        # `its_estimates` takes one model for the batch: the plans with a yearly cycle are
        # fitted together with seasonal terms, the others without.
        series_plans = plans.loc[series_ids]
        for seasonal, plans_alike in series_plans.groupby("seasonal", sort=False):
            alike_ids = plans_alike.index
            documents.update(
                _its_documents(plans_alike, cells.loc[alike_ids], seasonal=bool(seasonal))
            )
        recomputed.methods["its"] += len(series_ids)
    recomputed.seconds["time_series"] = time.perf_counter() - series_began

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
        Improvement.planned_sample_size,
        Improvement.randomised,
        Improvement.seasonal,
        Improvement.data_version,
    ).order_by(Improvement.id)
    if improvement_ids is not None:
        stmt = stmt.where(Improvement.id.in_(improvement_ids))
    plans = pd.DataFrame.from_records(
        raw_rows(stmt),
        columns=[
            "id",
            "design",
            "direction",
            "planned_effect",
            "planned_sample_size",
            "randomised",
            "seasonal",
            "data_version",
        ],
    )
    plans["sign"] = [direction_sign(direction) for direction in plans.pop("direction")]
    for column in ("planned_effect", "planned_sample_size"):
        plans[column] = plans[column].astype(float)
    for column in ("randomised", "seasonal"):
        plans[column] = plans[column].astype(bool)
    return plans.set_index("id")


# --- Which method each improvement gets ------------------------------------------------------

FAST_METHODS = ("welch", "paired", "did", "treatment_vs_control")


def _routes(plans: pd.DataFrame, cells: pd.DataFrame, units: dict[str, Any]) -> dict[str, Any]:
    """`stats.design.choose_design` for every improvement, from its cell summaries; time
    series (never downgraded) by their weekly means; what the summaries cannot compute goes
    the per-improvement way: DiD whose units have several rows (analysed by unit), paired
    analyses with rows that name no unit and time series with control rows."""
    no_estimate: dict[int, str] = {}
    per_improvement: list[int] = []
    series: list[int] = []
    chosen: dict[str, list[int]] = {method: [] for method in FAST_METHODS}
    downgraded: dict[str, set[int]] = {method: set() for method in FAST_METHODS}
    index = plans.index
    pairs = units["paired"]["n_units"].reindex(index).fillna(0).to_numpy().tolist()
    distinct = units["distinct"].reindex(index)
    rows_with_unit = distinct["rows_with_unit"].fillna(0).to_numpy().tolist()
    unit_count = distinct["units"].fillna(0).to_numpy().tolist()
    counts = zip(
        *(cells[f"{cell_key}_n"].to_numpy().astype(int).tolist() for cell_key in CELLS),
        strict=True,
    )
    too_few = not_enough_data(TOO_FEW_ROWS).reason
    for i, (improvement_id, design, (tb, ta, cb, ca)) in enumerate(
        zip(index.tolist(), plans["design"].tolist(), counts, strict=True)
    ):
        rows = tb + ta + cb + ca
        declared = DESIGN_ALIASES[design]
        if rows == 0:
            no_estimate[improvement_id] = NO_MEASUREMENTS
            continue
        if declared == "its":
            # With control rows the series may be controlled (`stats.timeseries`): the
            # weekly differences need the rows, so it goes the per-improvement way.
            (per_improvement if cb + ca else series).append(improvement_id)
            continue
        method = choose_design(declared, CellCounts(tb, ta, cb, ca), lambda i=i: pairs[i])
        # `stats.did.choose_analysis` analyses by unit once some unit has two rows (rows
        # without a unit are then left out): that needs the rows. A label counted once over
        # both groups can only send an improvement this way needlessly, never wrongly.
        if method == "did" and unit_count[i] < rows_with_unit[i]:
            per_improvement.append(improvement_id)
            continue
        # Paired with rows that name no unit: the rows decide the `rows_without_unit`
        # warning (the summaries count units' rows over both groups, not the treated ones').
        if method == "paired" and rows_with_unit[i] < rows:
            per_improvement.append(improvement_id)
            continue
        compared = {"welch": (tb, ta), "treatment_vs_control": (ta, ca)}.get(method, (2, 2))
        if min(compared) < 2:  # as the estimators say from the rows
            no_estimate[improvement_id] = too_few
            continue
        chosen[method].append(improvement_id)
        if is_downgrade(declared, method):
            downgraded[method].add(improvement_id)
    return {
        "no_estimate": no_estimate,
        "per_improvement": per_improvement,
        "its": series,
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
    common = {
        "direction_sign": sign,
        "level": LEVEL,
        "planned_effect": plans["planned_effect"].to_numpy(),
        "planned_sample_size": plans["planned_sample_size"].to_numpy(),
    }
    arrays, extra = _method_arrays(method, plans, cells, units, common)
    return arrays, {"sign": sign, "randomised": plans["randomised"].to_numpy(), **extra}


def _method_arrays(method, plans, cells, units, common):
    n = {cell_key: cells[f"{cell_key}_n"].to_numpy() for cell_key in CELLS}
    if method == "welch":
        arrays = welch_from_cells(_cell(cells, "tb"), _cell(cells, "ta"), **common)
        outliers = _outliers(cells, "tb_") | _outliers(cells, "ta_")
        return arrays, {"outliers": outliers, "n_before": n["tb"], "n_after": n["ta"]}
    if method == "treatment_vs_control":
        arrays = welch_from_cells(_cell(cells, "ca"), _cell(cells, "ta"), **common)
        outliers = _outliers(cells, "ta_") | _outliers(cells, "ca_")
        return arrays, {"outliers": outliers, "n_after": n["ta"] + n["ca"], **n}
    if method == "did":
        arrays = did_from_cells(*(_cell(cells, cell_key) for cell_key in CELLS), **common)
        outliers = np.logical_or.reduce([_outliers(cells, f"{key}_") for key in CELLS])
        distinct = units["distinct"].reindex(plans.index)
        return arrays, {
            "pre_trends": _pre_trends(cells, units["trends"].reindex(plans.index)),
            "outliers": outliers,
            "n_before": n["tb"] + n["cb"],
            "n_after": n["ta"] + n["ca"],
            "units": distinct["units"].fillna(0).to_numpy(),
            **n,
        }
    paired = units["paired"].loc[plans.index]
    arrays = paired_from_differences(
        *(paired[column].to_numpy() for column in PAIRED_AGGREGATE_COLUMNS), **common
    )
    return arrays, {
        "outliers": _outliers(paired.rename(columns={"n_units": "n"})),
        "n_before": paired["rows_before"].to_numpy(),
        "n_after": paired["rows_after"].to_numpy(),
        "units": paired["n_units"].to_numpy(),
        "n_dropped": paired["n_dropped"].to_numpy(),
    }


# --- Time series, all at once ----------------------------------------------------------------


def _its_documents(
    plans: pd.DataFrame, cells: pd.DataFrame, *, seasonal: bool
) -> dict[int, dict | NoEstimate]:
    """Every time series' document from its weekly means, all fitted together, with the
    yearly cycle's terms when ``seasonal``."""
    weekly = _weekly_points(plans.index.tolist())
    position = pd.Series(np.arange(len(plans)), index=plans.index)
    weekly["series"] = position.loc[weekly.pop("improvement_id")].to_numpy()
    dated = np.bincount(weekly["series"], weights=weekly.pop("n"), minlength=len(plans))
    treated = (cells["tb_n"] + cells["ta_n"]).to_numpy()
    facts = [
        SeriesFacts(
            direction="higher" if sign > 0 else "lower",
            planned_effect=None if np.isnan(planned) else planned,
            n_observations=int(n_dated),
            n_without_date=int(n_treated - n_dated),
        )
        for sign, planned, n_dated, n_treated in zip(
            plans["sign"].tolist(),
            plans["planned_effect"].tolist(),
            dated.tolist(),
            treated.tolist(),
            strict=True,
        )
    ]
    outcomes = its_estimates(weekly, facts, LEVEL, seasonal=seasonal)
    randomised = plans["randomised"].tolist()
    return {
        improvement_id: not_enough_data(outcome)
        if isinstance(outcome, StatsInputError)
        else _with_evidence_level(outcome, randomised=declared, parallel_pre_trends=False)
        for improvement_id, outcome, declared in zip(
            plans.index.tolist(), outcomes, randomised, strict=True
        )
    }


# Added to the day count before the integer division by 7 (which truncates toward zero in both
# databases) and taken off after, so that days before the first Monday still floor.
WEEK_OFFSET = 1_000_000


def _week_number(day):
    """`stats.timeseries.week_numbers` in SQL, offset by `WEEK_OFFSET`: an integer, grouped
    faster than a truncated timestamp and read without parsing dates."""
    if db.session.get_bind().dialect.name == "postgresql":
        days = day - FIRST_MONDAY.date()
    else:
        days = cast(func.julianday(day) - func.julianday(FIRST_MONDAY.date().isoformat()), Integer)
    return (days + 7 * WEEK_OFFSET) // 7


def _weekly_points(improvement_ids: list[int]) -> pd.DataFrame:
    """Per improvement, week and side of go-live, the mean and count of the dated treatment
    rows (`stats.timeseries.weekly_means` from the rows), summed by the database."""
    week = _week_number(Measurement.observed_on).label("week")
    after = case((Measurement.phase == Phase.AFTER, 1), else_=0).label("after")
    stmt = (
        active_measurements(
            Measurement.improvement_id, week, after, func.sum(Measurement.value), func.count()
        )
        .where(
            Measurement.improvement_id.in_(listed_ids(improvement_ids)),
            Measurement.group == StudyGroup.TREATMENT,
            Measurement.observed_on.is_not(None),
        )
        .group_by(Measurement.improvement_id, week, after)
    )
    points = pd.DataFrame.from_records(
        raw_rows(stmt), columns=["improvement_id", "week", "after", "total", "n"]
    )
    return pd.DataFrame(
        {
            "improvement_id": points["improvement_id"].astype(int),
            "week": points["week"].astype(int) - WEEK_OFFSET,
            "after": points["after"].astype(int),
            "value": points["total"].astype(float) / points["n"],
            "n": points["n"].astype(int),
        }
    )


def _pre_trends(cells: pd.DataFrame, trends: pd.DataFrame) -> PreTrends:
    """The DiD pre-trend test from the kept before cells, as `stats.design` runs it on the
    rows (`stats.evidence.pre_trends_of_rows`)."""

    def figures(cell: str) -> dict[str, np.ndarray]:
        return {figure: trends[f"{cell}_{figure}"].to_numpy() for figure in TREND_FIGURES}

    return pre_trend_test(
        cells["tb_n"].to_numpy(), figures("tb"), cells["cb_n"].to_numpy(), figures("cb")
    )


# --- Documents -------------------------------------------------------------------------------


def _document(
    method: str,
    arrays: EstimateArrays,
    numbers: dict[str, list[float]],
    extra: dict[str, np.ndarray],
    i: int,
    downgraded: bool,
) -> dict[str, Any]:
    """One improvement's result document: its `EstimateResult`, as the per-improvement path
    builds it from the rows, turned into the document by the same `to_dict`."""
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
    result = EstimateResult(
        method=method,
        level=LEVEL,
        **{name: values[i] for name, values in numbers.items()},
        counts=_counts(method, extra, i),
        cov_type="HC3" if method == "did" else None,
        warnings=tuple(dict.fromkeys(warning.value for warning in warnings)),
        details=_details(method, extra, i),
    )
    parallel = method == "did" and bool(extra["pre_trends"].parallel[i])
    return _with_evidence_level(
        result, randomised=bool(extra["randomised"][i]), parallel_pre_trends=parallel
    )


def _with_evidence_level(
    result: EstimateResult, *, randomised: bool, parallel_pre_trends: bool
) -> dict[str, Any]:
    """The document with its evidence level, decided as `stats.design` decides it."""
    level = level_of_result(result, randomised=randomised, parallel_pre_trends=parallel_pre_trends)
    return replace(result, evidence_level=level).to_dict()


def _details(method: str, extra: dict[str, np.ndarray], i: int) -> dict[str, Any]:
    if method == "paired":  # improvements with rows that name no unit went `_routes`' other way
        return {"n_units_dropped": int(extra["n_dropped"][i]), "n_rows_without_unit": 0}
    if method == "did":
        return {
            "analysis": "rows",
            "n_clusters": None,
            "rows_analysed": int(extra["n_before"][i] + extra["n_after"][i]),
            "pre_trend_p_value": json_safe(float(extra["pre_trends"].p_value[i])),
        }
    return {}


def _counts(method: str, extra: dict[str, np.ndarray], i: int) -> GroupCounts:
    if method == "treatment_vs_control":
        return GroupCounts(
            n_before=0,
            n_after=int(extra["n_after"][i]),
            n_treatment_after=int(extra["ta"][i]),
            n_control_after=int(extra["ca"][i]),
        )
    counts = {"n_before": int(extra["n_before"][i]), "n_after": int(extra["n_after"][i])}
    if method == "did":
        return GroupCounts(
            **counts,
            n_treatment_before=int(extra["tb"][i]),
            n_treatment_after=int(extra["ta"][i]),
            n_control_before=int(extra["cb"][i]),
            n_control_after=int(extra["ca"][i]),
            n_units=int(extra["units"][i]) or None,
        )
    if method == "paired":
        return GroupCounts(**counts, n_units=int(extra["units"][i]))
    return GroupCounts(**counts)


def _insert_estimates(rows: list[dict[str, Any]]) -> None:
    """One bulk insert; on PostgreSQL through COPY, which is several times faster."""
    if not rows:
        return
    columns = ["computed_at", *rows[0]]
    now = utcnow()
    if db.session.get_bind().dialect.name != "postgresql":
        _insert_by_executemany(columns, now, rows)
        return
    # The COPY text written here, a line per estimate: the driver's per-value adaptation
    # (write_row) cost more than serialising the documents.
    stamp = now.isoformat()
    lines = ["\t".join([stamp, *(_copy_field(value) for value in row.values())]) for row in rows]
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY estimates ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write("\n".join(lines) + "\n")


def _copy_field(value: Any) -> str:
    """One value in PostgreSQL's COPY text format: NULL as \\N, backslashes doubled (the
    JSON's own escapes), numbers as Python writes them (shortest round-trip form)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(value)
    text = json.dumps(value) if isinstance(value, dict) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _insert_by_executemany(columns: list[str], now, rows: list[dict[str, Any]]) -> None:
    """SQLite: one ``executemany`` on the driver's cursor, each value converted by its column
    type's own bind processor (the JSON document serialised as SQLAlchemy would), without
    SQLAlchemy's per-row statement bookkeeping, which cost more than the insert itself."""
    connection = db.session.connection()
    table = Estimate.__table__
    processors = {
        name: table.c[name].type._cached_bind_processor(connection.dialect) for name in columns
    }
    stamp = processors["computed_at"](now) if processors["computed_at"] else now
    convert = [(name, processors[name]) for name in columns[1:]]
    values = [
        (stamp, *(process(row[name]) if process else row[name] for name, process in convert))
        for row in rows
    ]
    placeholders = ", ".join("?" for _ in columns)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO estimates ({', '.join(columns)}) VALUES ({placeholders})", values
        )
    finally:
        cursor.close()


def _store_missing(improvement_ids: list[int], recomputed: Recomputed) -> None:
    """Replace the improvements' reasons for having no estimate with the new ones (pages read
    them: `estimates.current_estimate`). Few rows (too little data): no bulk path needed."""
    for start in range(0, len(improvement_ids), MAX_LISTED_IDS):
        chunk = improvement_ids[start : start + MAX_LISTED_IDS]
        db.session.execute(
            delete(MissingEstimate).where(MissingEstimate.improvement_id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    db.session.add_all(
        missing_estimate_row(improvement_id, recomputed.versions[improvement_id], data)
        for improvement_id, data in recomputed.documents.items()
        if isinstance(data, NoEstimate)
        and data.reason != NO_MEASUREMENTS
        and improvement_id in recomputed.versions
    )


def _delete_current(improvement_ids: list[int]) -> None:
    """Drop the cached estimates at the improvements' current data versions."""
    at_current_version = exists().where(
        Improvement.id == Estimate.improvement_id,
        Improvement.data_version == Estimate.data_version,
    )
    stmt = delete(Estimate).where(at_current_version)
    options = {"synchronize_session": False}
    if len(improvement_ids) < db.session.scalar(select(func.count()).select_from(Improvement)):
        stmt = stmt.where(Estimate.improvement_id.in_(listed_ids(improvement_ids)))
    db.session.execute(stmt, execution_options=options)
