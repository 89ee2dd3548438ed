"""Control-group designs: difference-in-differences, and randomised trials with before values.

The data decide the analysis (``details["analysis"]``); a unit is a (group, unit) pair, so
units numbered 1, 2, ... in each group are different units:

* ``change_scores``: units repeat (some unit has rows in both phases). Each unit's after mean
  minus its before mean is regressed on ``treated``; the effect is the coefficient, with the
  CR2 covariance and Satterthwaite df (one row per unit, so CR2 is HC2). The pairing removes
  every unit's own level whatever the number of units or of rows per unit.
* ``ancova`` (``randomised=True`` with repeated units): the unit's after mean regressed on
  ``treated`` and its before mean, CR2/HC2 and Satterthwaite df; the method is then
  ``treatment_vs_control`` and ``details`` give the variance saved against the plain
  comparison of after means and against change scores (the idea behind CUPED).
* ``clustered_rows``: ``cov="cluster"`` with units, or units with several rows that never span
  both phases: OLS ``value ~ after * treated`` on the rows, CR2 by unit, Satterthwaite df.
* ``rows``: no unit has two rows (or no units): OLS on the rows with ``cov`` HC3 (default),
  HC1 or nonrobust, t with N - 4 df (``cov="cluster"`` without units: HC3).

An analysis that uses units leaves out rows without a unit, with the ``rows_without_unit``
warning and their number in ``details``; units seen in one phase only leave the unit-level
analyses with ``dropped_unpaired_units``. References: Angrist & Pischke (2009) *Mostly
Harmless Econometrics* ch. 5; Bell & McCaffrey (2002); Pustejovsky & Tipton (2018); Deng et
al. (2013) for CUPED; R ``clubSandwich::coef_test(vcov="CR2", test="Satterthwaite")``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gains.stats.assemble import CoreEstimate, StatsInputError, finish_estimate, sample_warnings
from gains.stats.cluster_robust import ClusterRobustFit, fit_cr2
from gains.stats.effect_sizes import standardised_did
from gains.stats.frames import has_units
from gains.stats.inference import DEFAULT_LEVEL
from gains.stats.results import EstimateResult, GroupCounts
from gains.stats.warning_codes import StatsWarning

COVARIANCES = ("HC3", "HC1", "nonrobust", "cluster")
MIN_UNITS_PER_GROUP = 2
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
    randomised: bool = False,
    planned_sample_size: int | None = None,
) -> EstimateResult:
    """The control-group estimate from raw rows with before and after rows in both groups.
    ``planned_sample_size`` (per phase and group) tunes the always-valid interval."""
    if cov not in COVARIANCES:
        raise StatsInputError(f"cov must be one of {', '.join(COVARIANCES)}, got {cov!r}")
    layout = unit_layout(frame)
    analysis = _analysis(layout, cov, randomised)
    core = _rows(frame, cov) if analysis == "rows" else _BY_UNIT[analysis](frame, layout)
    return finish_estimate(core, direction, level, planned_effect, planned_sample_size)


def choose_analysis(frame: pd.DataFrame, cov: str = "HC3", randomised: bool = False) -> str:
    """Which of the module's analyses the rows get (see the module docstring)."""
    return _analysis(unit_layout(frame), cov, randomised)


@dataclass(frozen=True)
class UnitLayout:
    """The rows that name a unit, coded by (group, unit)."""

    with_unit: np.ndarray  # per row of the frame: does it name a unit
    codes: np.ndarray  # per row with a unit: its unit's code
    after: np.ndarray  # per row with a unit: 1 after go-live, 0 before
    treated: np.ndarray  # per unit: 1.0 treatment, 0.0 control
    rows: np.ndarray  # per unit: its rows before and after (n_units × 2)

    @property
    def n_without_unit(self) -> int:
        return int((~self.with_unit).sum())

    @property
    def in_both_phases(self) -> np.ndarray:
        return (self.rows > 0).all(axis=1)


