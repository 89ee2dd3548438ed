"""The department dashboard: pooled effect, breakdowns, counts and savings.

Figures come from validated snapshots (what managers approved) and cached current estimates;
raw measurements are never loaded here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from gains.access import reads_every_department, scoped
from gains.extensions import db
from gains.models import Department, Design, Improvement, ImprovementKind, Pillar, Role, Status
from gains.services.improvements.register import RegisterFilters, filter_register
from gains.services.money.savings import SavingRow, claimed_rows, pool_rows, validated_rows
from gains.services.money.valuation import (
    HEADLINE_LEVEL,
    HonestFigures,
    ValuedRow,
    honest_figures,
    value_savings,
)
from gains.stats.effect_sizes import STANDARDISER_NAMES, STANDARDISERS
from gains.stats.inference import normal_interval
from gains.stats.money import SavingsTotal, split_by_cashable, total_savings
from gains.stats.pooling import (
    CI_METHOD_NAMES,
    METHODS,
    MIN_STUDIES,
    PooledEstimate,
    pool_random_effects,
)


def may_download_department(user: Any) -> bool:
    """The dashboard's files are for those who account for a department's savings: its
    managers, Treasury and admins (issue 21); members read the page."""
    return reads_every_department(user) or getattr(user, "role", None) is Role.MANAGER


@dataclass(frozen=True)
class PooledStudy:
    improvement_id: int
    title: str
    hedges_g: float
    variance: float
    standardiser: str | None  # a key of STANDARDISER_NAMES; None for a method it lacks

    @property
    def standardiser_name(self) -> str:
        return STANDARDISER_NAMES.get(self.standardiser, "not recorded")

    @property
    def ci(self) -> tuple[float, float]:
        return normal_interval(self.hedges_g, self.variance)


@dataclass(frozen=True)
class Pooling:
    method: str
    studies: list[PooledStudy]
    excluded_time_series: int
    excluded_no_effect_size: int
    result: PooledEstimate | None
    # Level 2 (no comparison group) is pooled only on request (docs/DESIGN.md "Statistics").
    include_level_2: bool = False
    excluded_level_2: int = 0

    @property
    def standardisers(self) -> list[tuple[str, int]]:
        """How many pooled effects divide by each standardiser: more than one means the pool
        mixes SMD and SMCR, which the page says."""
        counts = Counter(study.standardiser_name for study in self.studies)
        return sorted(counts.items())

    @property
    def ci_method_name(self) -> str | None:
        return CI_METHOD_NAMES[self.result.ci_method] if self.result else None

    @property
    def reason(self) -> str | None:
        if self.result is not None:
            return None
        return (
            f"Pooling needs at least {MIN_STUDIES} approved improvements with a standardised "
            f"effect; this department has {len(self.studies)}."
        )


@dataclass(frozen=True)
class Breakdown:
    value: str
    label: str
    count: int
    validated: SavingsTotal


@dataclass(frozen=True)
class DepartmentRef:
    """The department as the page needs it: plain values, so a dashboard can be cached."""

    id: int
    name: str


@dataclass(frozen=True)
class DepartmentDashboard:
    department: DepartmentRef
    pooling: Pooling
    status_counts: list[tuple[Status, int]]
    by_pillar: list[Breakdown]
    by_kind: list[Breakdown]
    claimed: SavingsTotal
    honest: HonestFigures  # validated by a comparison (evidence level 3+): raw, shrunk, NPV
    reported: HonestFigures  # evidence level 2: reported, not validated by a comparison
    validated_by_cashable: dict[str, SavingsTotal]
    valued_items: list[ValuedRow]  # every standing approval, the shrunk largest first
    claimed_items: list[SavingRow]

    @property
    def validated(self) -> SavingsTotal:
        """Validated annual savings (evidence level 3 and above), as approved."""
        return self.honest.raw

    @property
    def validated_items(self) -> list[SavingRow]:
        return [v.row for v in self.valued_items]


def pool_department(
    validated: Iterable[SavingRow], method: str = "dl", include_level_2: bool = False
) -> Pooling:
    """Random-effects pooling of approved improvements' Hedges' g (time series excluded:
    their effects are on weekly means, not comparable standardised units; evidence level 2,
    before/after without a comparison group, only with ``include_level_2``), each labelled
    with its design's standardiser (`effect_sizes.STANDARDISERS`)."""
    if method not in METHODS:
        method = "dl"
    studies, excluded_series, excluded_missing, excluded_level_2 = [], 0, 0, 0
    for row in validated:
        if row.design is Design.TIME_SERIES:
            excluded_series += 1
            continue
        if row.evidence_level == 2 and not include_level_2:
            excluded_level_2 += 1
            continue
        g, variance = row.hedges_g, row.hedges_g_variance
        if g is None or variance is None or variance <= 0:
            excluded_missing += 1
            continue
        standardiser = STANDARDISERS.get(row.estimate_method or "")
        studies.append(PooledStudy(row.improvement_id, row.title, g, variance, standardiser))
    studies.sort(key=lambda study: study.title)
    result = None
    if len(studies) >= MIN_STUDIES:
        result = pool_random_effects(
            [s.hedges_g for s in studies], [s.variance for s in studies], method=method
        )
    return Pooling(
        method,
        studies,
        excluded_series,
        excluded_missing,
        result,
        include_level_2,
        excluded_level_2,
    )


