"""Two-group designs on raw rows: Welch before/after, paired by unit means, treatment vs control.

Each function takes a cleaned measurements frame (see :mod:`gains.stats.frames`) and returns an
:class:`~gains.stats.results.EstimateResult`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from gains.stats.assemble import (
    CoreEstimate,
    StatsInputError,
    finish_estimate,
    sample_warnings,
)
from gains.stats.effect_sizes import correlation_before_after, smcr_paired, smd_independent
from gains.stats.inference import DEFAULT_LEVEL
from gains.stats.results import EstimateResult, GroupCounts
from gains.stats.warning_codes import StatsWarning


def welch_before_after(
    frame: pd.DataFrame,
    direction: str = "higher",
    level: float = DEFAULT_LEVEL,
    planned_effect: float | None = None,
    planned_sample_size: int | None = None,
) -> EstimateResult:
    """Welch's unequal-variance t test of after - before (R ``t.test(after, before)``).

    Welch (1947), Biometrika 34:28-35. Counterfactual = before mean. Hedges' g as
    ``metafor::escalc("SMD")`` with the after phase as group 1.
    """
    before = _values(frame, phase="before")
    after = _values(frame, phase="after")
    core = _welch_core("welch", after, before)
    counts = GroupCounts(n_before=len(before), n_after=len(after))
    warnings = [StatsWarning.NO_CONTROL_GROUP, *sample_warnings([before, after])]
    return finish_estimate(
        replace(core, counts=counts, warnings=tuple(warnings)),
        direction,
        level,
        planned_effect,
        planned_sample_size,
    )


def treatment_vs_control(
    frame: pd.DataFrame,
    direction: str = "higher",
    level: float = DEFAULT_LEVEL,
    planned_effect: float | None = None,
    planned_sample_size: int | None = None,
) -> EstimateResult:
    """Randomised trial without a before period: Welch t of treatment - control.

    Counterfactual = control mean. Hedges' g as ``metafor::escalc("SMD")``.
    """
    treated = frame.loc[frame["group"] == "treatment", "value"]
    control = frame.loc[frame["group"] == "control", "value"]
    core = _welch_core("treatment_vs_control", treated, control)
    counts = GroupCounts(
        n_before=int((frame["phase"] == "before").sum()),
        n_after=int((frame["phase"] == "after").sum()),
        n_treatment_after=len(treated),
        n_control_after=len(control),
    )
    warnings = tuple(sample_warnings([treated, control]))
    return finish_estimate(
        replace(core, counts=counts, warnings=warnings),
        direction,
        level,
        planned_effect,
        planned_sample_size,
    )


def paired_unit_means(
    frame: pd.DataFrame,
    direction: str = "higher",
    level: float = DEFAULT_LEVEL,
    planned_effect: float | None = None,
    planned_sample_size: int | None = None,
) -> EstimateResult:
    """Paired t test on each unit's after-mean minus its before-mean (R ``t.test(paired=TRUE)``).

    Averaging within unit first gives every unit equal weight and makes the pairs independent.
    Units seen in one phase only, and rows without a unit, are dropped with a warning each.
    Counterfactual = mean of the before unit means; its covariance with the mean difference
    enters the delta method.
    Hedges' g as ``metafor::escalc("SMCR")`` with the SD and correlation of the unit means.
    """
    unit_means, n_dropped = paired_unit_table(frame)
    if len(unit_means) < 2:
        raise StatsInputError("a paired analysis needs at least 2 units measured in both phases")
    before, after = unit_means["before"], unit_means["after"]
    differences = after - before
    n_units = len(differences)
    effect = float(differences.mean())
    se = float(differences.std(ddof=1) / np.sqrt(n_units))
    covariance = float(np.cov(differences, before, ddof=1)[0, 1])
    correlation = correlation_before_after(before.var(ddof=1), differences.var(ddof=1), covariance)
    g, g_variance = smcr_paired(effect, before.std(ddof=1), n_units, correlation)
    kept = frame[frame["unit"].isin(unit_means.index)]
    warnings = [StatsWarning.NO_CONTROL_GROUP, *sample_warnings([differences])]
    if n_dropped:
        warnings.append(StatsWarning.DROPPED_UNPAIRED_UNITS)
    rows_without_unit = int(frame["unit"].isna().sum())
    if rows_without_unit:  # never dropped silently (DESIGN, "paired")
        warnings.append(StatsWarning.ROWS_WITHOUT_UNIT)
    core = CoreEstimate(
        method="paired",
        effect=effect,
        se=se,
        df=n_units - 1.0,
        counterfactual_mean=float(before.mean()),
        var_counterfactual=float(before.var(ddof=1) / n_units),
        cov_effect_counterfactual=covariance / n_units,
        hedges_g_raw=float(g),
        hedges_g_variance=float(g_variance),
        counts=GroupCounts(
            n_before=int((kept["phase"] == "before").sum()),
            n_after=int((kept["phase"] == "after").sum()),
            n_units=n_units,
        ),
        warnings=tuple(warnings),
        details={"n_units_dropped": n_dropped, "n_rows_without_unit": rows_without_unit},
        sequential_sizes=(n_units,),
    )
    return finish_estimate(core, direction, level, planned_effect, planned_sample_size)


def paired_unit_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Per-unit means with one column per phase, and how many units lacked a phase."""
    if "unit" not in frame.columns:
        raise StatsInputError("a paired analysis needs a 'unit' column")
    with_unit = frame.dropna(subset=["unit"])
    table = with_unit.pivot_table(index="unit", columns="phase", values="value", aggfunc="mean")
    table = table.reindex(columns=["before", "after"])
    complete = table.dropna()
    return complete, len(table) - len(complete)


def _welch_core(method: str, first: pd.Series, second: pd.Series) -> CoreEstimate:
    """Welch core for ``first - second``; ``second`` is the counterfactual group."""
    if len(first) < 2 or len(second) < 2:
        raise StatsInputError("each side needs at least 2 observations")
    var_first = first.var(ddof=1) / len(first)
    var_second = second.var(ddof=1) / len(second)
    se = float(np.sqrt(var_first + var_second))
    df = _welch_satterthwaite_df(var_first, var_second, len(first), len(second))
    g, g_variance = smd_independent(
        first.mean(), second.mean(), first.var(ddof=1), second.var(ddof=1), len(first), len(second)
    )
    return CoreEstimate(
        method=method,
        effect=float(first.mean() - second.mean()),
        se=se,
        df=df,
        counterfactual_mean=float(second.mean()),
        var_counterfactual=float(var_second),
        cov_effect_counterfactual=-float(var_second),
        hedges_g_raw=float(g),
        hedges_g_variance=float(g_variance),
        counts=GroupCounts(n_before=len(second), n_after=len(first)),
        sequential_sizes=(len(second), len(first)),
    )


def _welch_satterthwaite_df(var_mean_1, var_mean_2, n_1: int, n_2: int) -> float:
    """Welch (1947) / Satterthwaite (1946) degrees of freedom, as R ``t.test`` computes them."""
    total = var_mean_1 + var_mean_2
    if not total > 0:
        return float(n_1 + n_2 - 2)  # no variation: the test is undefined, keep a finite df
    return float(total**2 / (var_mean_1**2 / (n_1 - 1) + var_mean_2**2 / (n_2 - 1)))


def _values(frame: pd.DataFrame, phase: str) -> pd.Series:
    return frame.loc[frame["phase"] == phase, "value"]
