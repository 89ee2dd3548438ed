"""Money computed the slow, obvious way, one improvement and one month at a time: the
independent implementations that `gains.stats.money`'s vectorised and SQL paths are checked
against. Nothing in the application uses these; each is pinned to hand-worked figures in
tests/stats/test_money.py."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from gains.stats.inference import DEFAULT_LEVEL
from gains.stats.money import (
    CLAIMED_STATUSES,
    MONTHS_PER_YEAR,
    SavingItem,
    SavingsTotal,
    financial_year,
    total_savings,
)


@dataclass(frozen=True)
class MonthlyAccrual:
    """One calendar month: saving accrued, cost deducted, running net total (pence)."""

    month: date  # first day of the calendar month
    saving_pence: int
    cost_pence: int
    cumulative_net_pence: int


def following_month(month_start: date) -> date:
    return date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)


def accrual_months(
    go_live: date, today: date, ended_on: date | None = None
) -> list[tuple[date, Decimal]]:
    """(first day of month, fraction of a year accrued in it) from go-live to today or the end.

    Each month accrues 1/12 × (days accruing in the month ÷ days in the month), counting days
    in [go-live, end) with end = today, or ``ended_on`` when that is earlier.
    """
    end = min(today, ended_on) if ended_on else today
    fractions = []
    month_start = go_live.replace(day=1)
    while month_start < end:
        days_in_month = calendar.monthrange(month_start.year, month_start.month)[1]
        next_month = following_month(month_start)
        accruing_days = max((min(end, next_month) - max(go_live, month_start)).days, 0)
        share = Decimal(accruing_days) / Decimal(days_in_month)
        fractions.append((month_start, share / MONTHS_PER_YEAR))
        month_start = next_month
    return fractions


def monthly_accrual(
    annual_saving_pence: int,
    implementation_cost_pence: int,
    go_live: date,
    today: date,
    ended_on: date | None = None,
) -> list[MonthlyAccrual]:
    """Savings accrued per calendar month (see :func:`accrual_months`), net of the one-off
    cost deducted at go-live, rounded so that months add up to the rounded cumulative total."""
    months: list[MonthlyAccrual] = []
    exact_cumulative = Decimal(0)
    booked_pence = 0
    for month_start, year_fraction in accrual_months(go_live, today, ended_on):
        exact_cumulative += Decimal(annual_saving_pence) * year_fraction
        saving = int(exact_cumulative.quantize(Decimal(1), rounding=ROUND_HALF_UP)) - booked_pence
        booked_pence += saving
        cost = implementation_cost_pence if not months else 0
        previous_net = months[-1].cumulative_net_pence if months else 0
        months.append(MonthlyAccrual(month_start, saving, cost, previous_net + saving - cost))
    return months


def accrual_by_financial_year(months: Iterable[MonthlyAccrual]) -> dict[str, int]:
    """Net pence (savings minus the cost at go-live) per financial year."""
    totals: dict[str, int] = {}
    for month in months:
        label = financial_year(month.month)
        totals[label] = totals.get(label, 0) + month.saving_pence - month.cost_pence
    return totals


def claimed_total(current: Iterable[SavingItem], level: float = DEFAULT_LEVEL) -> SavingsTotal:
    """Claimed = current estimates of improvements running, submitted, changes requested or
    approved."""
    return total_savings([item for item in current if item.status in CLAIMED_STATUSES], level)
