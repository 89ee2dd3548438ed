"""Money: annual savings with uncertainty, monthly accrual, totals, financial years.

Money crosses the module boundary as ``Decimal`` pounds in and integer pence out; floats are
used only for the statistical quantities (gain, SE, critical values). Pence are rounded half
up, the convention for sterling amounts. Nothing is truncated at zero: a negative or
inconclusive gain is a negative or inconclusive saving.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from gains.stats.inference import DEFAULT_LEVEL, critical_value

CLAIMED_STATUSES = frozenset({"running", "submitted", "changes_requested", "approved"})
PENCE_PER_POUND = Decimal(100)
MONTHS_PER_YEAR = 12
FINANCIAL_YEAR_START_MONTH = 4  # UK government: 1 April to 31 March


@dataclass(frozen=True)
class AnnualSaving:
    """Annual saving in pence with its SE and CI; ``ci_excludes_zero`` uses the gain's CI."""

    annual_saving_pence: int
    se_pence: int
    ci_low_pence: int
    ci_high_pence: int
    ci_excludes_zero: bool


@dataclass(frozen=True)
class MonthlyAccrual:
    """One calendar month: saving accrued, cost deducted, running net total (pence)."""

    month: date  # first day of the calendar month
    saving_pence: int
    cost_pence: int
    cumulative_net_pence: int


@dataclass(frozen=True)
class SavingItem:
    """One improvement's annual saving as it enters a total."""

    annual_saving_pence: int
    se_pence: int
    ci_excludes_zero: bool
    cashable: bool = False
    status: str = "approved"


@dataclass(frozen=True)
class SavingsTotal:
    """A total of items with its ±z·SE band and the part from items whose CI excludes 0."""

    total_pence: int
    se_pence: int
    band_low_pence: int
    band_high_pence: int
    from_items_excluding_zero_pence: int
    n_items: int
    level: float


def annual_saving(
    gain: float,
    gain_se: float,
    gain_ci_low: float,
    gain_ci_high: float,
    scale: Decimal,
    annual_volume: Decimal,
    value_per_unit_gbp: Decimal,
) -> AnnualSaving:
    """Annual saving (£) = gain ÷ scale · annual volume · £ per metric unit; the SE and CI are
    the same factor times the gain's SE and CI (the factor is a known constant)."""
    factor_pence = _decimal(annual_volume) * _decimal(value_per_unit_gbp) * PENCE_PER_POUND
    factor_pence /= _decimal(scale)
    bounds = sorted((_pence(gain_ci_low, factor_pence), _pence(gain_ci_high, factor_pence)))
    return AnnualSaving(
        annual_saving_pence=_pence(gain, factor_pence),
        se_pence=_pence(gain_se, abs(factor_pence)),
        ci_low_pence=bounds[0],
        ci_high_pence=bounds[1],
        ci_excludes_zero=gain_ci_low > 0 or gain_ci_high < 0,
    )


def annual_saving_from_estimate(result, scale, annual_volume, value_per_unit_gbp) -> AnnualSaving:
    """:func:`annual_saving` for an :class:`~gains.stats.results.EstimateResult`."""
    return annual_saving(
        result.gain,
        result.se,
        result.gain_ci_low,
        result.gain_ci_high,
        scale,
        annual_volume,
        value_per_unit_gbp,
    )


def accrual_months(
    go_live: date, today: date, ended_on: date | None = None
) -> list[tuple[date, Decimal]]:
    """(first day of month, fraction of a year accrued in it) from go-live to today or the end.

    Each month accrues 1/12 × (days accruing in the month ÷ days in the month), counting days
    in [go-live, end) with end = today, or ``ended_on`` when that is earlier: the first month
    is pro rata, later months are whole, and the current (or ending) month is pro rata to the
    day. The same fractions scale an annual saving and its standard error.
    """
    end = min(today, ended_on) if ended_on else today
    return [
        (month_start, _share(month_start, go_live, end) / MONTHS_PER_YEAR)
        for month_start in _month_starts(go_live, end)
    ]


def monthly_accrual(
    annual_saving_pence: int,
    implementation_cost_pence: int,
    go_live: date,
    today: date,
    ended_on: date | None = None,
) -> list[MonthlyAccrual]:
    """Savings accrued per calendar month (see :func:`accrual_months`), net of the one-off
    cost deducted at go-live. Months are rounded so that they add up exactly to the rounded
    cumulative total."""
    months: list[MonthlyAccrual] = []
    exact_cumulative = Decimal(0)
    booked_pence = 0
    for month_start, year_fraction in accrual_months(go_live, today, ended_on):
        exact_cumulative += Decimal(annual_saving_pence) * year_fraction
        saving = _round_pence(exact_cumulative) - booked_pence
        booked_pence += saving
        cost = implementation_cost_pence if not months else 0
        previous_net = months[-1].cumulative_net_pence if months else 0
        months.append(MonthlyAccrual(month_start, saving, cost, previous_net + saving - cost))
    return months


def financial_year(day: date) -> str:
    """UK financial year label, April to March: 2025-05-01 → "2025-26"."""
    start = day.year if day.month >= FINANCIAL_YEAR_START_MONTH else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def accrual_by_financial_year(months: Iterable[MonthlyAccrual]) -> dict[str, int]:
    """Net pence (savings minus the cost at go-live) per financial year."""
    totals: dict[str, int] = {}
    for month in months:
        label = financial_year(month.month)
        totals[label] = totals.get(label, 0) + month.saving_pence - month.cost_pence
    return totals


