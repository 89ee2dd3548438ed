"""The simulated situations: every design and size the app accepts as evidence.

Each family builds frames with the columns the app builds (``phase``, ``value`` and, as the
design needs, ``unit``, ``group``, ``date``; see `gains.stats.frames.clean_measurements`),
calls the app through `adapters`, and the alternatives on the same numbers. The stated effect
of a scenario is 2.5 times the standard error of a reference analysis at that size (rounded),
so that the power sits around 0.7 where the method is efficient.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bench.calibration import adapters, alternatives
from bench.calibration.engine import APP, DESCRIBE, EVIDENCE, Scenario, judge
from gains.stats.assemble import StatsInputError
from gains.stats.common_scale import RELATIVE, ScaledResult, common_scale

LOGNORMAL_SD = math.sqrt((math.e - 1.0) * math.e)  # SD of exp(N(0, 1)): skewed, like waits
EFFECT_IN_SES = 2.5
ALPHA = 0.05


def stated(se: float) -> float:
    return round(EFFECT_IN_SES * se, 2)


def labels(*parts: tuple[str, int]) -> np.ndarray:
    return np.concatenate([np.full(count, text, dtype=object) for text, count in parts])


def app_outcome(truth: float, frame: pd.DataFrame, design: str, **options) -> dict:
    """The app's interval judged, what it used, and whether it shows it as evidence. A frame the
    app refuses (a size below its minimum for evidence) is a failure, not a crash."""
    try:
        result = adapters.estimate(frame, design, **options)
    except StatsInputError as refusal:
        return {APP: judge(None, None, truth), DESCRIBE: f"refused: {refusal}", EVIDENCE: 0.0}
    return {
        APP: judge(result.ci_low, result.ci_high, truth),
        DESCRIBE: adapters.describe(result),
        EVIDENCE: float(adapters.shown_as_evidence(result)),
    }


# Welch before/after, skewed data ------------------------------------------------------------


def welch_lognormal(n: int) -> Scenario:
    phase = labels(("before", n), ("after", n))

    def replicate(rng, truth):
        before, after = rng.lognormal(0, 1, n), rng.lognormal(0, 1, n) + truth
        frame = pd.DataFrame({"phase": phase, "value": np.concatenate([before, after])})
        outcome = app_outcome(truth, frame, "before_after")
        outcome["Student t (equal variances)"] = judge(*alternatives.student(after, before), truth)
        return outcome

    return Scenario(
        "Welch before/after, lognormal data",
        f"welch n={n}",
        f"n = {n} a phase",
        stated(LOGNORMAL_SD * math.sqrt(2 / n)),
        replicate,
    )


# Paired -------------------------------------------------------------------------------------

UNIT_SD = 2.0  # a strong unit effect: 80 % of a row's variance is the unit's
ROW_SD = 1.0


def paired(n_units: int) -> Scenario:
    def replicate(rng, truth):
        rows_before = rng.integers(1, 4, n_units)
        rows_after = rng.integers(1, 4, n_units)
        level = rng.normal(10.0, UNIT_SD, n_units)
        unit_names = np.array([f"u{i}" for i in range(n_units)], dtype=object)
        before = np.repeat(level, rows_before) + rng.normal(0, ROW_SD, rows_before.sum())
        after = np.repeat(level, rows_after) + truth + rng.normal(0, ROW_SD, rows_after.sum())
        frame = pd.DataFrame(
            {
                "phase": labels(("before", rows_before.sum()), ("after", rows_after.sum())),
                "value": np.concatenate([before, after]),
                "unit": np.concatenate(
                    [np.repeat(unit_names, rows_before), np.repeat(unit_names, rows_after)]
                ),
            }
        )
        outcome = app_outcome(truth, frame, "paired")
        outcome["Welch on rows, pairing ignored"] = judge(*alternatives.welch(after, before), truth)
        return outcome

    mean_inverse_rows = (1 + 1 / 2 + 1 / 3) / 3
    return Scenario(
        "Paired, 1-3 rows per unit and phase, strong unit effect",
        f"paired units={n_units}",
        f"{n_units} units",
        stated(ROW_SD * math.sqrt(2 * mean_inverse_rows / n_units)),
        replicate,
    )


# Difference-in-differences without units ----------------------------------------------------

# Cell SDs (treatment before, after, control before, after): the change widens the treated
# group's spread, and the control group is twice the size, so equal-variance SEs mislead.
DID_SDS = (1.0, 2.0, 1.0, 1.0)


def did_rows(n: int) -> Scenario:
    sizes = (n, n, 2 * n, 2 * n)
    phase = labels(("before", n), ("after", n), ("before", 2 * n), ("after", 2 * n))
    group = labels(("treatment", 2 * n), ("control", 4 * n))
    means = (10.5, 11.0, 10.0, 10.5)  # group difference 0.5, common change 0.5

    def replicate(rng, truth):
        cells = [rng.normal(m, s, k) for m, s, k in zip(means, DID_SDS, sizes, strict=True)]
        cells[1] = cells[1] + truth
        frame = pd.DataFrame({"phase": phase, "group": group, "value": np.concatenate(cells)})
        outcome = app_outcome(truth, frame, "control_group")
        outcome["OLS, classical SE"] = judge(*alternatives.did_cells_classical(cells), truth)
        return outcome

    se = math.sqrt(sum(s**2 / k for s, k in zip(DID_SDS, sizes, strict=True)))
    return Scenario(
        "DiD without units (treatment SD doubles after; control twice the size)",
        f"did-rows n={n}",
        f"n = {n} per treated cell, {2 * n} per control cell",
        stated(se),
        replicate,
    )


# Difference-in-differences with repeated units ----------------------------------------------

OLD_DID = "unit means + HC3; CR1 at ≥ 30 units (old DiD)"
CHANGE_SCORES = "change scores, Welch t"


def unit_panel(rng, n_units: int, rows: int, truth: float):
    """Half the units treated; each unit's level N(10, 2²) (a strong unit effect), ``rows``
    rows a phase with SD 1 around it; every unit +0.5 after (a common trend), treated units
    + ``truth``."""
    treated_units = np.arange(n_units) < (n_units + 1) // 2
    level = rng.normal(10.0, UNIT_SD, n_units) + 0.5 * treated_units
    unit = np.repeat(np.arange(n_units), 2 * rows)
    after = np.tile(np.r_[np.zeros(rows), np.ones(rows)], n_units)
    treated = treated_units[unit].astype(float)
    value = level[unit] + after * (0.5 + truth * treated) + rng.normal(0, ROW_SD, len(unit))
    return value, after, treated, unit


def panel_frame(value, after, treated, unit) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "phase": np.where(after == 1, "after", "before").astype(object),
            "group": np.where(treated == 1, "treatment", "control").astype(object),
            "unit": np.char.add("u", unit.astype(str)).astype(object),
            "value": value,
        }
    )


def unit_changes(value, after, treated, unit):
    """Each unit's after mean minus before mean, split into treated and control units."""
    n = unit.max() + 1
    mean_after = np.bincount(unit, value * after, n) / np.bincount(unit, after, n)
    mean_before = np.bincount(unit, value * (1 - after), n) / np.bincount(unit, 1 - after, n)
    is_treated = np.bincount(unit, treated, n) > 0
    change = mean_after - mean_before
    return change[is_treated], change[~is_treated]


