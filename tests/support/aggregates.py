"""Pandas oracles for the per-cell aggregates the vectorised statistics take.

Independent of `gains.stats.cells` (the app's one computation): a plain ``groupby``, so
that `tests/stats/test_sufficient.py` checks the vectorised estimators against the raw-row
ones on inputs the app's own code did not produce.
"""

import pandas as pd


def cell_aggregates(frame: pd.DataFrame, keys: list[str], value: str = "value") -> pd.DataFrame:
    """n, mean and two-pass sample variance per group of ``keys``: what the SQL ``GROUP BY`` does.

    Two passes (mean, then mean squared deviation) as the design requires: Σx² - n·x̄² loses
    digits when the mean is large relative to the spread.
    """
    grouped = frame.groupby(keys, sort=True)[value]
    means = grouped.transform("mean")
    squared_deviations = (frame[value] - means) ** 2
    table = grouped.agg(n="size", mean="mean")
    table["variance"] = squared_deviations.groupby([frame[key] for key in keys]).sum() / (
        table["n"] - 1
    )
    return table.reset_index()


def paired_aggregates(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per ``keys`` (e.g. improvement): aggregates of per-unit differences of phase means.

    Columns: n_units, mean_difference, variance_difference, mean_before, variance_before,
    covariance_difference_before. Units seen in one phase only are dropped.
    """
    unit_means = frame.pivot_table(
        index=[*keys, "unit"], columns="phase", values="value", aggfunc="mean"
    ).dropna(subset=["before", "after"])
    units = unit_means.assign(difference=unit_means["after"] - unit_means["before"])
    grouped = units.groupby(level=keys)
    centred_d = units["difference"] - grouped["difference"].transform("mean")
    centred_b = units["before"] - grouped["before"].transform("mean")
    n = grouped.size()
    table = pd.DataFrame(
        {
            "n_units": n,
            "mean_difference": grouped["difference"].mean(),
            "variance_difference": (centred_d**2).groupby(level=keys).sum() / (n - 1),
            "mean_before": grouped["before"].mean(),
            "variance_before": (centred_b**2).groupby(level=keys).sum() / (n - 1),
            "covariance_difference_before": (centred_d * centred_b).groupby(level=keys).sum()
            / (n - 1),
        }
    )
    return table.reset_index()