def total_savings(items: Iterable[SavingItem], level: float = DEFAULT_LEVEL) -> SavingsTotal:
    """Sum of items with band ±z·√(Σ SE²), assuming independent items, plus the part of the
    total that comes from items whose own CI excludes zero."""
    items = list(items)
    total = sum(item.annual_saving_pence for item in items)
    se = math.sqrt(sum(float(item.se_pence) ** 2 for item in items))
    half_width = float(critical_value(level, math.inf)) * se
    return SavingsTotal(
        total_pence=total,
        se_pence=_round_pence(Decimal(se)),
        band_low_pence=_round_pence(Decimal(total - half_width)),
        band_high_pence=_round_pence(Decimal(total + half_width)),
        from_items_excluding_zero_pence=sum(
            item.annual_saving_pence for item in items if item.ci_excludes_zero
        ),
        n_items=len(items),
        level=level,
    )


def claimed_total(current: Iterable[SavingItem], level: float = DEFAULT_LEVEL) -> SavingsTotal:
    """Claimed = current estimates of improvements running, submitted, changes requested or
    approved. (Validated = :func:`total_savings` over the latest approvals' snapshots.)"""
    return total_savings([item for item in current if item.status in CLAIMED_STATUSES], level)


def split_by_cashable(
    items: Iterable[SavingItem], level: float = DEFAULT_LEVEL
) -> dict[str, SavingsTotal]:
    """Totals for cashable and non-cashable savings (time or capacity released)."""
    items = list(items)
    return {
        "cashable": total_savings([i for i in items if i.cashable], level),
        "non_cashable": total_savings([i for i in items if not i.cashable], level),
    }


def _month_starts(go_live: date, end: date) -> list[date]:
    starts = []
    current = go_live.replace(day=1)
    while current < end:
        starts.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return starts


def _share(month_start: date, go_live: date, end: date) -> Decimal:
    days_in_month = calendar.monthrange(month_start.year, month_start.month)[1]
    next_month = date.fromordinal(month_start.toordinal() + days_in_month)
    accruing_days = (min(end, next_month) - max(go_live, month_start)).days
    return Decimal(max(accruing_days, 0)) / Decimal(days_in_month)


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _pence(statistic: float, factor_pence: Decimal) -> int:
    return _round_pence(Decimal(statistic) * factor_pence)


def _round_pence(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class CumulativeSeries:
    """Cumulative net pence and its variance (pence²) at the end of each month shown."""

    months: list[date]
    net_pence: np.ndarray
    variance: np.ndarray

    def by_month(self) -> dict[date, tuple[float, float]]:
        """{month: (net pence, variance)}."""
        pairs = zip(self.net_pence.tolist(), self.variance.tolist(), strict=True)
        return dict(zip(self.months, pairs, strict=True))


def cumulative_by_month(
    go_live: Sequence[date],
    ended_on: Sequence[date | None],
    annual_saving_pence: Sequence[float],
    se_pence: Sequence[float],
    implementation_cost_pence: Sequence[float],
    today: date,
) -> CumulativeSeries:
    """The sum over items of each one's cumulative net saving, month by month.

    Per item (as :func:`accrual_months`): from its go-live month, the accrued fraction of a
    year grows by each month's share of days in [go-live, min(today, end)), so it stays where
    it stopped after the end; the month's figure is annual saving × accrued years − the cost
    (deducted once, from the go-live month), and its variance (SE × accrued years)², items
    independent. Months run from the earliest go-live to the last month that starts before
    today. Items that go live after today count nowhere. Computed as one items × months
    array, a few thousand items at a time, so a register of any size is a handful of numpy
    operations rather than a Python loop per item and month.
    """
    go = np.array([day.toordinal() for day in go_live], dtype=np.int64)
    live = go <= today.toordinal()
    if not live.any():
        return CumulativeSeries([], np.zeros(0), np.zeros(0))
    first = date.fromordinal(int(go[live].min())).replace(day=1)
    months = _month_starts(first, today)
    if not months:
        return CumulativeSeries([], np.zeros(0), np.zeros(0))
    starts = np.array([m.toordinal() for m in months], dtype=np.int64)
    nexts = np.array(
        [date(m.year + m.month // 12, m.month % 12 + 1, 1).toordinal() for m in months],
        dtype=np.int64,
    )
    ends = np.array(
        [min(today, end).toordinal() if end else today.toordinal() for end in ended_on],
        dtype=np.int64,
    )
    first_month = np.array([day.replace(day=1).toordinal() for day in go_live], dtype=np.int64)
    annual = np.asarray(annual_saving_pence, dtype=float)
    se = np.asarray(se_pence, dtype=float)
    cost = np.asarray(implementation_cost_pence, dtype=float)
    net, variance = np.zeros(len(months)), np.zeros(len(months))
    for chunk in np.array_split(np.flatnonzero(live), max(1, live.sum() // 2000)):
        days = np.minimum(ends[chunk, None], nexts) - np.maximum(go[chunk, None], starts)
        shares = np.clip(days, 0, None) / (nexts - starts)
        accrued = np.cumsum(shares, axis=1) / MONTHS_PER_YEAR
        counted = starts >= first_month[chunk, None]
        net += np.where(counted, annual[chunk, None] * accrued - cost[chunk, None], 0.0).sum(0)
        variance += np.where(counted, (se[chunk, None] * accrued) ** 2, 0.0).sum(0)
    return CumulativeSeries(months, net, variance)
