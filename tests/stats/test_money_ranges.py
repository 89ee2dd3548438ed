"""Savings with input ranges (issue 20): the Monte Carlo interval of one saving and the
correlated total. Expected values come from scipy's distributions or are worked by hand."""

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from gains.bounds import ANNUAL_VOLUME, SCALE, VALUE_PER_UNIT_GBP
from gains.stats.inference import critical_value, t_inference
from gains.stats.money import (
    RangedItem,
    SavingItem,
    annual_saving,
    gain_degrees_of_freedom,
    ranged_total,
    simulated_saving_interval,
    total_savings,
    triangular_quantile,
)

Z = stats.norm.ppf(0.975)
# 2.5 % quantile's Monte Carlo SD for a normal over n draws: √(p(1−p)/n) / φ(z), in SDs.
QUANTILE_SD_PER_SIGMA = math.sqrt(0.025 * 0.975) / stats.norm.pdf(Z)


def exact(gain, se, df, volume, value, scale=Decimal(1), **ranges):
    half = float(critical_value(0.95, df)) * se  # the CI every design reports
    return annual_saving(
        gain,
        se,
        gain - half,
        gain + half,
        scale,
        volume,
        value,
        **ranges,
    )


def test_exact_inputs_and_ranges_of_no_width_keep_the_exact_interval():
    plain = exact(2.5, 1.0, 7.5, Decimal(40_000), Decimal("3.20"), Decimal(100))
    flat = exact(
        2.5,
        1.0,
        7.5,
        Decimal(40_000),
        Decimal("3.20"),
        Decimal(100),
        annual_volume_range=(Decimal(40_000), Decimal(40_000)),
        value_per_unit_range_gbp=(Decimal("3.20"), Decimal("3.20")),
    )
    assert flat == plain
    assert not flat.includes_input_ranges
    # 2.5/100 · 40,000 · £3.20 = £3,200; t(7.5) 97.5 % = 2.3338... → ±£2,987.36.
    assert plain.annual_saving_pence == 320_000
    half = 1.0 / 100 * 40_000 * 320 * stats.t.ppf(0.975, 7.5)
    assert plain.ci_low_pence == round(320_000 - half)


@pytest.mark.parametrize("df", [3.5, 12.0, math.inf])
def test_degrees_of_freedom_are_read_back_from_a_t_interval(df):
    inference = t_inference(1.3, 0.4, df)
    found = gain_degrees_of_freedom(0.4, float(inference.ci_low), float(inference.ci_high), 0.95)
    assert found == pytest.approx(df, rel=1e-6) if math.isfinite(df) else math.isinf(found)


@pytest.mark.parametrize("df", [2.5, 9.0, math.inf])
def test_simulation_with_exact_inputs_reproduces_the_t_interval(df):
    gain, se, volume, value = 2.5, 1.0, 40_000.0, 3.2
    low, high = simulated_saving_interval(
        gain, se, df, 100.0, (volume,) * 3, (value,) * 3, draws=2**16
    )
    factor = volume * value  # pence per 100 points: ÷ 100 × 100 pence
    half = stats.t.ppf(0.975, df) * se * factor
    width = 2 * half
    # Each end's Monte Carlo SD is well under 1 % of the width at 2^16 draws.
    assert low == pytest.approx(gain * factor - half, abs=0.01 * width)
    assert high == pytest.approx(gain * factor + half, abs=0.01 * width)


def test_triangular_quantile_is_scipys_triangular_distribution():
    u = np.linspace(0, 1, 101)
    for low, mode, high in [(2.0, 3.0, 7.0), (0.0, 0.0, 1.0), (5.0, 9.0, 9.0)]:
        shape = (mode - low) / (high - low)
        expected = stats.triang.ppf(u, shape, loc=low, scale=high - low)
        assert np.allclose(triangular_quantile(u, low, mode, high), expected, rtol=1e-12)
    assert np.all(triangular_quantile(u, 4.0, 4.0, 4.0) == 4.0)