def unit_layout(frame: pd.DataFrame) -> UnitLayout | None:
    """The units' codes and row counts; None when no row names a unit."""
    if not has_units(frame):
        return None
    with_unit = frame["unit"].notna().to_numpy()
    kept = frame[with_unit]
    treated_row = (kept["group"] == "treatment").to_numpy()
    codes, keys = pd.factorize(pd.factorize(kept["unit"])[0] * 2 + treated_row)
    after = (kept["phase"] == "after").to_numpy().astype(np.int64)
    rows = np.bincount(codes * 2 + after, minlength=2 * len(keys)).reshape(-1, 2)
    return UnitLayout(
        with_unit=with_unit, codes=codes, after=after, treated=(keys % 2).astype(float), rows=rows
    )


def _analysis(layout: UnitLayout | None, cov: str, randomised: bool) -> str:
    if layout is None:
        return "rows"
    repeated = bool(layout.in_both_phases.any())
    if repeated and randomised:
        return "ancova"
    if repeated and cov != "cluster":
        return "change_scores"
    if cov == "cluster" or bool((layout.rows.sum(axis=1) > 1).any()):
        return "clustered_rows"
    return "rows"


def design_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Columns: intercept, after, treated, after · treated."""
    after = (frame["phase"] == "after").to_numpy(dtype=float)
    treated = (frame["group"] == "treatment").to_numpy(dtype=float)
    return np.column_stack([np.ones_like(after), after, treated, after * treated])


# --- Rows, no units ---------------------------------------------------------------------------


def _rows(frame: pd.DataFrame, cov: str) -> CoreEstimate:
    """OLS on the rows with HC3, HC1 or nonrobust (``cluster`` without units: HC3)."""
    cov_type = "HC3" if cov == "cluster" else cov
    cells = _cells(frame)
    fit = _fit(frame, cov_type)
    covariance = np.asarray(fit.cov_params())
    params = np.asarray(fit.params)
    effect = float(EFFECT_CONTRAST @ params)
    se = float(np.sqrt(EFFECT_CONTRAST @ covariance @ EFFECT_CONTRAST))
    g, g_variance = _hedges_g_rows(cells, effect, se)
    return CoreEstimate(
        method="did",
        effect=effect,
        se=se,
        df=float(len(frame) - 4),
        counterfactual_mean=float(COUNTERFACTUAL_CONTRAST @ params),
        var_counterfactual=float(COUNTERFACTUAL_CONTRAST @ covariance @ COUNTERFACTUAL_CONTRAST),
        cov_effect_counterfactual=float(EFFECT_CONTRAST @ covariance @ COUNTERFACTUAL_CONTRAST),
        hedges_g_raw=g,
        hedges_g_variance=g_variance,
        counts=_counts(frame),
        cov_type=cov_type,
        warnings=tuple(sample_warnings(list(cells.values()))),
        details={"analysis": "rows", "n_clusters": None, "rows_analysed": len(frame)},
        data_scale=_largest_mean(cells.values()),
        sequential_sizes=tuple(len(cell) for cell in cells.values()),
    )


def _fit(frame: pd.DataFrame, cov_type: str):
    # statsmodels is imported when a model is fitted (see gains/stats/__init__.py).
    from statsmodels.regression.linear_model import OLS

    model = OLS(frame["value"].to_numpy(dtype=float), design_matrix(frame))
    return model.fit(cov_type=cov_type)


# --- Rows clustered by unit -------------------------------------------------------------------


def _clustered_rows(frame: pd.DataFrame, layout: UnitLayout) -> CoreEstimate:
    kept, without_unit = frame[layout.with_unit], layout.n_without_unit
    cells = _cells(kept)
    _require_units(layout.treated, without_unit, "with a unit")
    fit = fit_cr2(design_matrix(kept), kept["value"].to_numpy(), layout.codes)
    numbers = _cr2_numbers(fit, EFFECT_CONTRAST, COUNTERFACTUAL_CONTRAST, EFFECT_CONTRAST)
    g, g_variance = _hedges_g_rows(cells, numbers["effect"], numbers["se"])
    warnings = sample_warnings(list(cells.values()))
    return CoreEstimate(
        method="did",
        **numbers,
        hedges_g_raw=g,
        hedges_g_variance=g_variance,
        counts=_counts(kept, n_units=fit.n_clusters),
        warnings=tuple(_unit_warnings(without_unit, 0) + warnings),
        details={
            "analysis": "clustered_rows",
            "n_clusters": fit.n_clusters,
            "rows_analysed": len(kept),
            "n_rows_without_unit": without_unit,
        },
        data_scale=_largest_mean(cells.values()),
        sequential_sizes=_units_per_cell(layout),
    )


# --- Units measured in both phases ------------------------------------------------------------


@dataclass(frozen=True)
class UnitTable:
    """Per unit seen in both phases: ``treated`` (1.0 or 0.0), ``before`` and ``after``
    means; the rows they come from; and what was left out."""

    treated: np.ndarray
    before: np.ndarray
    after: np.ndarray
    counts: GroupCounts
    rows_analysed: int
    n_units_dropped: int
    n_rows_without_unit: int

    def column(self, name: str, treated: float) -> pd.Series:
        """A column's values for the treated (1.0) or control (0.0) units."""
        return pd.Series(getattr(self, name)[self.treated == treated])


