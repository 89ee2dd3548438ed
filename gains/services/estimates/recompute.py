"""Recompute every improvement's estimate at once, from the stored cell summaries.

`estimates.refresh_estimate` computes one improvement's estimate from its rows whenever its
data change. When the statistics change (a new method version, a fix) every cached estimate
must be rebuilt; doing that one improvement at a time costs a query, a DataFrame and a model
fit each. This module does it in a fixed number of queries whatever the number of
improvements:

1. one query for the plans and one for the cell summaries (`services.cells`, kept on write:
   per improvement and cell the count, mean, variance, minimum, maximum, whether there are
   more than two distinct values, the quartiles; the paired summary of the per-unit means;
   the unit counts), tens of thousands of small rows rather than every measurement. Summaries
   that are missing or not at the improvement's current data version are computed from the
   rows (`cells.cells_from_rows`: one ``GROUP BY`` on PostgreSQL, numpy on SQLite) and, by
   `recompute_all`, stored;
2. the statistics for all improvements of a method at once (`gains.stats.sufficient`);
3. one bulk ``DELETE`` and one bulk ``INSERT`` (``COPY`` on PostgreSQL) of the estimates.

The documents equal the per-improvement ones (`estimates.estimate_document`): the same method,
counts, warnings and "not enough data" messages, and numbers within rounding (1e-9; tested).
What the summaries cannot decide exactly goes through the per-improvement path: time series
(weekly regressions with HAC errors), DiD with repeated units (clustered, or unit means), and
on PostgreSQL the rare cells where its one-pass variance or its interpolation could differ
from numpy in the last digits (see `cells._cells_by_sql`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, exists, select

from gains.extensions import db
from gains.models import Design, Estimate, Improvement, MissingEstimate
from gains.models.base import utcnow
from gains.models.cells import CELLS
from gains.services.estimates.cells import (
    MAX_LISTED_IDS,
    cells_from_rows,
    improvement_count,
    listed_ids,
    raw_rows,
    split_cells,
    store_cells,
    stored_cells,
)
from gains.services.estimates.current import (
    NO_MEASUREMENTS,
    NoEstimate,
    estimate_document,
    estimate_row,
    missing_estimate_row,
    not_enough_data,
)
from gains.stats.assemble import direction_sign
from gains.stats.sufficient import (
    PAIRED_AGGREGATE_COLUMNS,
    CellAggregates,
    EstimateArrays,
    did_from_cells,
    paired_from_differences,
    strong_outliers,
    welch_from_cells,
)
from gains.stats.warning_codes import StatsWarning, describe

ALPHA = 0.05  # as `estimates.estimate_document` (the app's default level)
LEVEL = 1.0 - ALPHA
TOO_FEW_ROWS = "each side needs at least 2 observations"  # as `stats.estimates._welch_core`
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
    cells, units = split_cells(_summaries(plans, keep_computed_cells))
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
        numbers = _json_numbers(arrays, extra["sign"])
        for position, improvement_id in enumerate(chosen.tolist()):
            documents[improvement_id] = _document(
                method, arrays, numbers, extra, position, improvement_id in downgraded
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


def _summaries(plans: pd.DataFrame, keep_computed: bool) -> pd.DataFrame:
    """The cell summaries of every planned improvement: stored where current, else from rows."""
    versions = plans["data_version"]
    stored, stale = stored_cells(versions)
    if not stale:
        return stored.reindex(plans.index)
    computed = cells_from_rows(pd.Index(stale, name="improvement_id"))
    if keep_computed:
        store_cells(computed, {int(i): int(versions[i]) for i in stale})
    return pd.concat([stored, computed]).reindex(plans.index)


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
        raw_rows(stmt), columns=["id", "design", "direction", "planned_effect", "data_version"]
    )
    plans["sign"] = [direction_sign(direction) for direction in plans.pop("direction")]
    plans["planned_effect"] = plans["planned_effect"].astype(float)
    return plans.set_index("id")


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
        *(paired[column].to_numpy() for column in PAIRED_AGGREGATE_COLUMNS), **common
    )
    return arrays, {
        "outliers": _outliers(paired.rename(columns={"n_units": "n"})),
        "n_before": paired["rows_before"].to_numpy(),
        "n_after": paired["rows_after"].to_numpy(),
        "units": paired["n_units"].to_numpy(),
        "n_dropped": paired["n_dropped"].to_numpy(),
    }


_METHOD_NAMES = {"welch": "welch", "paired": "paired", "did": "did", "tvc": "treatment_vs_control"}


# --- Documents -------------------------------------------------------------------------------


_NUMBERS = (
    "effect",
    "se",
    "df",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "gain",
    "counterfactual_mean",
    "relative_change",
    "relative_se",
    "relative_ci_low",
    "relative_ci_high",
    "hedges_g",
    "hedges_g_variance",
)


def _json_numbers(arrays: EstimateArrays, sign: np.ndarray) -> dict[str, list[float | None]]:
    """Each figure of every improvement as the document holds it (a float, or None where not
    finite), converted once per method rather than number by number."""
    numbers = {name: _finite_or_none(getattr(arrays, name)) for name in _NUMBERS}
    # The gain's bounds: the CI's, turned by the direction and put in order.
    bounds = [
        sorted(pair)
        for pair in zip(
            (sign * arrays.ci_low).tolist(), (sign * arrays.ci_high).tolist(), strict=True
        )
    ]
    numbers["gain_ci_low"] = _finite_or_none(np.array([low for low, _ in bounds], dtype=float))
    numbers["gain_ci_high"] = _finite_or_none(np.array([high for _, high in bounds], dtype=float))
    return numbers


def _finite_or_none(values: np.ndarray) -> list[float | None]:
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    if finite.all():
        return values.tolist()
    listed = values.astype(object)
    listed[~finite] = None
    return listed.tolist()


def _document(
    method: str,
    arrays: EstimateArrays,
    numbers: dict[str, list[float | None]],
    extra: dict[str, np.ndarray],
    i: int,
    downgraded: bool,
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

    document: dict[str, Any] = {
        "method": _METHOD_NAMES[method],
        "level": LEVEL,
        "effect": numbers["effect"][i],
        "se": numbers["se"][i],
        "df": numbers["df"][i],
        "statistic": numbers["statistic"][i],
        "p_value": numbers["p_value"][i],
        "ci_low": numbers["ci_low"][i],
        "ci_high": numbers["ci_high"][i],
        "gain": numbers["gain"][i],
        "gain_ci_low": numbers["gain_ci_low"][i],
        "gain_ci_high": numbers["gain_ci_high"][i],
        "counterfactual_mean": numbers["counterfactual_mean"][i],
        "relative_change": numbers["relative_change"][i],
        "relative_se": numbers["relative_se"][i],
        "relative_ci_low": numbers["relative_ci_low"][i],
        "relative_ci_high": numbers["relative_ci_high"][i],
        "hedges_g": numbers["hedges_g"][i],
        "hedges_g_variance": numbers["hedges_g_variance"][i],
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
    if len(improvement_ids) < improvement_count():
        stmt = stmt.where(Estimate.improvement_id.in_(listed_ids(improvement_ids)))
    db.session.execute(stmt, execution_options=options)