def did_units(n_units: int, rows: int) -> Scenario:
    def replicate(rng, truth):
        value, after, treated, unit = unit_panel(rng, n_units, rows, truth)
        frame = panel_frame(value, after, treated, unit)
        outcome = app_outcome(truth, frame, "control_group")
        outcome[OLD_DID] = judge(
            *alternatives.old_did_repeated_units(value, after, treated, unit), truth
        )
        changes_t, changes_c = unit_changes(value, after, treated, unit)
        outcome[CHANGE_SCORES] = judge(*alternatives.welch(changes_t, changes_c), truth)
        return outcome

    n_treated = (n_units + 1) // 2
    se = ROW_SD * math.sqrt(2 / rows * (1 / n_treated + 1 / (n_units - n_treated)))
    return Scenario(
        "DiD with repeated units (unit SD 2, row SD 1)",
        f"did-units G={n_units} rows={rows}",
        f"{n_units} units, {rows} row{'s' if rows > 1 else ''} per unit and phase",
        stated(se),
        replicate,
        power_at_least_as=CHANGE_SCORES,
    )


# Treatment vs control -----------------------------------------------------------------------


def trial_without_before(n: int) -> Scenario:
    phase = labels(("after", 2 * n))
    group = labels(("treatment", n), ("control", n))

    def replicate(rng, truth):
        treated, control = rng.lognormal(0, 1, n) + truth, rng.lognormal(0, 1, n)
        frame = pd.DataFrame(
            {"phase": phase, "group": group, "value": np.concatenate([treated, control])}
        )
        outcome = app_outcome(truth, frame, "control_group", randomised=True)
        outcome["Student t (equal variances)"] = judge(
            *alternatives.student(treated, control), truth
        )
        return outcome

    return Scenario(
        "Treatment vs control (randomised), no before values, lognormal data",
        f"trial n={n}",
        f"n = {n} an arm",
        stated(LOGNORMAL_SD * math.sqrt(2 / n)),
        replicate,
    )