def unit_table(frame: pd.DataFrame, layout: UnitLayout) -> UnitTable:
    """Each (group, unit)'s mean per phase; units without both phases are dropped."""
    complete = layout.in_both_phases
    _require_units(layout.treated[complete], layout.n_without_unit, "measured in both phases")
    values = frame["value"].to_numpy()[layout.with_unit]
    # Summed about the overall mean so that large values (1e9 ± 1e-3) keep their digits.
    centre = values.mean()
    sums = np.bincount(
        layout.codes * 2 + layout.after, weights=values - centre, minlength=layout.rows.size
    ).reshape(-1, 2)
    means = sums[complete] / layout.rows[complete] + centre
    rows = layout.rows[complete]
    treated = layout.treated[complete]
    by_cell = {
        (group, phase): int(rows[treated == flag, column].sum())
        for group, flag in (("treatment", 1.0), ("control", 0.0))
        for phase, column in (("before", 0), ("after", 1))
    }
    counts = GroupCounts(
        n_before=int(rows[:, 0].sum()),
        n_after=int(rows[:, 1].sum()),
        n_treatment_before=by_cell["treatment", "before"],
        n_treatment_after=by_cell["treatment", "after"],
        n_control_before=by_cell["control", "before"],
        n_control_after=by_cell["control", "after"],
        n_units=int(complete.sum()),
    )
    return UnitTable(
        treated=treated,
        before=means[:, 0],
        after=means[:, 1],
        counts=counts,
        rows_analysed=int(rows.sum()),
        n_units_dropped=int((~complete).sum()),
        n_rows_without_unit=layout.n_without_unit,
    )


def _change_scores(frame: pd.DataFrame, layout: UnitLayout) -> CoreEstimate:
    table = unit_table(frame, layout)
    # Change and before mean on the same design, so that the counterfactual (the treated
    # units' before mean plus the control units' change) gets its variance and covariance
    # with the effect from the same CR2 sandwich. Stacked coefficients: change (intercept,
    # treated), then before (intercept, treated).
    fit = _fit_units(table, table.after - table.before, table.before)
    changes = [table.column("after", i) - table.column("before", i) for i in (1.0, 0.0)]
    return _unit_estimate(
        "did", "change_scores", table, fit, np.array([1.0, 0.0, 1.0, 1.0]), "before", changes
    )


