"""Treasury's view: cumulative savings across departments, claimed against validated.

Cumulative figures accrue each improvement's annual saving month by month from go-live
(docs/DESIGN.md "Money"): the first month pro rata, the implementation cost deducted once
at go-live, nothing after `ended_on`. An item's cumulative standard error scales with the
same accrued fraction of a year as its saving; a total's band is ±z·√(Σ SE²), assuming
independent items, as on every other page.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gains.access import reads_every_department
from gains.extensions import db
from gains.models import Department, Improvement, ImprovementKind, Pillar, Status
from gains.services.estimates.lasting import KnownChecks, Lasting, LastingCheck, lasting_checks
from gains.services.money.savings import SavingRow, claimed_rows, validated_rows
from gains.stats.inference import NORMAL_Z
from gains.stats.money import (
    CumulativeSeries,
    SavingsTotal,
    cumulative_by_month,
    financial_year,
    total_savings,
)

TOP_IMPROVEMENTS = 10


def may_see_treasury(user: Any) -> bool:
    """Every department's savings side by side are for those who read every department."""
    return reads_every_department(user)


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
    top: list[SavingRow]
    lasting: list[tuple[SavingRow, LastingCheck]]
    department_names: dict[int, str]


def _cumulative(rows: list[SavingRow], today: date) -> CumulativeSeries:
    rows = [row for row in rows if row.go_live_on is not None]
    return cumulative_by_month(
        [row.go_live_on for row in rows],
        [row.ended_on for row in rows],
        [row.item.annual_saving_pence for row in rows],
        [row.item.se_pence for row in rows],
        [row.implementation_cost_pence for row in rows],
        today,
    )


def _series(claimed: CumulativeSeries, validated: CumulativeSeries) -> list[MonthPoint]:
    claimed_at, validated_at = claimed.by_month(), validated.by_month()
    points = []
    for month in sorted(set(claimed_at) | set(validated_at)):
        c, c_variance = claimed_at.get(month, (0.0, 0.0))
        v, v_variance = validated_at.get(month, (0.0, 0.0))
        c_sd, v_sd = math.sqrt(c_variance), math.sqrt(v_variance)
        points.append(
            MonthPoint(
                month,
                round(c),
                round(c - NORMAL_Z * c_sd),
                round(c + NORMAL_Z * c_sd),
                round(v),
                round(v - NORMAL_Z * v_sd),
                round(v + NORMAL_Z * v_sd),
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
    claimed_items, validated_items = defaultdict(list), defaultdict(list)
    for row in claimed:
        claimed_items[key(row)].append(row.item)
    for row in validated:
        validated_items[key(row)].append(row.item)
    return [
        Breakdown(
            value,
            label,
            total_savings(claimed_items[value]),
            total_savings(validated_items[value]),
        )
        for value, label in groups
    ]


def treasury_dashboard(
    filters: TreasuryFilters, today: date, lasting_known: KnownChecks | None = None
) -> TreasuryDashboard:
    """The figures for these filters on this day; ``lasting_known`` remembers did-it-last
    flags between calls (see `lasting.lasting_checks`)."""
    where = []
    if filters.department_ids:
        where.append(Improvement.department_id.in_(filters.department_ids))
    if filters.pillar:
        where.append(Improvement.pillar == filters.pillar)
    if filters.kind:
        where.append(Improvement.kind == filters.kind)
    claimed, validated = claimed_rows(*where), validated_rows(*where)
    points = _series(_cumulative(claimed, today), _cumulative(validated, today))
    shown = _in_period(points, filters)
    shown_years = {financial_year(point.month) for point in shown}
    departments = db.session.execute(
        select(Department.id, Department.name).order_by(Department.name)
    ).all()
    return TreasuryDashboard(
        filters=filters,
        today=today,
        months=shown,
        by_financial_year=[row for row in _by_financial_year(points) if row[0] in shown_years],
        claimed=total_savings(c.item for c in claimed),
        validated=total_savings(v.item for v in validated),
        by_department=_breakdown(lambda r: r.department_id, departments, claimed, validated),
        by_pillar=_breakdown(
            lambda r: r.pillar, [(p, p.label) for p in Pillar], claimed, validated
        ),
        by_kind=_breakdown(
            lambda r: r.kind, [(k, k.label) for k in ImprovementKind], claimed, validated
        ),
        by_cashable=_breakdown(
            lambda r: r.item.cashable,
            [(True, "Cashable"), (False, "Non-cashable")],
            claimed,
            validated,
        ),
        top=sorted(validated, key=lambda v: -v.item.annual_saving_pence)[:TOP_IMPROVEMENTS],
        lasting=_lasting(validated, lasting_known),
        department_names=dict(departments),
    )


def _lasting(validated: list[SavingRow], known) -> list[tuple[SavingRow, LastingCheck]]:
    """The did-it-last flag for approved improvements (not those back in review)."""
    approved = [v for v in validated if v.status is Status.APPROVED]
    checks = lasting_checks(
        {v.improvement_id: (v.data_version, v.direction) for v in approved}, known
    )
    return sorted(
        ((v, checks[v.improvement_id]) for v in approved),
        key=lambda pair: (pair[1].flag is not Lasting.SIGNAL, pair[0].title),
    )