BASELINE_CORRELATION = 0.7  # between a unit's before and after values


def trial_with_before(n: int) -> Scenario:
    unit_sd, row_sd = math.sqrt(BASELINE_CORRELATION), math.sqrt(1 - BASELINE_CORRELATION)

    def replicate(rng, truth):
        treated_units = np.arange(2 * n) < n
        level = rng.normal(0.0, unit_sd, 2 * n)
        before = level + rng.normal(0, row_sd, 2 * n)
        after = level + 0.3 + truth * treated_units + rng.normal(0, row_sd, 2 * n)
        unit = np.tile(np.arange(2 * n), 2)
        is_after = np.repeat([0.0, 1.0], 2 * n)
        value = np.concatenate([before, after])
        treated = np.tile(treated_units, 2).astype(float)
        frame = panel_frame(value, is_after, treated, unit)
        outcome = app_outcome(truth, frame, "control_group", randomised=True)
        outcome[OLD_DID] = judge(
            *alternatives.old_did_repeated_units(value, is_after, treated, unit), truth
        )
        outcome["after values only, Welch"] = judge(
            *alternatives.welch(after[:n], after[n:]), truth
        )
        outcome[CHANGE_SCORES] = judge(
            *alternatives.welch(after[:n] - before[:n], after[n:] - before[n:]), truth
        )
        outcome["ANCOVA on the before value"] = judge(
            *alternatives.ancova(after, before, treated_units.astype(float)), truth
        )
        return outcome

    se = math.sqrt((1 - BASELINE_CORRELATION**2) * 2 / n)
    return Scenario(
        "Treatment vs control (randomised), one before and one after value per unit (r = 0.7)",
        f"trial-before n={n}",
        f"n = {n} units an arm",
        stated(se),
        replicate,
    )


# Interrupted time series --------------------------------------------------------------------

SEASON_AMPLITUDE = 1.0  # in marginal SDs of the noise: winter pressure, say
FIRST_MONDAY = np.datetime64("2024-01-01")  # a Monday


def ar1_noise(rng, n: int, rho: float) -> np.ndarray:
    """A stationary AR(1) series of marginal SD 1 (the first point drawn from its margin)."""
    noise = np.empty(n)
    noise[0] = rng.normal()
    shocks = rng.normal(0, math.sqrt(1 - rho**2), n)
    for i in range(1, n):
        noise[i] = rho * noise[i - 1] + shocks[i]
    return noise


def its(points: int, rho: float, seasonal: bool) -> Scenario:
    dates = FIRST_MONDAY + np.arange(2 * points) * np.timedelta64(7, "D")
    phase = labels(("before", points), ("after", points))
    x, contrast = alternatives.its_design(points, points)
    weeks = np.arange(2 * points)

    def replicate(rng, truth):
        noise = ar1_noise(rng, 2 * points, rho)
        season = 0.0
        if seasonal:
            season = SEASON_AMPLITUDE * np.sin(2 * np.pi * (weeks + rng.uniform(0, 52)) / 52)
        y = 20.0 + 0.02 * weeks + truth * (weeks >= points) + season + noise
        frame = pd.DataFrame({"phase": phase, "date": dates, "value": y})
        options = {"seasonal": seasonal, "cov": "reml"}
        outcome = app_outcome(truth, frame, "time_series", **options)
        intervals = alternatives.its_intervals(y, x, contrast)
        outcome["Newey-West (old ITS)"] = judge(*intervals["newey"], truth)
        outcome["OLS, classical SE"] = judge(*intervals["classical"], truth)
        return outcome

    white_noise_se = math.sqrt(contrast @ np.linalg.inv(x.T @ x) @ contrast)
    return Scenario(
        "Interrupted time series, AR(1) noise (marginal SD 1)",
        f"its n={points} rho={rho} season={'yes' if seasonal else 'no'}",
        f"{points} weeks a side, ρ = {rho}{', seasonal' if seasonal else ''}",
        stated(white_noise_se),
        replicate,
    )