def test_a_gain_known_exactly_gives_the_triangular_quantiles_of_the_volume():
    # se = 0 and £1 exact: the saving is gain × V, so its 2.5 % and 97.5 % points are the
    # triangle's: V ~ (30,000, 40,000, 60,000). Analytically, below the mode F(v) =
    # (v − a)² / ((b − a)(c − a)): v = 30,000 + √(0.025 · 30,000 · 10,000) = 32,738.6.
    saving = exact(
        2.0,
        0.0,
        math.inf,
        Decimal(40_000),
        Decimal(1),
        annual_volume_range=(Decimal(30_000), Decimal(60_000)),
    )
    assert saving.includes_input_ranges
    low_volume = 30_000 + math.sqrt(0.025 * 30_000 * 10_000)
    high_volume = 60_000 - math.sqrt(0.025 * 30_000 * 20_000)
    assert low_volume == pytest.approx(stats.triang.ppf(0.025, 1 / 3, 30_000, 30_000))
    width = (high_volume - low_volume) * 200
    assert saving.ci_low_pence == pytest.approx(low_volume * 200, abs=0.005 * width)
    assert saving.ci_high_pence == pytest.approx(high_volume * 200, abs=0.005 * width)
    assert saving.annual_saving_pence == 8_000_000  # the central inputs, not the mean


def test_ranges_widen_the_interval_and_the_point_stays_central():
    plain = exact(2.5, 1.0, 20.0, Decimal(40_000), Decimal("3.20"))
    ranged = exact(
        2.5,
        1.0,
        20.0,
        Decimal(40_000),
        Decimal("3.20"),
        annual_volume_range=(Decimal(30_000), Decimal(45_000)),
        value_per_unit_range_gbp=(Decimal("2.50"), Decimal("4.00")),
    )
    assert ranged.annual_saving_pence == plain.annual_saving_pence
    assert ranged.se_pence == plain.se_pence
    assert ranged.ci_high_pence - ranged.ci_low_pence > plain.ci_high_pence - plain.ci_low_pence
    assert ranged.ci_low_pence < plain.ci_low_pence and ranged.ci_high_pence > plain.ci_high_pence


def test_the_same_inputs_give_the_same_pence():
    terms = {"annual_volume_range": (Decimal(900), Decimal(1_500))}
    first = exact(0.7, 0.3, 14.0, Decimal(1_000), Decimal("12.5"), **terms)
    assert exact(0.7, 0.3, 14.0, Decimal(1_000), Decimal("12.5"), **terms) == first
    items = [RangedItem(10_000 * i, 900.0, i % 3, (0.8, 1.1), (0.9, 1.4)) for i in range(12)]
    assert ranged_total(items) == ranged_total(list(items))


def test_exact_independent_total_is_the_root_sum_of_squares_band():
    rng = np.random.default_rng(7)
    saving = rng.integers(-500_000, 5_000_000, 300)
    se = rng.integers(1, 400_000, 300)
    items = [
        RangedItem(int(s), float(e), i % 7) for i, (s, e) in enumerate(zip(saving, se, strict=True))
    ]
    ranged = ranged_total(items, correlation=0.0, draws=2**14)
    reference = total_savings(
        SavingItem(int(s), int(e), False) for s, e in zip(saving, se, strict=True)
    )
    assert ranged.saving.total_pence == reference.total_pence
    sigma = reference.se_pence
    tolerance = 4 * QUANTILE_SD_PER_SIGMA / math.sqrt(2**14) * sigma  # 4 Monte Carlo SDs
    assert ranged.saving.band_low_pence == pytest.approx(reference.band_low_pence, abs=tolerance)
    assert ranged.saving.band_high_pence == pytest.approx(reference.band_high_pence, abs=tolerance)
    assert ranged.saving.all_inputs_low_pence == ranged.saving.all_inputs_high_pence


def department(correlation, covariance=None, se=10_000.0, ratios=(0.7, 1.2)):
    items = [RangedItem(1_000_000, se, "HMRC", ratios, ratios) for _ in range(25)]
    total = ranged_total(
        items,
        {"HMRC": covariance} if covariance is not None else None,
        correlation=correlation,
        draws=2**13,
    )
    return total.saving.band_high_pence - total.saving.band_low_pence


def test_the_band_widens_as_a_departments_inputs_move_together():
    independent, default, together = department(0.0), department(0.5), department(1.0)
    assert independent < default < together
    # ρ = 1 is one shared position: width ≈ √25 times that of 25 independent ones' spread.
    assert together > 3 * independent


def test_a_departments_covariance_replaces_independent_errors():
    # Narrow ranges and SEs of £2,000 an item, so the statistical error shows in the band.
    terms = {"se": 200_000.0, "ratios": (0.98, 1.02)}
    diagonal = department(0.5, np.eye(25) * 200_000.0**2, **terms)
    assert diagonal == department(0.5, **terms)
    shared = department(0.5, np.full((25, 25), 200_000.0**2), **terms)  # one error for all
    assert shared > 3 * diagonal


