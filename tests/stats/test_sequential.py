"""The always-valid interval (asymptotic confidence sequence): against R, where it is null, and
a seeded simulation that it keeps its promise under repeated looks where the CI does not."""

import numpy as np
import pandas as pd
import pytest

from gains.stats.design import estimate_improvement
from gains.stats.sequential import MIN_PER_SAMPLE, confidence_sequence
from gains.stats.sufficient import CellAggregates, paired_from_differences, welch_from_cells

REL = 1e-9


@pytest.mark.parametrize(
    ("key", "name", "design", "alpha", "planned"),
    [
        ("welch_planned_40", "welch", "before_after", 0.05, 40),
        ("welch_planned_40_level_90", "welch", "before_after", 0.10, 40),
        ("welch_no_plan", "welch", "before_after", 0.05, None),
        ("rct_planned_12", "rct", "control_group", 0.05, 12),
        ("paired_planned_11", "paired", "paired", 0.05, 11),
    ],
)
def test_confidence_sequence_matches_the_closed_form_in_r(
    reference, reference_data, key, name, design, alpha, planned
):
    """tests/reference/sequential.R writes Waudby-Smith et al.'s eq. (9) with gbstats' ρ
    (tuning = planned size × samples compared; 2 × 100 without a plan)."""
    expected = reference("sequential")[key]
    result = estimate_improvement(
        reference_data(name), design, alpha=alpha, planned_sample_size=planned
    )
    assert result.effect == pytest.approx(expected["effect"], rel=REL)
    assert result.se == pytest.approx(expected["se"], rel=REL)
    assert result.cs_low == pytest.approx(expected["cs_low"], rel=REL)
    assert result.cs_high == pytest.approx(expected["cs_high"], rel=REL)
    # Always wider than the fixed-sample CI: it holds at every look, not at one.
    assert result.cs_low < result.ci_low < result.ci_high < result.cs_high
    assert result.to_dict()["cs_low"] == result.cs_low


def test_the_half_width_at_the_planned_size_worked_by_hand(reference):
    """At n = n_opt and α = 0.05: x = nρ² = c = −2 log 0.05 + log(1 − 2 log 0.05)
    = 5.99146 + log(6.99146) = 5.99146 + 1.94469 = 7.93616, and the half-width of an SE of 1
    is √(2(x + 1)/x · log(√(x + 1)/0.05)) = √(2.25201 × (1.09504 + 2.99573)) = √9.21236
    = 3.0352 (1.55 times the normal 1.96)."""
    low, high = confidence_sequence(0.0, 1.0, 50, 0.95, 50)
    assert high == pytest.approx(3.0352, abs=5e-5)
    assert high == pytest.approx(reference("sequential")["multiplier_at_plan"], rel=REL)
    assert low == -high
    # Only n / n_opt matters: rows and planned rows scaled together give the same width.
    assert confidence_sequence(0.0, 1.0, 500, 0.95, 500)[1] == pytest.approx(high, rel=1e-12)


def rows(phase, values, group="treatment", dates=None):
    return pd.DataFrame({"phase": phase, "group": group, "value": values, "date": dates})


def test_null_where_a_compared_sample_is_small_or_for_a_time_series(reference_data):
    # did.csv has 9 and 8 rows in two of its cells: below the 10 the CS waits for.
    did = estimate_improvement(reference_data("did"), "control_group")
    assert did.method == "did" and did.ci_low is not None
    assert (did.cs_low, did.cs_high) == (None, None)
    assert did.to_dict()["cs_low"] is None
    values = np.linspace(1.0, 20.0, MIN_PER_SAMPLE)
    enough = estimate_improvement(pd.concat([rows("before", values), rows("after", values + 1)]))
    assert enough.cs_low is not None
    short = estimate_improvement(pd.concat([rows("before", values), rows("after", values[1:])]))
    assert short.cs_low is None
    weeks = pd.date_range("2026-01-05", periods=24, freq="W-MON")
    its = estimate_improvement(
        pd.concat(
            [
                rows("before", np.arange(12.0) % 5, dates=weeks[:12]),
                rows("after", np.arange(12.0) % 5 + 3, dates=weeks[12:]),
            ]
        ),
        "time_series",
    )
    assert its.method == "its"
    assert (its.cs_low, its.cs_high) == (None, None)