# Controlled interrupted time series ---------------------------------------------------------

COMMON_SHOCK = 1.0  # in marginal SDs of each series' noise: a change that hits both groups
UNCONTROLLED = "ITS of the treated series alone (app without the control rows)"


def controlled_its(points: int, rho: float) -> Scenario:
    """Treated and control weekly series with their own AR(1) noise and a shared shock: a
    common trend and a common jump of `COMMON_SHOCK` at go-live (a winter, a new IT system),
    which the controlled series cancels and the treated series alone takes for an effect."""
    dates = FIRST_MONDAY + np.arange(2 * points) * np.timedelta64(7, "D")
    phase = labels(("before", points), ("after", points))
    x, contrast = alternatives.its_design(points, points)
    weeks = np.arange(2 * points)
    after = (weeks >= points).astype(float)
    common = 0.02 * weeks + COMMON_SHOCK * after

    def replicate(rng, truth):
        treated = 20.0 + common + truth * after + ar1_noise(rng, 2 * points, rho)
        control = 15.0 + common + ar1_noise(rng, 2 * points, rho)
        treated_frame = pd.DataFrame(
            {"phase": phase, "date": dates, "value": treated, "group": "treatment"}
        )
        control_frame = treated_frame.assign(value=control, group="control")
        frame = pd.concat([treated_frame, control_frame], ignore_index=True)
        outcome = app_outcome(truth, frame, "time_series", cov="reml")
        alone = app_outcome(truth, treated_frame, "time_series", cov="reml")
        outcome[UNCONTROLLED] = alone[APP]
        differences = alternatives.its_intervals(treated - control, x, contrast)
        outcome["OLS on the differences, classical SE"] = judge(*differences["classical"], truth)
        return outcome

    # The difference of two independent series of marginal SD 1 has SD √2.
    white_noise_se = math.sqrt(2 * contrast @ np.linalg.inv(x.T @ x) @ contrast)
    return Scenario(
        "Controlled interrupted time series, AR(1) noise per series and a common shock",
        f"cits n={points} rho={rho}",
        f"{points} weeks a side, ρ = {rho}",
        stated(white_noise_se),
        replicate,
    )


# Pooling ------------------------------------------------------------------------------------

POOLED_EFFECT = 0.3  # a pooled Hedges' g


def pooling(k: int, tau2: float) -> Scenario:
    def replicate(rng, truth):
        n = rng.integers(10, 101, k)  # per arm
        theta = rng.normal(truth, math.sqrt(tau2), k)
        g = rng.normal(theta, np.sqrt(2 / n + theta**2 / (4 * n)))
        v = 2 / n + g**2 / (4 * n)  # estimated from g, as the app's Hedges' g variance is
        result = adapters.pool(g, v)
        outcome = {APP: judge(result.ci_low, result.ci_high, truth)}
        outcome[DESCRIBE] = f"{result.method}, {getattr(result, 'ci_method', 'z')}"
        for method in ("dl", "pm"):
            tau2_hat = result.tau2 if method == "dl" else adapters.pool(g, v, "pm").tau2
            intervals = alternatives.pooled_intervals(g, v, tau2_hat)
            name = method.upper()
            outcome[f"{name} + normal CI{' (old)' if method == 'dl' else ''}"] = judge(
                *intervals["z"], truth
            )
            outcome[f"{name} + HKSJ"] = judge(*intervals["knha"], truth)
        return outcome

    return Scenario(
        "Random-effects pooling of Hedges' g (10-100 per arm)",
        f"pool k={k} tau2={tau2}",
        f"k = {k}, τ² = {tau2}",
        POOLED_EFFECT,
        replicate,
    )


# One idea, many places: relative changes pooled (issue 22, docs/STATISTICS.md §23) ----------

IDEA_RELATIVE_CHANGE = 0.15  # every place's result 15 % better on average
PREDICTION = "its prediction interval, for a new place's true change"


