"""Treasury's view: savings across departments, claimed against validated, told honestly.

The headline "validated" counts approvals whose evidence level is 3 or more (a comparison
validated them); level 2 is shown apart as reported (docs/DESIGN.md "Evidence levels").
Validated savings are shown raw and shrunk toward each department's pool, with whole-life
NPVs, and totals whose bands carry statistical uncertainty, the input ranges and the
correlation within a department (`services.money.valuation`, decision 0035).

Cumulative figures accrue each improvement's annual saving month by month from go-live
(docs/DESIGN.md "Money"): the first month pro rata, the implementation cost deducted once
at go-live, nothing after `ended_on`. An item's cumulative standard error scales with the
same accrued fraction of a year as its saving; the monthly bands are ±z·√(Σ SE²).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select

from gains.access import reads_every_department
from gains.extensions import db
from gains.models import Department, Improvement, ImprovementKind, Pillar, Status
from gains.services.estimates.lasting import KnownChecks, Lasting, LastingCheck, lasting_checks
from gains.services.money.savings import SavingRow, claimed_rows, pool_rows, validated_rows
from gains.services.money.valuation import (
    HEADLINE_LEVEL,
    HonestFigures,
    ValuedRow,
    honest_figures,
    value_savings,
)
from gains.stats.evidence import LEVELS
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
    level: int | None = None  # evidence level 2-5; the headline still counts 3 and above

    def describe(self, departments: dict[int, str]) -> list[tuple[str, str]]:
        """The filters in words, for pages and for the exported files."""
        return [
            ("Departments", ", ".join(departments[i] for i in self.department_ids) or "All"),
            ("Pillar", self.pillar.label if self.pillar else "All"),
            ("Kind", self.kind.label if self.kind else "All"),
            ("From", f"{self.start:%B %Y}" if self.start else "First go-live"),
            ("To", f"{self.end:%B %Y}" if self.end else "Now"),
            ("Evidence level", f"Level {self.level}" if self.level else "All"),
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
    validated_shrunk_pence: int
    npv_pence: int  # whole-life NPV (shrunk) of the validated improvements live by the month


@dataclass(frozen=True)
class Breakdown:
    """A group's claimed and validated savings a year (validated: level 3 and above, bands
    statistical), shrunk, realised to date and whole-life NPV (of the shrunk saving)."""

    value: object
    label: str
    claimed: SavingsTotal
    validated: SavingsTotal
    validated_shrunk_pence: int = 0
    realised_pence: int = 0
    npv_pence: int = 0
    reported_pence: int = 0  # evidence level 2: reported, not validated by a comparison


@dataclass(frozen=True)
class Scenario:
    """The headline (shrunk validated savings a year) under one change of assumption."""

    label: str
    total_pence: int
    change_pence: int  # from the headline
    includes_level_2: bool = False


@dataclass(frozen=True)
class Sensitivity:
    headline_pence: int
    scenarios: list[Scenario]


@dataclass(frozen=True)
class TreasuryDashboard:
    filters: TreasuryFilters
    today: date
    months: list[MonthPoint]
    by_financial_year: list[tuple[str, int, int, int]]  # label; claimed, validated, shrunk net
    claimed: SavingsTotal
    honest: HonestFigures  # the headline: validated, level 3 and above
    reported: HonestFigures  # level 2: reported, not validated by a comparison
    sensitivity: Sensitivity
    by_department: list[Breakdown]
    by_pillar: list[Breakdown]
    by_kind: list[Breakdown]
    by_cashable: list[Breakdown]
    by_go_live_year: list[Breakdown]
    by_evidence_level: list[Breakdown]
    top: list[ValuedRow]
    lasting: list[tuple[SavingRow, LastingCheck]]
    department_names: dict[int, str]

    @property
    def validated(self) -> SavingsTotal:
        """The headline, raw: validated annual savings at level 3 and above."""
        return self.honest.raw

    @property
    def validated_shrunk(self) -> SavingsTotal:
        """The headline to bank: the same, shrunk."""
        return self.honest.shrunk


def _cumulative(rows: list[SavingRow], today: date, annual=None) -> CumulativeSeries:
    """The rows' cumulative net by month; ``annual`` replaces their annual savings (the
    shrunk ones), in the rows' order."""
    annual = [row.item.annual_saving_pence for row in rows] if annual is None else annual
    live = [i for i, row in enumerate(rows) if row.go_live_on is not None]
    return cumulative_by_month(
        [rows[i].go_live_on for i in live],
        [rows[i].ended_on for i in live],
        [annual[i] for i in live],
        [rows[i].item.se_pence for i in live],
        [rows[i].implementation_cost_pence for i in live],
        today,
    )


