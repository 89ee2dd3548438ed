"""Difference-in-differences: OLS ``value ~ after * treated`` with a robust covariance.

The interaction coefficient is the effect. Covariances (``cov``):

* ``HC3`` (default; MacKinnon & White 1985, Long & Ervin 2000), ``HC1`` or ``nonrobust``
  (R ``sandwich::vcovHC`` / ``vcov``), t with N - 4 df as ``lmtest::coeftest`` uses;
* clustered by unit (R ``sandwich::vcovCL``, type HC1 with the G/(G - 1) adjustment, as Stata's
  ``vce(cluster)``), t with G - 1 df as Stata uses. Clustering is used whenever units repeat
  and there are at least 30 of them; with fewer clusters the cluster-robust SE is unreliable
  (Cameron & Miller 2015, J. Hum. Resour. 50:317-372), so the unit means are analysed instead
  (one row per unit, phase and group) and a warning says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gains.stats.assemble import CoreEstimate, StatsInputError, finish_estimate, sample_warnings
from gains.stats.effect_sizes import standardised_did
from gains.stats.inference import DEFAULT_LEVEL
from gains.stats.results import EstimateResult, GroupCounts
from gains.stats.warning_codes import StatsWarning

COVARIANCES = ("HC3", "HC1", "nonrobust", "cluster")
MIN_CLUSTERS = 30
# Design-matrix columns; the effect is the interaction, the treated group's counterfactual
# after-mean is intercept + after + treated.
EFFECT_CONTRAST = np.array([0.0, 0.0, 0.0, 1.0])
COUNTERFACTUAL_CONTRAST = np.array([1.0, 1.0, 1.0, 0.0])


def difference_in_differences(
    frame: pd.DataFrame,
    direction: str = "higher",
    level: float = DEFAULT_LEVEL,
    cov: str = "HC3",
    planned_effect: float | None = None,
) -> EstimateResult:
    """DiD estimate from raw rows with before and after rows in both groups.

    References: Angrist & Pischke (2009) *Mostly Harmless Econometrics* ch. 5; R
    ``lm(value ~ after * treated)`` with ``sandwich::vcovHC(type=...)`` or
    ``sandwich::vcovCL(cluster=~unit)``.
    """
    if cov not in COVARIANCES:
        raise StatsInputError(f"cov must be one of {', '.join(COVARIANCES)}, got {cov!r}")
    analysed, cov_type, warnings = _choose_rows_and_covariance(frame, cov)
    cells = _cells(analysed)
    if any(len(cell) < 2 for cell in cells.values()):
        raise StatsInputError(
            "difference-in-differences needs at least 2 rows in each phase of each group"
        )
    fit = _fit(analysed, cov_type)
    covariance = np.asarray(fit.cov_params())
    params = np.asarray(fit.params)
    effect = float(EFFECT_CONTRAST @ params)
    se = float(np.sqrt(EFFECT_CONTRAST @ covariance @ EFFECT_CONTRAST))
    n_clusters = analysed["unit"].nunique() if cov_type == "cluster" else None
    df = float(n_clusters - 1) if n_clusters else float(len(analysed) - 4)
    g, g_variance = _hedges_g(cells, effect, se)
    core = CoreEstimate(
        method="did",
        effect=effect,
        se=se,
        df=df,
        counterfactual_mean=float(COUNTERFACTUAL_CONTRAST @ params),
        var_counterfactual=float(COUNTERFACTUAL_CONTRAST @ covariance @ COUNTERFACTUAL_CONTRAST),
        cov_effect_counterfactual=float(EFFECT_CONTRAST @ covariance @ COUNTERFACTUAL_CONTRAST),
        hedges_g_raw=g,
        hedges_g_variance=g_variance,
        counts=_counts(frame),
        cov_type=cov_type,
        warnings=tuple(warnings + sample_warnings(list(cells.values()))),
        details={"n_clusters": n_clusters, "rows_analysed": len(analysed)},
        data_scale=max(abs(float(cell.mean())) for cell in cells.values()),
    )
    return finish_estimate(core, direction, level, planned_effect)


def design_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Columns: intercept, after, treated, after · treated."""
    after = (frame["phase"] == "after").to_numpy(dtype=float)
    treated = (frame["group"] == "treatment").to_numpy(dtype=float)
    return np.column_stack([np.ones_like(after), after, treated, after * treated])


def _choose_rows_and_covariance(frame: pd.DataFrame, cov: str):
    units_repeat = (
        "unit" in frame.columns
        and frame["unit"].notna().all()
        and (frame["unit"].duplicated().any())
    )
    if not units_repeat:
        return frame, ("HC3" if cov == "cluster" else cov), []
    if frame["unit"].nunique() >= MIN_CLUSTERS:
        return frame, "cluster", []
    unit_means = frame.groupby(["unit", "phase", "group"], as_index=False)["value"].mean()
    return unit_means, ("HC3" if cov == "cluster" else cov), [StatsWarning.ANALYSED_UNIT_MEANS]


def _fit(frame: pd.DataFrame, cov_type: str):
    # statsmodels is imported when a model is fitted (see gains/stats/__init__.py).
    from statsmodels.regression.linear_model import OLS

    model = OLS(frame["value"].to_numpy(dtype=float), design_matrix(frame))
    if cov_type == "cluster":
        groups = pd.factorize(frame["unit"])[0]
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    return model.fit(cov_type=cov_type)


def _cells(frame: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {
        (group, phase): frame.loc[(frame["group"] == group) & (frame["phase"] == phase), "value"]
        for group in ("treatment", "control")
        for phase in ("before", "after")
    }


def _hedges_g(cells, effect: float, se: float) -> tuple[float, float]:
    treated_before = cells[("treatment", "before")]
    control_before = cells[("control", "before")]
    n_before = len(treated_before) + len(control_before)
    pooled_variance = (
        (len(treated_before) - 1) * treated_before.var(ddof=1)
        + (len(control_before) - 1) * control_before.var(ddof=1)
    ) / (n_before - 2)
    g, variance = standardised_did(effect, se**2, np.sqrt(pooled_variance), n_before - 2, n_before)
    return float(g), float(variance)


def _counts(frame: pd.DataFrame) -> GroupCounts:
    def count(group: str, phase: str) -> int:
        return int(((frame["group"] == group) & (frame["phase"] == phase)).sum())

    return GroupCounts(
        n_before=int((frame["phase"] == "before").sum()),
        n_after=int((frame["phase"] == "after").sum()),
        n_treatment_before=count("treatment", "before"),
        n_treatment_after=count("treatment", "after"),
        n_control_before=count("control", "before"),
        n_control_after=count("control", "after"),
        n_units=(int(frame["unit"].nunique()) or None) if "unit" in frame.columns else None,
    )