def idea_pooling(k: int, tau2: float) -> Scenario:
    """Places as unequal as an idea's adoptions are: 8 to 200 rows a phase, baselines from 20
    to 200 with a 30 % coefficient of variation, each estimated by the app (Welch, relative
    change and its delta-method SE), placed on the common scale and pooled as the idea page
    pools them. The prediction interval is judged against a new place's true change."""

    def replicate(rng, truth):
        theta = rng.normal(truth, math.sqrt(tau2), k)
        results = []
        for place in range(k):
            n_before, n_after = (int(n) for n in rng.integers(8, 201, 2))
            baseline = rng.uniform(20, 200)
            before = rng.normal(baseline, 0.3 * baseline, n_before)
            after = rng.normal(baseline * (1 + theta[place]), 0.3 * baseline, n_after)
            frame = pd.DataFrame(
                {
                    "phase": labels(("before", n_before), ("after", n_after)),
                    "value": np.concatenate([before, after]),
                }
            )
            result = adapters.estimate(frame, "before_after")
            results.append(
                ScaledResult(
                    key=place,
                    relative=result.relative_change,
                    relative_se=result.relative_se,
                    higher_is_better=True,
                    hedges_g=result.hedges_g,
                    hedges_g_variance=result.hedges_g_variance,
                    time_series=False,
                )
            )
        placed = common_scale(results)
        if placed.scale != RELATIVE:
            return {APP: judge(None, None, truth), DESCRIBE: "no relative change: Hedges' g"}
        effects = np.array([effect for _, effect, _ in placed.placed])
        variances = np.array([variance for _, _, variance in placed.placed])
        pooled = adapters.pool(effects, variances)
        new_place = rng.normal(truth, math.sqrt(tau2))
        return {
            APP: judge(pooled.ci_low, pooled.ci_high, truth),
            DESCRIBE: f"relative change, {pooled.method}, {getattr(pooled, 'ci_method', 'z')}",
            PREDICTION: judge(pooled.pi_low, pooled.pi_high, new_place),
        }

    return Scenario(
        "An idea's places pooled on the relative scale (8-200 rows a phase, unequal baselines)",
        f"idea k={k} tau2={tau2}",
        f"k = {k}, τ² = {tau2}",
        IDEA_RELATIVE_CHANGE,
        replicate,
    )


# The winner's curse: a department's total of approved improvements ---------------------------

RAW_TOTAL = "raw sum of the approved"
SHRUNK_APPROVED = "BLUPs fit to the approved only"
SHRUNK_ALL = "BLUPs fit to all the department's items"
SHRUNK_WIDENED = "the same, band widened for estimating τ²"
SHRUNK_ORACLE = "the same with the true τ² (not available in practice)"
Z_95 = 1.959963984540054


def winners_curse(k: int, mu: float, tau2: float) -> Scenario:
    """A department's k improvements: true standardised effects θᵢ ~ N(μ, τ²), Hedges' g
    estimates with 20-200 a group, v estimated from g as the app does. The manager approves
    those whose 95 % CI lies above 0, and Treasury adds up the approved. Each method's total
    over the approved items is judged against the approved items' true Σθᵢ, with a 95 % band
    (raw: the items' variances summed as independent; BLUPs: `shrunk_total`'s variance, and
    with `tau2_estimation_variance` added). The BLUPs with the true τ² isolate what
    estimating τ² costs the band."""

    def replicate(rng, _truth):
        n = rng.integers(20, 201, k)
        theta = rng.normal(mu, math.sqrt(tau2), k)
        g = rng.normal(theta, np.sqrt(2 / n + theta**2 / (4 * n)))
        v = 2 / n + g**2 / (4 * n)
        approved = g - Z_95 * np.sqrt(v) > 0
        truth = float(theta[approved].sum())
        counted = approved.astype(float)
        totals = {
            RAW_TOTAL: (float(g[approved].sum()), float(v[approved].sum())),
            SHRUNK_APPROVED: (
                adapters.shrunk_total(g[approved], v[approved], counted[approved])
                if approved.any()
                else (0.0, 0.0)
            ),
            SHRUNK_ALL: adapters.shrunk_total(g, v, counted),
            SHRUNK_WIDENED: adapters.shrunk_total(g, v, counted, widen=True),
            SHRUNK_ORACLE: adapters.shrunk_total(g, v, counted, tau2=tau2),
        }
        return {
            method: _total_outcome(total, variance, truth, int(approved.sum()))
            for method, (total, variance) in totals.items()
        }

    return Scenario(
        "Winner's curse: a department's total of the improvements approved on significance",
        f"winners k={k} mu={mu} tau2={tau2}",
        f"k = {k}, μ = {mu}, τ² = {tau2}",
        None,
        replicate,
        kind="total",
    )


