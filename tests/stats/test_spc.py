"""XmR chart: limits and rule signals worked out by hand (see the comments)."""

import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.frames import clean_measurements
from gains.stats.spc import Signal, xmr_chart, xmr_chart_of_weekly_means

# Baseline (indices 0-9): mean 113/10 = 11.3; moving ranges 2,1,2,1,1,1,2,1,0 → mean 11/9;
# limits 11.3 ± 2.66 · 11/9 = 11.3 ± 3.251111 → [8.048889, 14.551111];
# two sigma = 2/3 · 3.251111 = 2.167407 → [9.132593, 13.467407].
BASELINE = [10, 12, 11, 13, 12, 11, 10, 12, 11, 11]
# 10: above UPL; 10-16: seven above the mean; 10 and 12 beyond two sigma within three points;
# 16-22: six falls in a row (seven points), only six of them below the mean (no shift).
AFTER = [15.2, 12.0, 14.0, 12.5, 12.1, 11.9, 12.2, 11.0, 10.5, 10.0, 9.8, 9.5, 9.0]


def chart(screen=True):
    values = BASELINE + AFTER
    return xmr_chart(
        values, baseline=[i < len(BASELINE) for i in range(len(values))], screen=screen
    )


def test_limits_come_from_baseline_points():
    result = chart()
    assert result.mean == pytest.approx(11.3, rel=1e-12)
    assert result.mean_moving_range == pytest.approx(11 / 9, rel=1e-12)
    assert result.upl == pytest.approx(14.551111111111111, rel=1e-12)
    assert result.lpl == pytest.approx(8.048888888888889, rel=1e-12)
    assert result.n_baseline == 10 and result.n_moving_ranges_screened_out == 0


def test_special_cause_rules():
    expected = {
        Signal(10, "outside_limits"),
        Signal(10, "two_of_three_beyond_two_sigma"),
        Signal(12, "two_of_three_beyond_two_sigma"),
    }
    expected |= {Signal(i, "shift") for i in range(10, 17)}
    expected |= {Signal(i, "trend") for i in range(16, 23)}
    assert set(chart().signals) == expected
    assert list(chart().signals) == sorted(expected, key=lambda s: (s.index, s.rule))


def test_screening_drops_large_moving_ranges_once():
    # Moving ranges 0,1,1,20,20,1,1,0,1: mean 5; 3.267 · 5 = 16.335 screens out both 20s,
    # leaving 5/7.
    spike = [10, 10, 11, 10, 30, 10, 11, 10, 10, 11]
    screened = xmr_chart(spike)
    assert screened.mean_moving_range == pytest.approx(5 / 7, rel=1e-12)
    assert screened.n_moving_ranges_screened_out == 2
    assert screened.upl == pytest.approx(12.3 + 2.66 * 5 / 7, rel=1e-12)  # 14.2
    assert Signal(9, "outside_limits") not in screened.signals
    unscreened = xmr_chart(spike, screen=False)
    assert unscreened.mean_moving_range == pytest.approx(5.0, rel=1e-12)
    assert unscreened.upl == pytest.approx(25.6, rel=1e-12)  # 12.3 + 2.66 · 5


def test_a_repeated_value_breaks_a_trend():
    values = [1, 2, 3, 4, 4, 5, 6, 7]
    assert not [s for s in xmr_chart(values).signals if s.rule == "trend"]


def test_weekly_chart_takes_limits_from_pre_go_live_weeks(reference_data):
    result = xmr_chart_of_weekly_means(clean_measurements(reference_data("its")))
    assert result.n_baseline == 20  # weeks before go-live in its.csv (see tests/reference/its.R)


def test_a_baseline_without_variation_is_refused():
    with pytest.raises(StatsInputError, match="do not vary"):
        xmr_chart([5, 5, 5, 5])


def test_screening_is_skipped_when_it_would_remove_all_variation():
    # Moving ranges 0,0,0,1: mean 0.25; screening would drop the 1 and leave 0.
    result = xmr_chart([5, 5, 5, 5, 6])
    assert result.mean_moving_range == 0.25 and result.n_moving_ranges_screened_out == 0