def _ancova(frame: pd.DataFrame, layout: UnitLayout) -> CoreEstimate:
    """Randomised trial with before values: after mean ~ treated + before mean (ANCOVA).

    The before mean enters centred, so the intercept is the control units' after mean at the
    average before value and the numbers keep their digits; the effect and its CR2 variance
    do not depend on the centring. Before means that cannot be told apart from the group
    (constant, or constant within each group) leave the model, as R's ``lm`` aliases them:
    the plain comparison of after means remains.
    """
    table = unit_table(frame, layout)
    centred_before = table.before - table.before.mean()
    try:
        fit = _fit_units(table, table.after, covariate=centred_before)
        treated_before = float(centred_before[table.treated == 1.0].mean())
        counterfactual_contrast = np.array([1.0, 0.0, treated_before])
    except np.linalg.LinAlgError:
        fit = _fit_units(table, table.after)
        counterfactual_contrast = np.array([1.0, 0.0])
    variance = fit.covariance[1, 1]
    unadjusted = _fit_units(table, table.after).covariance[1, 1]
    change = _fit_units(table, table.after - table.before).covariance[1, 1]
    saved = {
        "se_unadjusted": float(np.sqrt(unadjusted)),
        "se_change_scores": float(np.sqrt(change)),
        "variance_reduction": _reduction(variance, unadjusted),
        "variance_reduction_vs_change_scores": _reduction(variance, change),
    }
    afters = [table.column("after", i) for i in (1.0, 0.0)]
    core = _unit_estimate(
        "treatment_vs_control", "ancova", table, fit, counterfactual_contrast, "after", afters
    )
    return replace(core, details=core.details | saved)


def _unit_estimate(
    method: str,
    analysis: str,
    table: UnitTable,
    fit: ClusterRobustFit,
    counterfactual_contrast: np.ndarray,
    standardise_by: str,
    compared: list[pd.Series],
) -> CoreEstimate:
    """The core estimate of a unit-level fit whose first outcome's ``treated`` coefficient
    is the effect."""
    n_coefficients = fit.bread.shape[0]
    treated = np.eye(n_coefficients)[1]
    effect_contrast = np.zeros(len(counterfactual_contrast))
    effect_contrast[:n_coefficients] = treated
    numbers = _cr2_numbers(fit, effect_contrast, counterfactual_contrast, treated)
    g, g_variance = _standardised(table, standardise_by, numbers["effect"], numbers["se"])
    warnings = _unit_warnings(table.n_rows_without_unit, table.n_units_dropped)
    return CoreEstimate(
        method=method,
        **numbers,
        hedges_g_raw=g,
        hedges_g_variance=g_variance,
        counts=table.counts,
        warnings=tuple(warnings + sample_warnings(compared)),
        details={
            "analysis": analysis,
            "n_clusters": len(table.treated),
            "rows_analysed": table.rows_analysed,
            "n_units_dropped": table.n_units_dropped,
            "n_rows_without_unit": table.n_rows_without_unit,
        },
        data_scale=_largest_mean(_group_means(table)),
        # One row per unit: the confidence sequence counts the units of each group.
        sequential_sizes=tuple(len(values) for values in compared),
    )


def _cr2_numbers(
    fit: ClusterRobustFit,
    effect_contrast: np.ndarray,
    counterfactual_contrast: np.ndarray,
    df_contrast: np.ndarray,
) -> dict:
    """Effect, SE, Satterthwaite df and the counterfactual with its (co)variances from a CR2
    fit (``df_contrast``: the effect as a contrast of one outcome's coefficients)."""
    return {
        "effect": fit.estimate(effect_contrast),
        "se": float(np.sqrt(fit.variance(effect_contrast))),
        "df": fit.satterthwaite_df(df_contrast),
        "counterfactual_mean": fit.estimate(counterfactual_contrast),
        "var_counterfactual": fit.variance(counterfactual_contrast),
        "cov_effect_counterfactual": fit.variance(effect_contrast, counterfactual_contrast),
        "cov_type": "CR2",
    }


def _fit_units(table: UnitTable, *outcomes: np.ndarray, covariate=None) -> ClusterRobustFit:
    """OLS of each outcome on one row per unit (each unit its own cluster, so CR2 is HC2):
    intercept, treated and the covariate if given."""
    columns = [np.ones(len(table.treated)), table.treated]
    if covariate is not None:
        columns.append(covariate)
    return fit_cr2(
        np.column_stack(columns), np.column_stack(outcomes), np.arange(len(table.treated))
    )