def _realised(rows: list[SavingRow], today: date) -> int:
    """Today's cumulative net of the rows (the last month's figure, pro rata to today)."""
    series = _cumulative(rows, today)
    return round(float(series.net_pence[-1])) if len(series.months) else 0


def _npv_live_by(months: list[date], valued: list[ValuedRow]) -> list[int]:
    """For each month, the summed NPV of the rows whose go-live month is no later."""
    live = sorted(
        (v.row.go_live_on.replace(day=1), v.npv_pence) for v in valued if v.row.go_live_on
    )
    starts = np.array([day.toordinal() for day, _ in live], dtype=np.int64)
    running = np.cumsum([npv for _, npv in live], dtype=np.int64)
    found = np.searchsorted(starts, [m.toordinal() for m in months], side="right")
    return [int(running[i - 1]) if i else 0 for i in found]


def _series(
    claimed: CumulativeSeries,
    validated: CumulativeSeries,
    shrunk: CumulativeSeries,
    valued: list[ValuedRow],
) -> list[MonthPoint]:
    claimed_at, validated_at = claimed.by_month(), validated.by_month()
    shrunk_at = shrunk.by_month()
    months = sorted(set(claimed_at) | set(validated_at))
    npv_by = dict(zip(months, _npv_live_by(months, valued), strict=True))
    points = []
    for month in months:
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
                round(shrunk_at.get(month, (0.0, 0.0))[0]),
                npv_by[month],
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


def _by_financial_year(points: list[MonthPoint]) -> list[tuple[str, int, int, int]]:
    """Net savings accrued within each financial year (the change in the cumulative figure):
    claimed, validated and validated shrunk."""
    last: dict[str, MonthPoint] = {}
    for point in points:
        last[financial_year(point.month)] = point
    rows, previous = [], (0, 0, 0)
    for label, point in last.items():
        now = (point.claimed_pence, point.validated_pence, point.validated_shrunk_pence)
        rows.append((label, *(a - b for a, b in zip(now, previous, strict=True))))
        previous = now
    return rows


def _breakdown(key, groups, claimed: list[SavingRow], valued: list[ValuedRow], today):
    """Per group: claimed and validated totals (statistical bands, as the monthly ones),
    the shrunk total, realised to date and NPV of the validated, and the level-2 reported."""
    claimed_items, headline, reported = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in claimed:
        claimed_items[key(row)].append(row.item)
    for v in valued:
        (headline if _validated(v.row) else reported)[key(v.row)].append(v)
    return [
        Breakdown(
            value,
            label,
            total_savings(claimed_items[value]),
            total_savings(v.row.item for v in headline[value]),
            validated_shrunk_pence=sum(v.shrunk_pence for v in headline[value]),
            realised_pence=_realised([v.row for v in headline[value]], today),
            npv_pence=sum(v.npv_pence for v in headline[value]),
            reported_pence=sum(v.row.item.annual_saving_pence for v in reported[value]),
        )
        for value, label in groups
    ]


def _validated(row: SavingRow) -> bool:
    """Counted in the headline: validated by a comparison (evidence level 3 or more)."""
    return (row.evidence_level or 0) >= HEADLINE_LEVEL