def _total_outcome(total: float, variance: float, truth: float, approved: int) -> tuple:
    half = Z_95 * math.sqrt(variance)
    covered = float(total - half <= truth <= total + half) if approved else math.nan
    return (total - truth, covered, truth, float(approved))


# A year of BH decisions ---------------------------------------------------------------------

REAL_EFFECT_Z = 2.5  # a real improvement's z statistic is N(2.5, 1): power about 0.7


def bh_year(m: int, share_null: float) -> Scenario:
    def replicate(rng, _truth):
        real = rng.random(m) >= share_null
        z = rng.normal(np.where(real, REAL_EFFECT_Z, 0.0), 1.0)
        p = 2.0 * _normal_sf(np.abs(z))
        frozen = alternatives.bh_frozen_at_each_approval(p, adapters.bh, ALPHA)
        final = adapters.bh(p) <= ALPHA
        over_the_year = adapters.bh_decides_over_the_final_family()
        decided = {
            APP: final if over_the_year else frozen,
            "BH frozen at each approval (old)": frozen,
            "BH over the final family": final,
            "unadjusted p ≤ 0.05": p <= ALPHA,
        }
        outcome = {method: _year_outcome(found, real) for method, found in decided.items()}
        outcome[DESCRIBE] = (
            "BH over the year's family, final when the year closes"
            if over_the_year
            else "BH over the year so far, frozen at each approval"
        )
        return outcome

    return Scenario(
        "Benjamini-Hochberg over a year of submissions (each decided on arrival)",
        f"bh m={m} null={share_null}",
        f"{m} submissions, {share_null:.0%} without effect",
        None,
        replicate,
        kind="year",
    )


