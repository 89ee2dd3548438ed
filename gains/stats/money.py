"""Money: annual savings with uncertainty, cumulative accrual by month, totals, financial years.

Money crosses the module boundary as ``Decimal`` pounds in and integer pence out; floats are
used only for the statistical quantities (gain, SE, critical values). Pence are rounded half
up, the convention for sterling amounts. Nothing is truncated at zero: a negative or
inconclusive gain is a negative or inconclusive saving.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from dateutil.relativedelta import relativedelta

from gains.stats.inference import DEFAULT_LEVEL, critical_value

CLAIMED_STATUSES = frozenset({"running", "submitted", "changes_requested", "approved"})
PENCE_PER_POUND = Decimal(100)
MONTHS_PER_YEAR = 12
FINANCIAL_YEAR_START_MONTH = 4  # UK government: 1 April to 31 March
ONE_MONTH = relativedelta(months=1)


@dataclass(frozen=True)
class AnnualSaving:
    """Annual saving in pence with its SE and CI; ``ci_excludes_zero`` uses the gain's CI."""

    annual_saving_pence: int
    se_pence: int
    ci_low_pence: int
    ci_high_pence: int
    ci_excludes_zero: bool


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
    factor_pence = as_decimal(annual_volume) * as_decimal(value_per_unit_gbp) * PENCE_PER_POUND
    factor_pence /= as_decimal(scale)
    bounds = sorted((_pence(gain_ci_low, factor_pence), _pence(gain_ci_high, factor_pence)))
    return AnnualSaving(
        annual_saving_pence=_pence(gain, factor_pence),
        se_pence=_pence(gain_se, abs(factor_pence)),
        ci_low_pence=bounds[0],
        ci_high_pence=bounds[1],
        ci_excludes_zero=gain_ci_low > 0 or gain_ci_high < 0,
    )


def financial_year_start(day: date) -> date:
    """1 April of the UK financial year (April to March) that contains `day`."""
    year = day.year if day.month >= FINANCIAL_YEAR_START_MONTH else day.year - 1
    return date(year, FINANCIAL_YEAR_START_MONTH, 1)


def financial_year(day: date) -> str:
    """UK financial year label, April to March: 2025-05-01 → "2025-26"."""
    start = financial_year_start(day).year
    return f"{start}-{(start + 1) % 100:02d}"


def month_starts(first: date, before: date) -> list[date]:
    """The first day of each month from `first`'s month to the last month starting before
    `before`."""
    months, month = [], first.replace(day=1)
    while month < before:
        months.append(month)
        month += ONE_MONTH
    return months


def total_savings(items: Iterable[SavingItem], level: float = DEFAULT_LEVEL) -> SavingsTotal:
    """Sum of items with band ±z·√(Σ SE²), assuming independent items, plus the part of the
    total that comes from items whose own CI excludes zero."""
    items = list(items)
    total = sum(item.annual_saving_pence for item in items)
    se = math.sqrt(sum(float(item.se_pence) ** 2 for item in items))
    half_width = float(critical_value(level, math.inf)) * se
    return SavingsTotal(
        total_pence=total,
        se_pence=round_pence(Decimal(se)),
        band_low_pence=round_pence(Decimal(total - half_width)),
        band_high_pence=round_pence(Decimal(total + half_width)),
        from_items_excluding_zero_pence=sum(
            item.annual_saving_pence for item in items if item.ci_excludes_zero
        ),
        n_items=len(items),
        level=level,
    )


def split_by_cashable(
    items: Iterable[SavingItem], level: float = DEFAULT_LEVEL
) -> dict[str, SavingsTotal]:
    """Totals for cashable and non-cashable savings (time or capacity released)."""
    items = list(items)
    return {
        "cashable": total_savings([i for i in items if i.cashable], level),
        "non_cashable": total_savings([i for i in items if not i.cashable], level),
    }


def as_decimal(value) -> Decimal:
    """A number as the decimal it is written as: the float 0.1 is one tenth, not its binary."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _pence(statistic: float, factor_pence: Decimal) -> int:
    return round_pence(Decimal(statistic) * factor_pence)


def round_pence(amount: Decimal) -> int:
    """Whole pence, rounded half up (the convention for sterling amounts)."""
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

    Per item: from its go-live month, the accrued fraction of a year grows by 1/12 × each
    month's share of its days in [go-live, min(today, end)) (the first month pro rata, later
    months whole, the current or ending month pro rata to the day), so it stays where
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
    months = month_starts(first, today)
    if not months:
        return CumulativeSeries([], np.zeros(0), np.zeros(0))
    starts = np.array([m.toordinal() for m in months], dtype=np.int64)
    nexts = np.array([(m + ONE_MONTH).toordinal() for m in months], dtype=np.int64)
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