def _breakdown(enum, attribute: str, counts: Counter, validated) -> list[Breakdown]:
    rows = []
    for member in enum:
        items = [v.item for v in validated if getattr(v, attribute) is member]
        rows.append(
            Breakdown(member.value, member.label, counts.get(member, 0), total_savings(items))
        )
    return rows


def department_pooling(
    department_id: int, method: str = "dl", include_level_2: bool = False
) -> Pooling:
    """`pool_department` over the department's standing approvals."""
    return pool_department(
        validated_rows(Improvement.department_id == department_id), method, include_level_2
    )


def department_dashboard(
    department: Department, method: str = "dl", include_level_2: bool = False
) -> DepartmentDashboard:
    in_department = Improvement.department_id == department.id
    validated = validated_rows(in_department)
    claimed = claimed_rows(in_department)
    counts: dict[str, Counter] = {"status": Counter(), "pillar": Counter(), "kind": Counter()}
    for status, pillar, kind, n in db.session.execute(
        select(Improvement.status, Improvement.pillar, Improvement.kind, func.count())
        .where(in_department)
        .group_by(Improvement.status, Improvement.pillar, Improvement.kind)
    ):
        counts["status"][status] += n
        counts["pillar"][pillar] += n
        counts["kind"][kind] += n
    # Money is shrunk toward every estimated improvement of the department (decision 0035),
    # whatever the forest plot's choice of level-2 pooling.
    valued = value_savings(validated, pool=pool_rows(in_department)).rows
    headline = [v for v in valued if (v.evidence_level or 0) >= HEADLINE_LEVEL]
    counted = [v.row for v in headline]
    return DepartmentDashboard(
        department=DepartmentRef(department.id, department.name),
        pooling=pool_department(validated, method, include_level_2),
        status_counts=[(status, counts["status"][status]) for status in Status],
        by_pillar=_breakdown(Pillar, "pillar", counts["pillar"], counted),
        by_kind=_breakdown(ImprovementKind, "kind", counts["kind"], counted),
        claimed=total_savings(c.item for c in claimed),
        honest=honest_figures(headline),
        reported=honest_figures([v for v in valued if (v.evidence_level or 0) < HEADLINE_LEVEL]),
        validated_by_cashable=split_by_cashable(v.item for v in counted),
        valued_items=sorted(valued, key=lambda v: -v.shrunk_pence),
        claimed_items=sorted(claimed, key=lambda c: -c.item.annual_saving_pence),
    )


@dataclass(frozen=True)
class DepartmentLists:
    """What one person can open of a department's improvements, counted by the very query
    the improvements list runs for them (`scoped` and the register's department filter), so
    that a count on the dashboard is the number of rows its link opens, and only improvements
    they can open are links. Hashable: part of the dashboard's cache key."""

    openable: frozenset[int]
    counts: tuple[tuple[tuple[str, str], int], ...]  # ((filter, value), rows), e.g. status
    everything: bool  # the person can open every improvement of the department

    def count(self, name: str, value: str) -> int:
        """Rows of the list filtered by `name` ("status", "pillar", "kind") = `value`."""
        return dict(self.counts).get((name, value), 0)


LIST_FILTERS = ("status", "pillar", "kind")


def department_lists(user, department_id: int) -> DepartmentLists:
    listed = filter_register(
        scoped(select(Improvement), user), RegisterFilters(department_id=department_id)
    ).with_only_columns(Improvement.id, *(getattr(Improvement, name) for name in LIST_FILTERS))
    rows = db.session.execute(listed).all()
    in_department = db.session.scalar(
        select(func.count()).where(Improvement.department_id == department_id)
    )
    counts = Counter((name, getattr(row, name).value) for row in rows for name in LIST_FILTERS)
    return DepartmentLists(
        openable=frozenset(row.id for row in rows),
        counts=tuple(sorted(counts.items())),
        everything=len(rows) == in_department,
    )
