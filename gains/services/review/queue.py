"""The manager's review queue and what a review page needs beyond the estimate itself.

The queue lists a department's submitted improvements with the figures a reviewer ranks them
by: gain and annual saving with their intervals, the Benjamini-Hochberg adjusted p across the
department's submissions of the financial year each was submitted in, provisional until that
year closes (one adjustment per family for the whole queue, `decisions.review_families`),
warnings and days waiting. Everything is read through
`gains.access.scoped`, so a queue can never show another department's work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gains.access import scoped
from gains.extensions import db
from gains.models import (
    Amendment,
    BatchStatus,
    Decision,
    Estimate,
    Improvement,
    Review,
    Role,
    Status,
    UploadBatch,
)
from gains.models.base import utcnow
from gains.services.estimates.current import (
    ESTIMATION_METHODS,
    NoEstimate,
    current_estimate,
    current_estimates,
)
from gains.services.money.savings import saving_for
from gains.services.review.decisions import FamilyMember, review_families
from gains.stats.evidence import level_of_document
from gains.stats.money import AnnualSaving, financial_year_start

QUEUE_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
SORTS = {
    "waiting": "Days waiting (longest first)",
    "saving": "Annual saving (largest first)",
    "p": "Adjusted p (smallest first)",
    "title": "Title (A to Z)",
}
WARNING_FILTERS = {"yes": "With warnings", "no": "Without warnings"}


@dataclass(frozen=True)
class QueueFilters:
    team_id: int | None = None
    method: str | None = None  # a key of ESTIMATION_METHODS
    warnings: str | None = None  # a key of WARNING_FILTERS
    sort: str = "waiting"


@dataclass(frozen=True)
class QueueRow:
    improvement: Improvement
    estimate: Estimate | None
    no_estimate_reason: str | None
    saving: AnnualSaving | None
    family: FamilyMember | None
    warnings: int
    days_waiting: int

    @property
    def result(self) -> dict[str, Any]:
        return self.estimate.result if self.estimate else {}

    @property
    def evidence_level(self) -> int | None:
        return level_of_document(self.result) if self.estimate else None

    @property
    def method_name(self) -> str:
        method = self.estimate.method if self.estimate else ""
        return ESTIMATION_METHODS.get(method, (method, ""))[0]


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    # The viewer's own submissions: in the family, but another manager must review them.
    own: list[QueueRow] = field(default_factory=list)
    total: int = 0  # before filters (the viewer's own excluded)


def may_see_queue(user: Any) -> bool:
    """Managers review their department's queue; admins may read every department's."""
    return getattr(user, "is_authenticated", False) and user.role in QUEUE_ROLES


def _row(
    improvement: Improvement,
    estimate: Estimate | NoEstimate,
    family: dict[int, FamilyMember],
    now: datetime,
) -> QueueRow:
    found = None if isinstance(estimate, NoEstimate) else estimate
    result = found.result if found else {}
    return QueueRow(
        improvement=improvement,
        estimate=found,
        no_estimate_reason=estimate.reason if isinstance(estimate, NoEstimate) else None,
        saving=saving_for(improvement, result) if found else None,
        family=family.get(improvement.id),
        warnings=len(result.get("warnings") or ()),
        days_waiting=(now - improvement.submitted_at).days if improvement.submitted_at else 0,
    )


def _keep(row: QueueRow, filters: QueueFilters) -> bool:
    if filters.team_id is not None and row.improvement.team_id != filters.team_id:
        return False
    if filters.method and (row.estimate is None or row.estimate.method != filters.method):
        return False
    if filters.warnings == "yes" and not row.warnings:
        return False
    return not (filters.warnings == "no" and row.warnings)


# Rows without the figure a sort needs go last, whatever the order.
ORDERINGS: dict[str, Callable[[QueueRow], tuple]] = {
    "waiting": lambda row: (-row.days_waiting, row.improvement.title),
    "saving": lambda row: (
        row.saving is None,
        -(row.saving.annual_saving_pence if row.saving else 0),
        row.improvement.title,
    ),
    "p": lambda row: (
        row.family is None,
        row.family.adjusted_p if row.family else 0.0,
        row.improvement.title,
    ),
    "title": lambda row: (row.improvement.title.casefold(), row.improvement.id),
}


def review_queue(
    user: Any, filters: QueueFilters | None = None, *, now: datetime | None = None
) -> Queue:
    """Submitted improvements the user may see, filtered and sorted, with the figures."""
    filters = filters or QueueFilters()
    now = now or utcnow()
    submitted = db.session.scalars(
        scoped(select(Improvement).where(Improvement.status == Status.SUBMITTED), user)
    ).all()
    family = review_families(submitted, today=now.date())
    estimates = current_estimates(submitted)
    rows = [_row(i, estimates[i.id], family, now) for i in submitted]
    own = [row for row in rows if row.improvement.created_by_id == user.id]
    others = [row for row in rows if row.improvement.created_by_id != user.id]
    kept = sorted(
        (row for row in others if _keep(row, filters)),
        key=ORDERINGS.get(filters.sort, ORDERINGS["waiting"]),
    )
    return Queue(rows=kept, own=own, total=len(others))


@dataclass(frozen=True)
class MoneyWorkings:
    """The annual saving spelled out: gain ÷ scale × annual volume × £ per unit."""

    gain: float
    gain_se: float
    gain_ci_low: float
    gain_ci_high: float
    level: float
    scale: int
    annual_volume: int
    value_per_unit_gbp: Decimal
    factor_gbp: Decimal  # £ a year per unit of gain
    saving: AnnualSaving
    implementation_cost_gbp: Decimal


def money_workings(improvement: Improvement, result: dict[str, Any]) -> MoneyWorkings | None:
    """The numbers behind an estimate's annual saving (docs/DESIGN.md "Money"), or None while the
    estimate or the money terms are missing."""
    saving = saving_for(improvement, result)
    if saving is None:
        return None
    return MoneyWorkings(
        gain=result["gain"],
        gain_se=result["se"],
        gain_ci_low=result["gain_ci_low"],
        gain_ci_high=result["gain_ci_high"],
        level=result.get("level", 0.95),
        scale=improvement.scale,
        annual_volume=improvement.annual_volume,
        value_per_unit_gbp=improvement.value_per_unit_gbp,
        factor_gbp=Decimal(improvement.annual_volume)
        * improvement.value_per_unit_gbp
        / Decimal(improvement.scale),
        saving=saving,
        implementation_cost_gbp=improvement.implementation_cost_gbp,
    )


@dataclass(frozen=True)
class Figures:
    """Gain with its interval and the annual saving with its interval, in pence."""

    gain: float | None
    gain_ci_low: float | None
    gain_ci_high: float | None
    saving_pence: int | None
    saving_ci_low_pence: int | None
    saving_ci_high_pence: int | None


@dataclass(frozen=True)
class SinceApproval:
    """What changed between the latest approval's snapshot and now."""

    approval: Review
    data_version_then: int
    data_version_now: int
    rows_added: int
    batches_added: int
    rows_withdrawn: int
    batches_withdrawn: int
    amendments: list[Amendment]
    approved: Figures
    current: Figures | None  # None while the current data give no estimate

    @property
    def changed(self) -> bool:
        return self.data_version_now != self.data_version_then or bool(self.amendments)