def test_weighted_totals_and_sensitivity_ends_by_hand():
    # NPV = 4 × saving − £100 each. Every input at its low: 1,000 × 0.5 × 0.8 = 400 and
    # 3,000 × 0.9 × 1 = 2,700 → 3,100; at its high: 1,000 × 2 × 1.25 + 3,000 × 1.2 = 6,100.
    items = [
        RangedItem(1_000, 0.0, "a", (0.5, 2.0), (0.8, 1.25), weight=4.0, offset_pence=10_000),
        RangedItem(3_000, 0.0, "b", (0.9, 1.2), weight=4.0, offset_pence=10_000),
    ]
    totals = ranged_total(items)
    assert (totals.saving.total_pence, totals.weighted.total_pence) == (4_000, -4_000)
    assert totals.saving.all_inputs_low_pence == 3_100
    assert totals.saving.all_inputs_high_pence == 6_100
    assert totals.weighted.all_inputs_low_pence == 4 * 3_100 - 20_000
    assert totals.weighted.all_inputs_high_pence == 4 * 6_100 - 20_000
    assert totals.saving.band_low_pence < 4_000 < totals.saving.band_high_pence
    assert totals.weighted.band_low_pence == pytest.approx(
        4 * totals.saving.band_low_pence - 20_000, abs=4
    )


def test_weighted_band_carries_the_weighted_statistical_error():
    items = [RangedItem(0, 1_000.0, i, weight=3.0) for i in range(50)]
    totals = ranged_total(items, draws=2**14)
    half = Z * 3 * 1_000 * math.sqrt(50)  # ±z · √Σ(w · SE)²
    assert totals.weighted.band_high_pence == pytest.approx(half, rel=0.05)


volumes = st.integers(int(ANNUAL_VOLUME.low), int(ANNUAL_VOLUME.high))
values = st.decimals(VALUE_PER_UNIT_GBP.low, VALUE_PER_UNIT_GBP.high, places=4)


@settings(max_examples=40, deadline=None)
@given(
    gain=st.floats(-2e12, 2e12),
    se=st.floats(0, 1e12),
    df=st.one_of(st.just(math.inf), st.floats(1, 200)),
    scale=st.integers(int(SCALE.low), int(SCALE.high)),
    volume=st.lists(volumes, min_size=3, max_size=3).map(sorted),
    value=st.lists(values, min_size=3, max_size=3).map(sorted),
)
def test_savings_at_the_apps_bounds_are_ordered_whole_pence(gain, se, df, scale, volume, value):
    saving = exact(
        gain,
        se,
        df,
        Decimal(volume[1]),
        value[1],
        Decimal(scale),
        annual_volume_range=(Decimal(volume[0]), Decimal(volume[2])),
        value_per_unit_range_gbp=(value[0], value[2]),
    )
    assert saving.ci_low_pence <= saving.ci_high_pence
    for pence in (saving.annual_saving_pence, saving.ci_low_pence, saving.ci_high_pence):
        assert isinstance(pence, int)


@settings(max_examples=30, deadline=None)
@given(
    items=st.lists(
        st.builds(
            RangedItem,
            saving_pence=st.integers(-(10**14), 10**14),
            se_pence=st.floats(0, 1e14),
            department=st.integers(0, 3),
            volume_ratios=st.tuples(st.floats(1e-10, 1), st.floats(1, 1e10)),
            value_ratios=st.tuples(st.floats(0, 1), st.floats(1, 1e9)),
            weight=st.floats(0, 30),
            offset_pence=st.integers(0, 10**14),
        ),
        max_size=8,
    ),
    correlation=st.floats(0, 1),
)
def test_totals_at_the_apps_bounds_are_ordered_whole_pence(items, correlation):
    totals = ranged_total(items, correlation=correlation, draws=256)
    for band in (totals.saving, totals.weighted):
        assert band.band_low_pence <= band.band_high_pence
        for pence in vars(band).values():
            assert isinstance(pence, int)


def test_a_covariance_of_the_wrong_size_or_a_correlation_outside_0_1_is_refused():
    items = [RangedItem(1_000, 10.0, "a"), RangedItem(2_000, 10.0, "a")]
    with pytest.raises(ValueError, match="covariance"):
        ranged_total(items, {"a": np.eye(3)})
    with pytest.raises(ValueError, match="correlation"):
        ranged_total(items, correlation=1.5)
