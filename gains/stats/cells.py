"""Per-cell summaries of measurements: the one computation behind every figure read from a
cell (count, mean, variance, extremes, quartiles) and behind the paired summary of the
per-unit means.

A cell is (improvement, phase, group). Rows come as arrays: a code per row naming its cell
(`cell_index`, plus 4 × the improvement when rows of many improvements are summarised at
once) and the value. Each cell's mean and variance are numpy's own (``values.mean()``,
``values.var(ddof=1)``: pairwise sums, two passes) over the cell's values in the order given,
so a summary equals bit for bit what numpy or pandas give for the same rows in the same
order; the quartiles are ``np.percentile``'s. The services keep these summaries per
improvement as rows arrive (`services.estimates.cells`) and every page, chart and
recompute-all reads them from there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gains.stats.sufficient import PAIRED_AGGREGATE_COLUMNS, linear_quartiles

CELL_FIGURES = ("n", "mean", "variance", "minimum", "maximum", "more_than_two_values", "q1", "q3")
# The paired summary: per-unit means of the treatment rows, differences after − before.
PAIRED_FIGURES = (
    *PAIRED_AGGREGATE_COLUMNS,  # what the paired estimator takes, then its counts and checks
    "n_dropped",
    "rows_before",
    "rows_after",
    "minimum",
    "maximum",
    "more_than_two_values",
    "q1",
    "q3",
)


def cell_index(phase, group) -> np.ndarray:
    """Each row's cell within its improvement: 2 × after + 1 × control (0 treatment before,
    1 control before, 2 treatment after, 3 control after)."""
    after = np.asarray(phase) == "after"
    control = np.asarray(group) == "control"
    return (after * 2 + control).astype(np.int8)


def cell_statistics(codes: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """One row per distinct code (ascending, the index) with each of `CELL_FIGURES`; the
    variance is NaN for a cell of one value."""
    codes = np.asarray(codes, dtype=np.int64)
    values = np.asarray(values, dtype=float)
    if not len(values):
        return pd.DataFrame(
            columns=list(CELL_FIGURES), index=pd.Index([], dtype=np.int64, name="code"), dtype=float
        )
    order = np.argsort(codes, kind="stable")  # each cell's rows keep their own order
    codes, values = codes[order], values[order]
    del order
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
    ends = np.append(starts[1:], len(values))
    mean = np.empty(len(starts))
    variance = np.full(len(starts), np.nan)
    for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        cell = values[start:end]
        # numpy's mean and var(ddof=1), written out: the sum over n, then the squared
        # deviations from it summed over n - 1 (the same operations in the same order).
        mean[i] = cell.sum() / (end - start)
        if end - start > 1:
            deviation = cell - mean[i]
            deviation *= deviation
            variance[i] = deviation.sum() / (end - start - 1)
        cell.sort()  # in place: the order statistics below
    n = ends - starts
    new_value = np.concatenate([[True], np.diff(values) != 0])
    new_value[starts] = True
    distinct = np.add.reduceat(new_value.astype(np.int64), starts)
    q1, q3 = _quartiles(values, starts, n)
    return pd.DataFrame(
        {
            "n": n.astype(float),
            "mean": mean,
            "variance": variance,
            "minimum": values[starts],
            "maximum": values[ends - 1],
            "more_than_two_values": (distinct > 2).astype(float),
            "q1": q1,
            "q3": q3,
        },
        index=pd.Index(codes[starts], name="code"),
    )


def _quartiles(ordered: np.ndarray, starts: np.ndarray, n: np.ndarray):
    """``np.percentile(cell, [25, 75])`` of every cell of ``ordered`` (sorted within cells)."""
    ends = starts + n

    def at(offset):
        return ordered[np.minimum(starts + offset, ends - 1)]

    return linear_quartiles(
        n,
        (at((n - 1) // 4), at((n - 1) // 4 + 1)),
        (at((3 * (n - 1)) // 4), at((3 * (n - 1)) // 4 + 1)),
    )


def unit_summaries(units: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """From rows and mean per (improvement_id, unit, phase, group): the paired summary of
    each improvement's treatment units (``paired``, `PAIRED_FIGURES`) and its distinct unit
    counts over all rows (``distinct``: rows_with_unit, units; a repeated unit changes the
    DiD)."""
    treated = units[units["group"] == "treatment"].drop(columns="group")
    by_improvement = units.groupby("improvement_id")
    distinct = pd.DataFrame(
        {"rows_with_unit": by_improvement["rows"].sum(), "units": by_improvement["unit"].nunique()}
    )
    return {"paired": _paired_summary(treated), "distinct": distinct}


def _paired_summary(unit_rows: pd.DataFrame) -> pd.DataFrame:
    """Per improvement: the per-unit differences' aggregates and order statistics."""
    if unit_rows.empty:
        return pd.DataFrame(columns=list(PAIRED_FIGURES), dtype=float)
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
        return result.assign(**{name: np.nan for name in PAIRED_FIGURES if name not in result})
    # Order statistics of the differences within each improvement: sort once, then index.
    ordered = units.assign(improvement=improvement).sort_values(
        ["improvement", "difference"], kind="stable"
    )
    values = ordered["difference"].to_numpy()
    counts = n.to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    q1, q3 = _quartiles(values, starts, counts)
    new_value = np.concatenate([[True], np.diff(values) != 0])
    new_value[starts] = True
    stats = pd.DataFrame(
        {
            "minimum": values[starts],
            "maximum": values[starts + counts - 1],
            "more_than_two_values": np.add.reduceat(new_value.astype(int), starts) > 2,
            "q1": q1,
            "q3": q3,
        },
        index=n.index,
    )
    return result.join(stats)
