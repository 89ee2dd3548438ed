"""Treasury's view: cumulative savings across departments, claimed against validated.

Cumulative figures accrue each improvement's annual saving month by month from go-live
(../shared DESIGN "Money"): the first month pro rata, the implementation cost deducted once
at go-live, nothing after `ended_on`. An item's cumulative standard error scales with the
same accrued fraction of a year as its saving; a total's band is ±z·√(Σ SE²), assuming
independent items, as on every other page.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from gains.extensions import db
from gains.models import Department, Improvement, ImprovementKind, Pillar, Status
from gains.services.lasting import Lasting, LastingCheck, lasting_checks
from gains.services.savings import (
    ClaimedSaving,
    ValidatedSaving,
    claimed_savings,
    validated_savings,
)
from gains.stats.inference import DEFAULT_LEVEL, critical_value
from gains.stats.money import (
    SavingItem,
    SavingsTotal,
    accrual_months,
    financial_year,
    total_savings,
)

TOP_IMPROVEMENTS = 10
Z = float(critical_value(DEFAULT_LEVEL, math.inf))


@dataclass(frozen=True)
class TreasuryFilters:
    department_ids: tuple[int, ...] = ()
    pillar: Pillar | None = None
    kind: ImprovementKind | None = None
    start: date | None = None  # first month shown (inclusive)
    end: date | None = None  # last month shown (inclusive)

    def describe(self, departments: dict[int, str]) -> list[tuple[str, str]]:
        """The filters in words, for pages and for the exported files."""
        return [
            ("Departments", ", ".join(departments[i] for i in self.department_ids) or "All"),
            ("Pillar", self.pillar.label if self.pillar else "All"),
            ("Kind", self.kind.label if self.kind else "All"),
            ("From", f"{self.start:%B %Y}" if self.start else "First go-live"),
            ("To", f"{self.end:%B %Y}" if self.end else "Now"),
        ]


@dataclass
class Accumulator:
    """Cumulative net pence and variance (pence²) per month for one set of items."""

    net: dict[date, float] = field(default_factory=lambda: defaultdict(float))
    variance: dict[date, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, improvement: Improvement, item: SavingItem, today: date) -> None:
        if improvement.go_live_on is None:
            return
        accrued_years = 0.0
        cost = improvement.implementation_cost_pence
        for month, fraction in accrual_months(improvement.go_live_on, today, improvement.ended_on):
            accrued_years += float(fraction)
            self.net[month] += item.annual_saving_pence * accrued_years - cost
            self.variance[month] += (item.se_pence * accrued_years) ** 2
        # After it ends, an improvement's cumulative figure stays where it stopped.
        self._carry_forward(improvement, item, accrued_years, cost, today)

    def _carry_forward(self, improvement, item, accrued_years, cost, today) -> None:
        if improvement.ended_on is None or improvement.ended_on >= today:
            return
        month = date(improvement.ended_on.year, improvement.ended_on.month, 1)
        while True:
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            if month > today:
                break
            self.net[month] += item.annual_saving_pence * accrued_years - cost
            self.variance[month] += (item.se_pence * accrued_years) ** 2


@dataclass(frozen=True)
class MonthPoint:
    month: date
    claimed_pence: int
    claimed_low_pence: int
    claimed_high_pence: int
    validated_pence: int
    validated_low_pence: int
    validated_high_pence: int


@dataclass(frozen=True)
class Breakdown:
    value: object
    label: str
    claimed: SavingsTotal
    validated: SavingsTotal


@dataclass(frozen=True)
class TreasuryDashboard:
    filters: TreasuryFilters
    today: date
    months: list[MonthPoint]
    by_financial_year: list[tuple[str, int, int]]  # label, claimed net, validated net
    claimed: SavingsTotal
    validated: SavingsTotal
    by_department: list[Breakdown]
    by_pillar: list[Breakdown]
    by_kind: list[Breakdown]
    by_cashable: list[Breakdown]
    top: list[ValidatedSaving]
    lasting: list[tuple[ValidatedSaving, LastingCheck]]


def _series(claimed: Accumulator, validated: Accumulator) -> list[MonthPoint]:
    months = sorted(set(claimed.net) | set(validated.net))
    points = []
    for month in months:
        c, c_sd = claimed.net.get(month, 0.0), math.sqrt(claimed.variance.get(month, 0.0))
        v, v_sd = validated.net.get(month, 0.0), math.sqrt(validated.variance.get(month, 0.0))
        points.append(
            MonthPoint(
                month,
                round(c),
                round(c - Z * c_sd),
                round(c + Z * c_sd),
                round(v),
                round(v - Z * v_sd),
                round(v + Z * v_sd),
            )
        )
    return points


def _in_period(points: list[MonthPoint], filters: TreasuryFilters) -> list[MonthPoint]:
    return [
        point
        for point in points
        if not (filters.start and point.month < filters.start)
        and not (filters.end and point.month > filters.end)
    ]


def _by_financial_year(points: list[MonthPoint]) -> list[tuple[str, int, int]]:
    """Net savings accrued within each financial year (the change in the cumulative figure)."""
    last: dict[str, MonthPoint] = {}
    for point in points:
        last[financial_year(point.month)] = point
    rows, previous = [], (0, 0)
    for label, point in last.items():
        rows.append((label, point.claimed_pence - previous[0], point.validated_pence - previous[1]))
        previous = (point.claimed_pence, point.validated_pence)
    return rows


def _breakdown(key, groups, claimed, validated) -> list[Breakdown]:
    rows = []
    for value, label in groups:
        rows.append(
            Breakdown(
                value,
                label,
                total_savings(c.item for c in claimed if key(c.improvement) == value),
                total_savings(v.item for v in validated if key(v.improvement) == value),
            )
        )
    return rows


def treasury_dashboard(filters: TreasuryFilters, today: date) -> TreasuryDashboard:
    stmt = select(Improvement)
    if filters.department_ids:
        stmt = stmt.where(Improvement.department_id.in_(filters.department_ids))
    if filters.pillar:
        stmt = stmt.where(Improvement.pillar == filters.pillar)
    if filters.kind:
        stmt = stmt.where(Improvement.kind == filters.kind)
    improvements = db.session.scalars(stmt).all()
    claimed: list[ClaimedSaving] = claimed_savings(improvements)
    validated: list[ValidatedSaving] = validated_savings(improvements)
    claimed_series, validated_series = Accumulator(), Accumulator()
    for row in claimed:
        claimed_series.add(row.improvement, row.item, today)
    for row in validated:
        validated_series.add(row.improvement, row.item, today)
    points = _series(claimed_series, validated_series)
    shown = _in_period(points, filters)
    shown_years = {financial_year(point.month) for point in shown}
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    return TreasuryDashboard(
        filters=filters,
        today=today,
        months=shown,
        by_financial_year=[row for row in _by_financial_year(points) if row[0] in shown_years],
        claimed=total_savings(c.item for c in claimed),
        validated=total_savings(v.item for v in validated),
        by_department=_breakdown(
            lambda i: i.department_id, [(d.id, d.name) for d in departments], claimed, validated
        ),
        by_pillar=_breakdown(
            lambda i: i.pillar, [(p, p.label) for p in Pillar], claimed, validated
        ),
        by_kind=_breakdown(
            lambda i: i.kind, [(k, k.label) for k in ImprovementKind], claimed, validated
        ),
        by_cashable=_breakdown(
            lambda i: i.cashable, [(True, "Cashable"), (False, "Non-cashable")], claimed, validated
        ),
        top=sorted(validated, key=lambda v: -v.item.annual_saving_pence)[:TOP_IMPROVEMENTS],
        lasting=_lasting(validated),
    )


def _lasting(validated: list[ValidatedSaving]) -> list[tuple[ValidatedSaving, LastingCheck]]:
    """The did-it-last flag for approved improvements (not those back in review)."""
    approved = [v for v in validated if v.improvement.status is Status.APPROVED]
    checks = lasting_checks(v.improvement for v in approved)
    return sorted(
        ((v, checks[v.improvement.id]) for v in approved),
        key=lambda pair: (pair[1].flag is not Lasting.SIGNAL, pair[0].improvement.title),
    )