def _go_live_year(row: SavingRow) -> str:
    return financial_year(row.go_live_on) if row.go_live_on else "Not live"


def _sensitivity(headline: HonestFigures, raw_total: int, with_level_2: int) -> Sensitivity:
    base = headline.shrunk.total_pence
    scenarios = [
        ("Evidence level 2 included (shrunk with it)", with_level_2, True),
        ("Shrinkage off (the approved estimates as they are)", raw_total, False),
        ("Every input range at its low", headline.all_inputs_low_pence, False),
        ("Every input range at its high", headline.all_inputs_high_pence, False),
    ]
    return Sensitivity(
        base,
        [Scenario(label, total, total - base, level_2) for label, total, level_2 in scenarios],
    )


def treasury_dashboard(
    filters: TreasuryFilters, today: date, lasting_known: KnownChecks | None = None
) -> TreasuryDashboard:
    """The figures for these filters on this day; ``lasting_known`` remembers did-it-last
    flags between calls (see `lasting.lasting_checks`)."""
    where = []
    in_departments = []
    if filters.department_ids:
        in_departments.append(Improvement.department_id.in_(filters.department_ids))
    if filters.pillar:
        where.append(Improvement.pillar == filters.pillar)
    if filters.kind:
        where.append(Improvement.kind == filters.kind)
    claimed = claimed_rows(*in_departments, *where)
    validated = validated_rows(*in_departments, *where)
    if filters.level:
        claimed = [row for row in claimed if row.evidence_level == filters.level]
        validated = [row for row in validated if row.evidence_level == filters.level]
    # The pool is the departments' whole register: the pillar, kind and level filters
    # choose what is added up, never what the effects are shrunk toward.
    pool = pool_rows(*in_departments)
    valued = value_savings(validated, pool=pool).rows
    headline = [v for v in valued if _validated(v.row)]
    reported = [v for v in valued if not _validated(v.row)]
    with_level_2 = value_savings(validated, include_level_2=True, pool=pool).rows
    validated_rows_shown = [v.row for v in headline]
    points = _series(
        _cumulative(claimed, today),
        _cumulative(validated_rows_shown, today),
        _cumulative(validated_rows_shown, today, [v.shrunk_pence for v in headline]),
        headline,
    )
    shown = _in_period(points, filters)
    shown_years = {financial_year(point.month) for point in shown}
    departments = db.session.execute(
        select(Department.id, Department.name).order_by(Department.name)
    ).all()
    honest = honest_figures(headline)

    def breakdown(key, groups) -> list[Breakdown]:
        return _breakdown(key, groups, claimed, valued, today)

    go_live_years = sorted({_go_live_year(row) for row in [*claimed, *validated]})
    return TreasuryDashboard(
        filters=filters,
        today=today,
        months=shown,
        by_financial_year=[row for row in _by_financial_year(points) if row[0] in shown_years],
        claimed=total_savings(c.item for c in claimed),
        honest=honest,
        reported=honest_figures(reported),
        sensitivity=_sensitivity(
            honest,
            honest.raw.total_pence,
            sum(v.shrunk_pence for v in with_level_2 if (v.row.evidence_level or 0) >= 2),
        ),
        by_department=breakdown(lambda r: r.department_id, departments),
        by_pillar=breakdown(lambda r: r.pillar, [(p, p.label) for p in Pillar]),
        by_kind=breakdown(lambda r: r.kind, [(k, k.label) for k in ImprovementKind]),
        by_cashable=breakdown(
            lambda r: r.item.cashable, [(True, "Cashable"), (False, "Non-cashable")]
        ),
        by_go_live_year=breakdown(_go_live_year, [(y, y) for y in go_live_years]),
        by_evidence_level=breakdown(
            lambda r: r.evidence_level, [(level, f"Level {level}") for level in LEVELS]
        ),
        top=sorted(headline, key=lambda v: -v.shrunk_pence)[:TOP_IMPROVEMENTS],
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