def latest_approval(improvement: Improvement) -> Review | None:
    """The approval whose snapshot is the validated figure now, if there is one."""
    return db.session.scalars(
        select(Review)
        .where(Review.improvement_id == improvement.id, Review.decision == Decision.APPROVED)
        .order_by(Review.decided_at.desc(), Review.id.desc())
        .limit(1)
    ).first()


def _approved_figures(snapshot: dict[str, Any]) -> Figures:
    estimate, saving = snapshot.get("estimate") or {}, snapshot.get("annual_saving") or {}
    return Figures(
        estimate.get("gain"),
        estimate.get("gain_ci_low"),
        estimate.get("gain_ci_high"),
        saving.get("annual_saving_pence"),
        saving.get("ci_low_pence"),
        saving.get("ci_high_pence"),
    )


def _current_figures(improvement: Improvement) -> Figures | None:
    estimate = current_estimate(improvement)
    if isinstance(estimate, NoEstimate):
        return None
    result = estimate.result
    saving = saving_for(improvement, result)
    return Figures(
        result.get("gain"),
        result.get("gain_ci_low"),
        result.get("gain_ci_high"),
        saving.annual_saving_pence if saving else None,
        saving.ci_low_pence if saving else None,
        saving.ci_high_pence if saving else None,
    )


