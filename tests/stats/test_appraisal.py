"""Green Book appraisal (stats/appraisal.py). Every expected figure below is worked by hand in
the comments; pence are rounded half up."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gains.stats.appraisal import (
    GREEN_BOOK_DISCOUNT_RATE,
    HEALTH_DISCOUNT_RATE,
    appraise,
    payback_month,
    present_value_factor,
)


def test_the_green_book_rates():
    assert (GREEN_BOOK_DISCOUNT_RATE, HEALTH_DISCOUNT_RATE) == (0.035, 0.015)


def test_fading_saving_with_optimism_bias_worked_by_hand():
    # £10,000 a year, £5,000 cost, 3 years, P = 0.8, r = 3.5 %, B = 15 %, C = 10 %.
    # Benefits: year 1 10,000 × 0.85 = £8,500; year 2 8,500 × 0.8 = £6,800; year 3 £5,440.
    # PVB = 8,500 / 1.035 + 6,800 / 1.035² + 5,440 / 1.035³
    #     = 8,212.560386 + 6,347.872762 + 4,906.568319 = £19,467.001468 → 1,946,700 pence.
    # PVC = 5,000 × 1.10 = £5,500, at go-live, undiscounted.
    # NPV = 19,467.00 − 5,500.00 = £13,967.00; BCR = 19,467.00 / 5,500 = 3.539454...
    # Payback: year 1's undiscounted £8,500 accrues £708.33 a month; £5,500 is covered at
    # 12 × 5,500 / 8,500 = 7.76 months, so by the end of month 8.
    result = appraise(1_000_000, 500_000, 3, 0.8, 0.035, 0.15, 0.10)
    assert result.pv_benefits_pence == 1_946_700
    assert result.pv_costs_pence == 550_000
    assert result.npv_pence == 1_396_700
    assert result.bcr == pytest.approx(1_946_700 / 550_000, rel=1e-15)
    assert result.payback_month == 8
    assert (result.years, result.persistence, result.optimism_bias_costs) == (3, 0.8, 0.10)


def test_cost_covered_in_year_two_with_persistence_worked_by_hand():
    # £6,000 a year, £8,000 cost, 3 years, P = 0.5, r = 3.5 %, no optimism bias.
    # Benefits: £6,000, £3,000, £1,500.
    # PVB = 6,000 / 1.035 + 3,000 / 1.035² + 1,500 / 1.035³
    #     = 5,797.101449 + 2,800.532101 + 1,352.914059 = £9,950.547609 → 995,055 pence.
    # NPV = 9,950.55 − 8,000 = £1,950.55; BCR = 995,055 / 800,000 = 1.24381875.
    # Payback: £6,000 by the end of year 1 (month 12), then £250 a month: the remaining £2,000
    # takes exactly 8 months, so month 20, the cost covered to the penny at its end.
    result = appraise(600_000, 800_000, 3, 0.5)
    assert (result.pv_benefits_pence, result.pv_costs_pence) == (995_055, 800_000)
    assert result.npv_pence == 195_055
    assert result.bcr == 1.24381875
    assert result.payback_month == 20
    # With a life of one year the fading saving never covers the cost: NPV negative, no payback.
    one_year = appraise(600_000, 800_000, 1, 0.5)
    assert one_year.pv_benefits_pence == 579_710  # 6,000 / 1.035 = 5,797.101449
    assert one_year.payback_month is None


def test_zero_cost_has_no_ratio_and_pays_back_at_once_worked_by_hand():
    # £1,000 a year for 2 years at the health rate 1.5 %, no cost:
    # PVB = 1,000 / 1.015 + 1,000 / 1.015² = 985.221675 + 970.661749 = £1,955.883424.
    # No ratio: there is no cost to divide by. Nothing to pay back: month 1.
    result = appraise(100_000, 0, 2, discount_rate=HEALTH_DISCOUNT_RATE)
    assert (result.pv_benefits_pence, result.pv_costs_pence) == (195_588, 0)
    assert result.npv_pence == 195_588
    assert result.bcr is None
    assert result.payback_month == 1


def test_exact_equality_pays_back_in_that_month():
    # £12,000 a year accrues £1,000 a month: the £1,000 cost is covered at the end of month 1
    # exactly. PVB = 12,000 / 1.035 = £11,594.202899.
    result = appraise(1_200_000, 100_000, 1)
    assert (result.pv_benefits_pence, result.payback_month) == (1_159_420, 1)
    # A penny more cost, and it is month 2; with 10 % on costs (£1,100) also month 2, exactly:
    # 0.1 is read as one tenth, not as the float just above it.
    assert payback_month(1_200_000, 100_001, 1) == 2
    assert payback_month(1_200_000, 100_000, 1, optimism_bias_costs=0.1) == 2
    assert payback_month(1_200_000, 110_000, 1) == 2
    # £12,000 less 10 % optimism bias is £900 a month: £2,700 is covered exactly in month 3.
    assert payback_month(1_200_000, 270_000, 1, optimism_bias_benefits=0.1) == 3
    # Where floats miss by a hair: £6,250 × 1.12 = £7,000 is 7 months of £1,000 (in floats
    # 700,000.0000000001 pence, month 8); £11,880 a year (1 % off £12,000) is £990 a month,
    # against £900 × 1.1 = £990 (in floats 99,000.00000000001 pence, month 2).
    assert payback_month(1_200_000, 625_000, 1, optimism_bias_costs=0.12) == 7
    assert payback_month(1_200_000, 90_000, 1, 1, 0.01, 0.1) == 1


@pytest.mark.parametrize(
    ("saving", "cost", "years", "persistence", "expected"),
    [
        (-100_000, 0, 5, 1, None),  # a negative saving never pays back, even at zero cost
        (-100_000, 50_000, 5, 1, None),
        (0, 0, 5, 1, 1),  # zero cost, zero saving: nothing to pay back
        (0, 1, 30, 1, None),
        (1_200_000, 3_600_000, 3, 1, 36),  # covered at the very end of the life
        (1_200_000, 3_600_001, 3, 1, None),  # a penny short
        (1_200_000, 1_300_000, 3, 0, None),  # P = 0: only year 1's £12,000
        (1_200_000, 1_200_000, 3, 0, 12),
    ],
)
def test_payback_edge_cases(saving, cost, years, persistence, expected):
    assert payback_month(saving, cost, years, persistence) == expected


def test_terms_may_be_decimals_as_the_plan_stores_them():
    as_floats = appraise(1_000_000, 500_000, 3, 0.8, 0.035, 0.15, 0.10)
    as_decimals = appraise(
        1_000_000,
        500_000,
        3,
        Decimal("0.8"),
        Decimal("0.035"),
        Decimal("0.15"),
        Decimal("0.10"),
    )
    assert (as_decimals.pv_benefits_pence, as_decimals.pv_costs_pence) == (1_946_700, 550_000)
    assert as_decimals.payback_month == as_floats.payback_month == 8


def test_a_negative_cost_or_no_life_is_refused():
    with pytest.raises(ValueError, match="at least"):
        appraise(100, -1, 3)
    with pytest.raises(ValueError, match="at least"):
        appraise(100, 1, 0)


def test_vectorised_factor_equals_appraise():
    """Thousands of approvals priced at once agree with one `appraise` each."""
    rng = np.random.default_rng(20)
    n = 2_000
    years = rng.integers(1, 31, n)
    persistence = rng.uniform(0, 1, n)
    rate = rng.choice([GREEN_BOOK_DISCOUNT_RATE, HEALTH_DISCOUNT_RATE], n)
    bias = rng.uniform(0, 0.95, n)
    saving = rng.integers(-(10**9), 10**9, n)
    factors = present_value_factor(years, persistence, rate, bias)
    assert factors.shape == (n,)
    for i in range(n):
        one = appraise(
            int(saving[i]),
            0,
            int(years[i]),
            persistence[i],
            rate[i],
            optimism_bias_benefits=bias[i],
        )
        assert one.pv_benefits_pence == pytest.approx(factors[i] * saving[i], abs=0.5)


def test_factor_matches_the_closed_form_and_broadcasts():
    # Σ_{t=1..N} q^(t-1) / 1.035 with q = P / 1.035 is (1 − q^N) / (1 − q) / 1.035.
    q = 0.8 / 1.035
    closed = (1 - q**10) / (1 - q) / 1.035
    assert present_value_factor(10, 0.8, 0.035, 0) == pytest.approx(closed, rel=1e-14)
    # P = 1 + r: the geometric form divides by zero; the sum does not. r = 0, P = 1: N.
    assert present_value_factor(7, 1, 0, 0) == 7
    grid = present_value_factor(np.array([[1], [2]]), np.array([1.0, 0.5]), 0.0, 0.5)
    np.testing.assert_allclose(grid, [[0.5, 0.5], [1.0, 0.75]])


savings = st.integers(-(10**14), 10**14)
costs = st.integers(0, 10**14)
lives = st.integers(1, 30)
shares = st.floats(0, 1)
rates = st.floats(0, 1)
benefit_biases = st.floats(0, 0.95)
cost_biases = st.floats(0, 2)


@settings(max_examples=200, deadline=None)
@given(savings, costs, lives, shares, rates, benefit_biases, cost_biases)
def test_npv_is_the_difference_and_bcr_the_ratio(saving, cost, years, p, r, b, c):
    result = appraise(saving, cost, years, p, r, b, c)
    assert result.npv_pence == result.pv_benefits_pence - result.pv_costs_pence
    if cost == 0:
        assert result.bcr is None and result.pv_costs_pence == 0
    else:
        assert result.bcr == result.pv_benefits_pence / result.pv_costs_pence


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**12), 10**12), st.integers(-100, 100), lives, shares, rates, benefit_biases)
def test_pv_of_benefits_is_linear_in_the_saving(saving, k, years, p, r, b):
    # PVB(k × S) = k × PVB(S), up to the half penny each side is rounded by.
    once = appraise(saving, 0, years, p, r, b).pv_benefits_pence
    scaled = appraise(k * saving, 0, years, p, r, b).pv_benefits_pence
    assert abs(scaled - k * once) <= 0.5 + abs(k) * 0.5


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**14), lives, shares, shares, rates, rates, benefit_biases)
def test_more_persistence_or_a_lower_rate_never_lowers_pv(saving, years, p1, p2, r1, r2, b):
    low_p, high_p = sorted((p1, p2))
    low_r, high_r = sorted((r1, r2))
    base = appraise(saving, 0, years, low_p, high_r, b).pv_benefits_pence
    assert appraise(saving, 0, years, high_p, high_r, b).pv_benefits_pence >= base
    assert appraise(saving, 0, years, low_p, low_r, b).pv_benefits_pence >= base


@settings(max_examples=200, deadline=None)
@given(savings, costs, costs, lives, shares, benefit_biases, cost_biases)
def test_payback_never_comes_sooner_for_a_higher_cost(saving, cost1, cost2, years, p, b, c):
    low, high = sorted((cost1, cost2))
    sooner = payback_month(saving, low, years, p, b, c)
    later = payback_month(saving, high, years, p, b, c)
    if sooner is None:
        assert later is None
    elif later is not None:
        assert 1 <= sooner <= later <= 12 * years


def test_agrees_with_r_written_independently(reference):
    """`tests/reference/appraisal.R`: present values by a loop over years and payback by
    walking month by month, for the worked cases, edge cases and 40 seeded terms."""
    cases = reference("appraisal")["cases"]
    for case in cases:
        terms = [case[name] for name in ("persistence", "rate", "bias_benefits", "bias_costs")]
        saving, cost, years = int(case["saving_pence"]), int(case["cost_pence"]), case["years"]
        result = appraise(saving, cost, years, *terms)
        factor = present_value_factor(years, terms[0], terms[1], terms[2])
        assert factor == pytest.approx(case["factor"], rel=1e-13)
        assert result.pv_benefits_pence == pytest.approx(case["pv_benefits"], abs=0.5 + 1e-6)
        assert result.pv_costs_pence == pytest.approx(case["pv_costs"], abs=0.5 + 1e-6)
        assert result.payback_month == case["payback_month"], case
    paybacks = [case["payback_month"] for case in cases]
    assert sum(month is None for month in paybacks) >= 5 and len(set(paybacks)) >= 20