def _normal_sf(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return ndtr(-z)


def _year_outcome(discovered: np.ndarray, real: np.ndarray) -> tuple[float, float, float]:
    false = int(np.sum(discovered & ~real))
    found = int(np.sum(discovered))
    share_found = np.sum(discovered & real) / real.sum() if real.any() else math.nan
    return (false / max(found, 1), share_found, float(false > 0))


# Repeated looks at the live estimate --------------------------------------------------------

ROWS_A_WEEK = 5
BASELINE_ROWS = 40
NAIVE = "fixed-sample CI at every look (old)"
ONE_LOOK = "one look at the planned size"


def looks(weeks: int, trial: bool) -> Scenario:
    """A team looks weekly and stops at the first look whose interval excludes 0: the
    false-positive rate is that of any look; coverage is every look's interval holding the
    truth. Before/after: 40 before rows, 5 after rows a week. Trial: 5 rows a week an arm."""

    def replicate(rng, truth):
        first_n = 0 if trial else BASELINE_ROWS
        second = rng.normal(0.0, 1.0, first_n + weeks * ROWS_A_WEEK * (2 if trial else 1))
        judged: dict[str, list] = {APP: [], NAIVE: []}
        shown = ""
        for week in range(1, weeks + 1):
            frame = _look_frame(second, week, trial, truth)
            design = "control_group" if trial else "before_after"
            result = adapters.estimate(
                frame, design, randomised=trial, planned_sample_size=weeks * ROWS_A_WEEK
            )
            low, high, shown = adapters.live_interval(result)
            if shown != adapters.NO_LIVE_INTERVAL_YET:
                judged[APP].append(judge(low, high, truth))
            judged[NAIVE].append(judge(result.ci_low, result.ci_high, truth))
        outcome = {method: _over_looks(rows) for method, rows in judged.items()}
        outcome[ONE_LOOK] = judged[NAIVE][-1]
        outcome[DESCRIBE] = f"{result.method}, {shown}"
        return outcome

    se = (
        math.sqrt(2 / (weeks * ROWS_A_WEEK))
        if trial
        else math.sqrt(1 / BASELINE_ROWS + 1 / (weeks * ROWS_A_WEEK))
    )
    design = (
        "trial, 5 rows a week an arm"
        if trial
        else "before/after, 40 before rows, 5 after rows a week"
    )
    return Scenario(
        "Live estimate looked at weekly, stopped at the first interval excluding 0",
        f"looks weeks={weeks} {'trial' if trial else 'before-after'}",
        f"{weeks} weekly looks, {design}",
        stated(se),
        replicate,
        kind="looks",
    )


def _look_frame(values: np.ndarray, week: int, trial: bool, truth: float) -> pd.DataFrame:
    n = week * ROWS_A_WEEK
    if trial:
        half = len(values) // 2
        treated, control = values[:n] + truth, values[half : half + n]
        return pd.DataFrame(
            {
                "phase": labels(("after", 2 * n)),
                "group": labels(("treatment", n), ("control", n)),
                "value": np.concatenate([treated, control]),
            }
        )
    before, after = values[:BASELINE_ROWS], values[BASELINE_ROWS : BASELINE_ROWS + n] + truth
    return pd.DataFrame(
        {
            "phase": labels(("before", BASELINE_ROWS), ("after", n)),
            "value": np.concatenate([before, after]),
        }
    )


def _over_looks(rows: list[tuple]) -> tuple[float, ...]:
    """Every look's interval covered; some look excluded 0; some look lay above 0; the last
    look's width; some look failed."""
    if not rows:  # no look showed an interval: nothing claimed, nothing wrong
        return (1.0, 0.0, 0.0, math.nan, 0.0)
    array = np.asarray(rows)
    return (
        float(array[:, 0].all()),
        float(array[:, 1].any()),
        float(array[:, 2].any()),
        array[-1, 3],
        float(array[:, 4].any()),
    )


# The grid -----------------------------------------------------------------------------------

ITS_POINTS = (8, 12, 26, 52)
ITS_RHOS = (0.0, 0.3, 0.6)
CITS_POINTS = (8, 12, 26)
CITS_RHOS = (0.0, 0.6)
DID_UNITS = (6, 12, 29, 30, 60)
DID_ROWS = (1, 2, 5)
WINNERS_K = (5, 10, 20)
WINNERS_MU = (0.1, 0.2)
WINNERS_TAU2 = (0.02, 0.05)


def all_scenarios() -> list[Scenario]:
    """The full grid, in the order of the tables."""
    grid: list[Scenario] = []
    grid += [welch_lognormal(n) for n in (5, 10, 20, 50, 200)]
    grid += [paired(n) for n in (5, 10, 30)]
    grid += [did_rows(n) for n in (5, 20, 100)]
    grid += [did_units(g, r) for g in DID_UNITS for r in DID_ROWS]
    grid += [trial_without_before(n) for n in (5, 20, 100)]
    grid += [trial_with_before(n) for n in (10, 30, 100)]
    grid += [its(p, rho, s) for s in (False, True) for rho in ITS_RHOS for p in ITS_POINTS]
    grid += [controlled_its(p, rho) for rho in CITS_RHOS for p in CITS_POINTS]
    grid += [pooling(k, tau2) for k in (3, 5, 10, 20) for tau2 in (0.0, 0.02, 0.1, 0.5)]
    grid += [idea_pooling(k, tau2) for k in (3, 4, 5, 10) for tau2 in (0.0, 0.005, 0.02)]
    grid += [bh_year(m, share) for m in (12, 40) for share in (1.0, 0.8, 0.5)]
    grid += [
        winners_curse(k, mu, tau2) for k in WINNERS_K for mu in WINNERS_MU for tau2 in WINNERS_TAU2
    ]
    grid += [looks(4, False), looks(20, False), looks(20, True)]
    return grid


def by_name() -> dict[str, Scenario]:
    return {scenario.name: scenario for scenario in all_scenarios()}


def select(filters: list[str] | None) -> list[Scenario]:
    """Scenarios whose name contains any of the filters (all without filters); a filter that
    is a whole name selects that scenario alone ("welch n=20", not "welch n=200" too)."""
    grid = all_scenarios()
    if not filters:
        return grid
    names = {s.name for s in grid}

    def chosen(name: str) -> bool:
        return any(name == text if text in names else text in name for text in filters)

    return [s for s in grid if chosen(s.name)]
