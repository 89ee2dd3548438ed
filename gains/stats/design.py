"""Choose the analysis for an improvement: the declared design decides, the data can only
downgrade it (with a ``design_downgraded`` warning), never upgrade it.

Downgrade ladder: control group → treatment vs control (no before rows; not a downgrade, that
is the randomised variant) → paired → Welch. A declared time series is never downgraded: with
fewer than `timeseries.MIN_POINTS_PER_SIDE` weekly points a side it is not evidence, and a
before/after comparison of the same rows (trend and autocorrelation ignored) would be worse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

import pandas as pd

from gains.stats.assemble import StatsInputError
from gains.stats.did import COVARIANCES as DID_COVARIANCES
from gains.stats.did import difference_in_differences
from gains.stats.estimates import (
    paired_unit_means,
    paired_unit_table,
    treatment_vs_control,
    welch_before_after,
)
from gains.stats.evidence import level_of_result, pre_trends_of_rows
from gains.stats.frames import clean_measurements, has_units
from gains.stats.results import EstimateResult, json_safe
from gains.stats.timeseries import (
    ITS_COVARIANCES,
    MIN_POINTS_PER_SIDE,
    interrupted_time_series,
    points_per_side,
)
from gains.stats.warning_codes import StatsWarning

# The app's design names and the command line's short names, mapped to one vocabulary.
DESIGN_ALIASES = {
    "auto": "auto",
    "before_after": "welch",
    "before/after": "welch",
    "welch": "welch",
    "paired": "paired",
    "control_group": "did",
    "control group": "did",
    "did": "did",
    "time_series": "its",
    "time series": "its",
    "its": "its",
}


def estimate_improvement(
    frame: pd.DataFrame,
    design: str = "auto",
    direction: str = "higher",
    alpha: float = 0.05,
    cov: str | None = None,
    planned_effect: float | None = None,
    randomised: bool = False,
    planned_sample_size: int | None = None,
    seasonal: bool = False,
) -> EstimateResult:
    """Estimate one improvement's effect from its measurements.

    ``frame`` has ``phase`` and ``value`` and optionally ``unit``, ``group`` and ``date``.
    ``design`` is the declared design (or ``auto``: the richest design the data support);
    ``alpha`` sets the confidence level 1 - alpha; ``cov`` is the covariance of the design
    analysed (`resolve_cov`: difference-in-differences on rows HC3 by default, a time series
    AR(1) REML); ``planned_effect`` (metric units) enables the under-powered warning.
    ``randomised`` declares random assignment to treatment and control: units measured in
    both phases are then compared by ANCOVA on their before means (`did`), not change scores,
    and a comparison group gives evidence level 5 (`stats.evidence`).
    ``planned_sample_size`` (per phase and group) is where the always-valid interval
    (`cs_low`, `cs_high`; `stats.sequential`) is tightest.
    ``seasonal`` adds one Fourier pair (52 weeks) to a time series (`timeseries`).
    """
    try:
        declared = DESIGN_ALIASES[design.strip().lower()]
    except KeyError:
        raise StatsInputError(f"unknown design {design!r}") from None
    clean = clean_measurements(frame)
    level = 1.0 - alpha
    chosen = _supported_design(clean, declared)
    # A time series takes the control rows as its control series (`timeseries`).
    analysed = clean if chosen in ("did", "treatment_vs_control", "its") else _treatment_rows(clean)
    cov = resolve_cov(chosen, cov)
    if chosen == "did":
        result = difference_in_differences(
            analysed,
            direction,
            level,
            cov,
            planned_effect,
            randomised=randomised,
            planned_sample_size=planned_sample_size,
        )
    elif chosen == "its":
        result = interrupted_time_series(
            analysed, direction, level, planned_effect, cov, seasonal=seasonal
        )
    else:
        result = _RUNNERS[chosen](analysed, direction, level, planned_effect, planned_sample_size)
    if is_downgrade(declared, chosen):
        result = replace(result, warnings=(StatsWarning.DESIGN_DOWNGRADED.value, *result.warnings))
    parallel = False
    if chosen == "did":
        pre_trends = pre_trends_of_rows(clean)
        parallel = bool(pre_trends.parallel[0])
        p_value = json_safe(float(pre_trends.p_value[0]))
        result = replace(result, details={**result.details, "pre_trend_p_value": p_value})
    evidence = level_of_result(result, randomised=randomised, parallel_pre_trends=parallel)
    return replace(result, evidence_level=evidence)


# The covariance each design uses unless told otherwise.
DEFAULT_COVARIANCES = {"did": "HC3", "its": "reml"}


def resolve_cov(design: str, cov: str | None) -> str | None:
    """The covariance for the design analysed: ``cov`` when it is one of that design's,
    its default when ``cov`` is None or belongs to another design (``--cov reml`` with
    ``--design auto`` that finds a control group), an error when it belongs to none."""
    if cov is not None and cov not in (*DID_COVARIANCES, *ITS_COVARIANCES):
        known = ", ".join((*DID_COVARIANCES, *ITS_COVARIANCES))
        raise StatsInputError(f"cov must be one of {known}, got {cov!r}")
    own = {"did": DID_COVARIANCES, "its": ITS_COVARIANCES}.get(design, ())
    return cov if cov in own else DEFAULT_COVARIANCES.get(design)


def _supported_design(frame: pd.DataFrame, declared: str) -> str:
    """The richest design at or below the declared one that the data support."""
    sizes = frame.groupby(["group", "phase"]).size()
    treated = _treatment_rows(frame)
    return choose_design(
        declared,
        CellCounts(*(int(sizes.get(cell, 0)) for cell in CellCounts.CELLS)),
        paired_units=lambda: len(paired_unit_table(treated)[0]) if has_units(treated) else 0,
        points_per_side=lambda: min(points_per_side(treated)),
    )


@dataclass(frozen=True)
class CellCounts:
    """Rows per cell: treatment/control × before/after."""

    CELLS: ClassVar = (
        ("treatment", "before"),
        ("treatment", "after"),
        ("control", "before"),
        ("control", "after"),
    )
    treatment_before: int
    treatment_after: int
    control_before: int
    control_after: int


def choose_design(
    declared: str,
    counts: CellCounts,
    paired_units: Callable[[], int],
    points_per_side: Callable[[], int] | None = None,
) -> str:
    """The richest design at or below ``declared`` (a `DESIGN_ALIASES` value) that the data
    support: the one rule, for the rows in memory (`estimate_improvement`) and for the kept
    cell summaries of many improvements (`services.estimates.recompute`).

    ``paired_units``: how many treatment units were measured in both phases; ``points_per_
    side``: the fewer of the weekly points before and after go-live, needed only when
    ``declared`` is ``auto``. Both are asked for only when the choice needs them.
    The chosen design may still find too few rows (at least 2 per compared cell): its
    estimator says so.
    """
    tb, ta = counts.treatment_before, counts.treatment_after
    cb, ca = counts.control_before, counts.control_after
    if declared in ("auto", "did") and cb + ca > 0:
        if min(tb, ta, cb, ca) >= 2:
            return "did"
        if tb + cb == 0:
            return "treatment_vs_control"
    if declared == "its":
        return "its"  # never downgraded: too few weekly points is no estimate (module doc)
    if declared in ("auto", "did", "its", "paired") and paired_units() >= 2:
        return "paired"
    if declared == "auto" and points_per_side() >= MIN_POINTS_PER_SIDE:
        return "its"
    return "welch"


def is_downgrade(declared: str, chosen: str) -> bool:
    """Whether the data forced a poorer design than the one declared (a warning says so)."""
    return declared != "auto" and _rank(chosen) < _rank(declared)


def _treatment_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["group"] == "treatment"].reset_index(drop=True)


# Richness of a design; comparing ranks tells whether the data forced a downgrade.
_RANKS = {"welch": 0, "paired": 1, "its": 2, "treatment_vs_control": 3, "did": 3}


def _rank(design: str) -> int:
    return _RANKS.get(design, 0)


# The designs without options beyond direction, level, planned effect and planned sample size
# (DiD also takes `cov` and `randomised`; a time series `cov` and no planned size, since it
# has no always-valid interval: `stats.sequential`).
_RUNNERS = {
    "welch": welch_before_after,
    "paired": paired_unit_means,
    "treatment_vs_control": treatment_vs_control,
}