def _batches_since(improvement_id: int, moment_column, status: BatchStatus, since: datetime):
    batches, rows = db.session.execute(
        select(func.count(UploadBatch.id), func.coalesce(func.sum(UploadBatch.row_count), 0)).where(
            UploadBatch.improvement_id == improvement_id,
            UploadBatch.status == status,
            moment_column > since,
        )
    ).one()
    return int(batches), int(rows)


def since_approval(improvement: Improvement) -> SinceApproval | None:
    """Changes since the latest approval: data version then and now, batches confirmed or
    withdrawn after the decision, amendments after it, and approved against current figures.
    None when the improvement was never approved."""
    approval = latest_approval(improvement)
    if approval is None:
        return None
    decided_at = approval.decided_at
    batches_added, rows_added = _batches_since(
        improvement.id,
        func.coalesce(UploadBatch.confirmed_at, UploadBatch.created_at),
        BatchStatus.ACTIVE,
        decided_at,
    )
    batches_withdrawn, rows_withdrawn = _batches_since(
        improvement.id, UploadBatch.withdrawn_at, BatchStatus.WITHDRAWN, decided_at
    )
    amendments = db.session.scalars(
        select(Amendment)
        .where(Amendment.improvement_id == improvement.id, Amendment.amended_at > decided_at)
        .order_by(Amendment.amended_at)
    ).all()
    return SinceApproval(
        approval=approval,
        data_version_then=approval.data_version,
        data_version_now=improvement.data_version,
        rows_added=rows_added,
        batches_added=batches_added,
        rows_withdrawn=rows_withdrawn,
        batches_withdrawn=batches_withdrawn,
        amendments=list(amendments),
        approved=_approved_figures(approval.snapshot or {}),
        current=_current_figures(improvement),
    )


def family_of(improvement: Improvement, *, today: date | None = None) -> list[FamilyMember]:
    """The improvement's BH family (its department's submissions of the financial year it was
    submitted in), smallest p first."""
    family = review_families([improvement], today=today)
    return sorted(family.values(), key=lambda member: (member.p_value, member.improvement_id))


def why_no_adjusted_p(improvement: Improvement, estimate: Estimate | None) -> str:
    """Why the improvement has no adjusted p now, checked rather than assumed (issue 21: an
    approved item's page said "the method gives no p-value" beside its p-value). A family is
    a department's submissions of one financial year with a p-value (`review_families`)."""
    if estimate is None:
        return "there is no estimate yet"
    if estimate.p_value is None:
        return "the method gives no p-value"
    if improvement.submitted_at is None:
        return "it has not been submitted, and a family is the department's submissions"
    return "its estimate was not in the family when it was worked out"


def family_titles(user: Any, members: list[FamilyMember]) -> dict[int, str]:
    """Titles of the family's members that the user may read."""
    ids = [member.improvement_id for member in members]
    if not ids:
        return {}
    stmt = scoped(select(Improvement).where(Improvement.id.in_(ids)), user)
    return {improvement.id: improvement.title for improvement in db.session.scalars(stmt)}


def family_year_start(today: date | None = None) -> date:
    """1 April of the current financial year: its family still grows (provisional values)."""
    return financial_year_start(today or utcnow().date())
