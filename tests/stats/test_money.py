"""Money model: every expected figure below is worked by hand in the comments."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gains.stats.design import estimate_improvement
from gains.stats.money import (
    SavingItem,
    annual_saving,
    cumulative_by_month,
    financial_year,
    financial_year_start,
    month_starts,
    split_by_cashable,
    total_savings,
)
from tests.support.money_oracles import (
    accrual_by_financial_year,
    accrual_months,
    claimed_total,
    following_month,
    monthly_accrual,
)


def test_annual_saving_scales_gain_to_pounds_and_pence():
    # 2.5 points per 100, 40,000 units a year, £3.20 per unit: 2.5/100 · 40,000 · 3.20 = £3,200.
    saving = annual_saving(2.5, 1.0, 0.5, 4.5, Decimal(100), Decimal(40000), Decimal("3.20"))
    assert saving.annual_saving_pence == 320_000
    assert saving.se_pence == 128_000  # 1.0/100 · 40,000 · 3.20 = £1,280
    assert (saving.ci_low_pence, saving.ci_high_pence) == (64_000, 576_000)
    assert saving.ci_excludes_zero


def test_annual_saving_from_an_estimate_uses_its_gain(reference_data):
    result = estimate_improvement(reference_data("welch"), "welch", direction="lower")
    saving = annual_saving(
        result.gain,
        result.se,
        result.gain_ci_low,
        result.gain_ci_high,
        Decimal(1),
        Decimal(1000),
        Decimal("2.00"),
    )
    # gain -0.537666...; x 1,000 x £2 = -£1,075.33; SE 3.0039901586 x 2,000 = £6,007.98.
    assert saving.annual_saving_pence == -107_533
    assert saving.se_pence == 600_798
    assert saving.ci_low_pence < 0 < saving.ci_high_pence


def test_negative_and_inconclusive_savings_are_not_truncated():
    saving = annual_saving(-0.1234, 0.2, -0.52, 0.27, Decimal(1), Decimal(1000), Decimal("1.5"))
    assert saving.annual_saving_pence == -18_510  # -0.1234 · 1,000 · £1.50 = -£185.10
    assert (saving.ci_low_pence, saving.ci_high_pence) == (-78_000, 40_500)
    assert not saving.ci_excludes_zero


def test_monthly_accrual_first_month_pro_rata_and_cost_at_go_live():
    # £12,000 a year = 100,000p a month. Go-live 16 March: 16 of 31 days → 51,612.9p → 51,613p.
    # April and May whole; 1-9 June (today is the 10th) = 9/30 → 30,000p. Cost £5,000 in March.
    months = monthly_accrual(1_200_000, 500_000, date(2025, 3, 16), date(2025, 6, 10))
    assert [m.month for m in months] == [date(2025, m, 1) for m in (3, 4, 5, 6)]
    assert [m.saving_pence for m in months] == [51_613, 100_000, 100_000, 30_000]
    assert [m.cost_pence for m in months] == [500_000, 0, 0, 0]
    assert months[-1].cumulative_net_pence == 281_613 - 500_000
    assert accrual_by_financial_year(months) == {"2024-25": 51_613 - 500_000, "2025-26": 230_000}


def test_accrual_stops_at_ended_on():
    months = monthly_accrual(1_200_000, 0, date(2025, 3, 16), date(2026, 1, 1), date(2025, 5, 1))
    assert [m.saving_pence for m in months] == [51_613, 100_000]


def test_negative_saving_accrues_negative():
    months = monthly_accrual(-120_000, 0, date(2024, 2, 1), date(2024, 4, 1))
    assert [m.saving_pence for m in months] == [-10_000, -10_000]


@pytest.mark.parametrize(
    ("day", "label"),
    [(date(2025, 3, 31), "2024-25"), (date(2025, 4, 1), "2025-26"), (date(2099, 12, 1), "2099-00")],
)
def test_financial_year_runs_april_to_march(day, label):
    assert financial_year(day) == label
    start = financial_year_start(day)
    assert (start.month, start.day) == (4, 1)
    assert financial_year(start) == label


@pytest.mark.parametrize(
    ("first", "before", "expected"),
    [
        (date(2025, 11, 16), date(2026, 2, 1), [(2025, 11), (2025, 12), (2026, 1)]),
        (date(2025, 11, 16), date(2026, 2, 2), [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]),
        (date(2024, 1, 31), date(2024, 3, 31), [(2024, 1), (2024, 2), (2024, 3)]),
        (date(2025, 3, 1), date(2025, 3, 1), []),
    ],
)
def test_month_starts_step_whole_months_across_years(first, before, expected):
    assert month_starts(first, before) == [date(year, month, 1) for year, month in expected]


def test_total_band_is_z_root_sum_of_variances_and_significant_share():
    items = [
        SavingItem(100_000, 3_000, True, cashable=True),
        SavingItem(50_000, 4_000, False, cashable=False),
    ]
    total = total_savings(items)
    # SE = √(3,000² + 4,000²) = 5,000p; z(97.5%) = 1.959963985 → ±9,799.82p.
    assert (total.total_pence, total.se_pence) == (150_000, 5_000)
    assert (total.band_low_pence, total.band_high_pence) == (140_200, 159_800)
    assert total.from_items_excluding_zero_pence == 100_000
    split = split_by_cashable(items)
    assert split["cashable"].total_pence == 100_000
    assert split["non_cashable"].total_pence == 50_000


def test_claimed_counts_running_submitted_changes_requested_and_approved_only():
    statuses = ["draft", "running", "submitted", "changes_requested", "approved", "rejected"]
    items = [SavingItem(1_000, 0, False, status=status) for status in statuses]
    assert claimed_total(items).total_pence == 4_000


def _cumulative_item_by_item(items, today):
    """The reference for `cumulative_by_month`: each item on its own, month by month, from
    `accrual_months`' exact fractions, then summed (the loop the dashboards used to run)."""
    net, variance = {}, {}
    live = [item for item in items if item[0] <= today]
    if not live:
        return net, variance
    month = min(item[0] for item in live).replace(day=1)
    months = []
    while month < today:
        months.append(month)
        month = following_month(month)
    for go_live, ended_on, annual, se, cost in live:
        fractions = dict(accrual_months(go_live, today, ended_on))
        accrued = 0.0
        for month in months:
            if month < go_live.replace(day=1):
                continue
            accrued += float(fractions.get(month, 0))
            net[month] = net.get(month, 0.0) + annual * accrued - cost
            variance[month] = variance.get(month, 0.0) + (se * accrued) ** 2
    return net, variance


DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 3, 31))
ITEMS = st.lists(
    st.tuples(
        DAYS,
        st.one_of(st.none(), DAYS),
        st.integers(-(10**9), 10**9),
        st.integers(0, 10**8),
        st.integers(0, 10**8),
    ).map(lambda t: (t[0], t[1] if t[1] is None or t[1] > t[0] else None, *t[2:])),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(items=ITEMS, today=DAYS)
def test_cumulative_by_month_equals_adding_items_one_by_one(items, today):
    series = cumulative_by_month(*zip(*items, strict=True), today=today) if items else None
    net, variance = _cumulative_item_by_item(items, today)
    if series is None:
        assert net == {}
        return
    assert series.months == sorted(net)
    for month, (got_net, got_variance) in series.by_month().items():
        assert got_net == pytest.approx(net[month], rel=1e-12, abs=1e-3)
        assert got_variance == pytest.approx(variance[month], rel=1e-12, abs=1e-3)


def test_cumulative_by_month_by_hand():
    # £1,200 a year from 16 January 2026 (31-day month: 16 days accrue), cost £50, ended
    # 1 March 2026 (so February is whole and it stays put from March); today 10 April 2026.
    series = cumulative_by_month(
        [date(2026, 1, 16)], [date(2026, 3, 1)], [120_000], [12_000], [5_000], date(2026, 4, 10)
    )
    january = 16 / 31 / 12
    february = january + 1 / 12
    assert series.months == [date(2026, m, 1) for m in (1, 2, 3, 4)]
    expected = [120_000 * years - 5_000 for years in (january, february, february, february)]
    assert series.net_pence.tolist() == pytest.approx(expected, rel=1e-12)
    assert series.variance[-1] == pytest.approx((12_000 * february) ** 2, rel=1e-12)