def _standardised(table: UnitTable, column: str, effect: float, se: float):
    """Hedges' g with the SD of the units' ``column`` means pooled over both groups (before:
    SMCR-like, as the paired design; after: SMD-like, for the randomised trial)."""
    values = getattr(table, column)
    parts = [values[table.treated == flag] for flag in (1.0, 0.0)]
    n = len(values)
    pooled_variance = sum((len(part) - 1) * part.var(ddof=1) for part in parts) / (n - 2)
    g, variance = standardised_did(effect, se**2, np.sqrt(pooled_variance), n - 2, n)
    return float(g), float(variance)


def _reduction(variance: float, reference: float) -> float | None:
    """1 - variance / reference: the share of the reference variance the adjustment saved."""
    return float(1.0 - variance / reference) if reference > 0 else None


# --- Shared helpers ---------------------------------------------------------------------------


def _require_units(treated: np.ndarray, without_unit: int, which: str) -> None:
    """At least `MIN_UNITS_PER_GROUP` units in each group (``treated``: 1.0/0.0 per unit)."""
    n_treated, n_control = int((treated == 1.0).sum()), int((treated == 0.0).sum())
    if min(n_treated, n_control) >= MIN_UNITS_PER_GROUP:
        return
    left_out = f"; {without_unit} rows without a unit were left out" if without_unit else ""
    raise StatsInputError(
        f"the control-group analysis by unit needs at least {MIN_UNITS_PER_GROUP} units "
        f"{which} in each group (found {n_treated} treated and {n_control} control{left_out})"
    )


def _unit_warnings(without_unit: int, dropped_units: int) -> list[StatsWarning]:
    warnings = []
    if without_unit:
        warnings.append(StatsWarning.ROWS_WITHOUT_UNIT)
    if dropped_units:
        warnings.append(StatsWarning.DROPPED_UNPAIRED_UNITS)
    return warnings


def _group_means(table: UnitTable) -> list[pd.Series]:
    return [table.column(name, g) for name in ("before", "after") for g in (1.0, 0.0)]


def _units_per_cell(layout: UnitLayout) -> tuple[int, ...]:
    """Units with rows in each (group, phase): what the confidence sequence counts when rows
    are clustered by unit (`stats.sequential`)."""
    seen = layout.rows > 0
    return tuple(
        int(seen[layout.treated == flag, phase].sum()) for flag in (1.0, 0.0) for phase in (0, 1)
    )


def _largest_mean(cells) -> float:
    return max(abs(float(cell.mean())) for cell in cells)


def _cells(frame: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    cells = {
        (group, phase): frame.loc[(frame["group"] == group) & (frame["phase"] == phase), "value"]
        for group in ("treatment", "control")
        for phase in ("before", "after")
    }
    if any(len(cell) < 2 for cell in cells.values()):
        raise StatsInputError(
            "difference-in-differences needs at least 2 rows in each phase of each group"
        )
    return cells


def _hedges_g_rows(cells, effect: float, se: float) -> tuple[float, float]:
    treated_before = cells[("treatment", "before")]
    control_before = cells[("control", "before")]
    n_before = len(treated_before) + len(control_before)
    pooled_variance = (
        (len(treated_before) - 1) * treated_before.var(ddof=1)
        + (len(control_before) - 1) * control_before.var(ddof=1)
    ) / (n_before - 2)
    g, variance = standardised_did(effect, se**2, np.sqrt(pooled_variance), n_before - 2, n_before)
    return float(g), float(variance)


def _counts(frame: pd.DataFrame, n_units: int | None = None) -> GroupCounts:
    def count(group: str, phase: str) -> int:
        return int(((frame["group"] == group) & (frame["phase"] == phase)).sum())

    if n_units is None and "unit" in frame.columns:
        n_units = int(frame["unit"].nunique()) or None
    return GroupCounts(
        n_before=int((frame["phase"] == "before").sum()),
        n_after=int((frame["phase"] == "after").sum()),
        n_treatment_before=count("treatment", "before"),
        n_treatment_after=count("treatment", "after"),
        n_control_before=count("control", "before"),
        n_control_after=count("control", "after"),
        n_units=n_units,
    )


_BY_UNIT = {
    "clustered_rows": _clustered_rows,
    "change_scores": _change_scores,
    "ancova": _ancova,
}