def repeated_units(rng, units_per_group: int, rows_per_unit_and_phase: int) -> pd.DataFrame:
    frames = []
    for group, phase in [(g, p) for g in ("treatment", "control") for p in ("before", "after")]:
        units = [f"{group}-{i}" for i in range(units_per_group)]
        frame = pd.DataFrame(
            {"unit": np.repeat(units, rows_per_unit_and_phase), "group": group, "phase": phase}
        )
        frame["value"] = rng.normal(10.0, 2.0, len(frame))
        frames.append(frame)
    return pd.concat(frames)


def test_did_by_unit_counts_units_not_rows():
    """Units with 3 rows in each phase: the change scores compare 40 treated with 40 control
    units, so n = 80 (tightest at 2 × 40); rows clustered by unit count the units in each of
    the four cells, n = 160 (4 × 40): the interval of 40 units a group, not of 120 rows."""
    frame = repeated_units(np.random.default_rng(7), 40, 3)
    changes = estimate_improvement(frame, "control_group", planned_sample_size=40)
    assert changes.details["analysis"] == "change_scores"
    low, high = confidence_sequence(changes.effect, changes.se, 80, 0.95, 80)
    assert (changes.cs_low, changes.cs_high) == pytest.approx((low, high), rel=REL)
    clustered = estimate_improvement(frame, "control_group", cov="cluster", planned_sample_size=40)
    assert clustered.details["analysis"] == "clustered_rows"
    low, high = confidence_sequence(clustered.effect, clustered.se, 160, 0.95, 160)
    assert (clustered.cs_low, clustered.cs_high) == pytest.approx((low, high), rel=REL)
    # Fewer than 10 units a group: not defined yet, however many rows each has.
    few = estimate_improvement(repeated_units(np.random.default_rng(8), 9, 20), "control_group")
    assert few.cs_low is None


# --- Does it keep its promise? ----------------------------------------------------------------

REPLICATIONS = 400
LOOKS = 20
PLANNED = 60


def false_positive_rates(estimate_at_look) -> tuple[float, float]:
    """Over `REPLICATIONS` runs at no effect, the share in which some look's 95 % CI, and some
    look's always-valid interval, excluded zero (a team stopping at the first "significant"
    look would have claimed an effect)."""
    ci_ever = np.zeros(REPLICATIONS, dtype=bool)
    cs_ever = np.zeros(REPLICATIONS, dtype=bool)
    for look in range(1, LOOKS + 1):
        arrays = estimate_at_look(max(2, round(PLANNED * look / LOOKS)))
        ci_ever |= (arrays.ci_low > 0) | (arrays.ci_high < 0)
        cs_ever |= (arrays.cs_low > 0) | (arrays.cs_high < 0)  # NaN (not yet defined): False
    return float(ci_ever.mean()), float(cs_ever.mean())


def cells(values: np.ndarray) -> CellAggregates:
    return CellAggregates.of(values.shape[1], values.mean(axis=1), values.var(axis=1, ddof=1))


def test_twenty_looks_before_after_with_the_before_phase_complete():
    """The usual way a service improvement runs: 60 rows before go-live, then the after rows
    arrive over 20 weeks and the team looks each week. The engine's own estimator (the
    recompute path, equal to the per-improvement one), run on every replication at once."""
    rng = np.random.default_rng(20261203)
    before = rng.normal(50.0, 10.0, (REPLICATIONS, PLANNED))
    after = rng.normal(50.0, 10.0, (REPLICATIONS, PLANNED))
    ci_rate, cs_rate = false_positive_rates(
        lambda n: welch_from_cells(cells(before), cells(after[:, :n]), planned_sample_size=PLANNED)
    )
    assert cs_rate <= 0.05
    assert ci_rate >= 0.15  # 0.12 with 4 looks, 0.175 with 20 when measured on the app


def test_twenty_looks_paired_units_with_skewed_data():
    """Units measured before and after, arriving over 20 weeks, lognormal values."""
    rng = np.random.default_rng(20261204)
    level = rng.lognormal(3.0, 0.5, (REPLICATIONS, PLANNED))
    before = level * rng.lognormal(0.0, 0.4, level.shape)
    after = level * rng.lognormal(0.0, 0.4, level.shape)

    def at_look(n):
        d, b = after[:, :n] - before[:, :n], before[:, :n]
        covariance = ((d - d.mean(1, keepdims=True)) * (b - b.mean(1, keepdims=True))).sum(1)
        return paired_from_differences(
            np.full(REPLICATIONS, n),
            d.mean(1),
            d.var(1, ddof=1),
            b.mean(1),
            b.var(1, ddof=1),
            covariance / (n - 1),
            planned_sample_size=PLANNED,
        )

    ci_rate, cs_rate = false_positive_rates(at_look)
    assert cs_rate <= 0.05
    assert ci_rate >= 0.15
