"""Manager review: approve, reject or request changes, with the approval's snapshot.

An approval freezes what it approved: the estimate, the money parameters and the annual
saving they give, plus the Benjamini-Hochberg adjusted p the reviewer saw (history: the
deciding value is recomputed over the year's family as it grows, `review_families`). That
snapshot is the *validated* figure until a later approval replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from gains.bounds import ANNUAL_SAVING_GBP
from gains.extensions import db
from gains.models import MONEY_FIELDS, AuditEvent, Decision, Improvement, Review, Role, Status
from gains.models.base import utcnow
from gains.services.audit.events import jsonable
from gains.services.estimates.current import NoEstimate, current_estimate, current_estimates
from gains.services.improvements.workflow import (
    PermissionDenied,
    WorkflowError,
    change_status,
    lock_improvement,
)
from gains.services.money.savings import money_for
from gains.stats.appraisal import Appraisal
from gains.stats.evidence import level_of_document
from gains.stats.money import financial_year, financial_year_start
from gains.stats.multiplicity import benjamini_hochberg

DECISION_STATUS = {
    Decision.APPROVED: Status.APPROVED,
    Decision.REJECTED: Status.REJECTED,
    Decision.CHANGES_REQUESTED: Status.CHANGES_REQUESTED,
}


def may_review(user: Any, improvement: Improvement) -> bool:
    """Managers review their own department's work, never their own improvement."""
    return (
        getattr(user, "is_authenticated", False)
        and user.role is Role.MANAGER
        and user.department_id == improvement.department_id
        and not registered_by_this_manager(user, improvement)
    )


def registered_by_this_manager(user: Any, improvement: Improvement) -> bool:
    """A manager who registered the improvement: another manager must review it."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.role is Role.MANAGER
        and improvement.created_by_id == user.id
    )


@dataclass(frozen=True)
class FamilyMember:
    """One submission in its Benjamini-Hochberg family: its department's submissions of the
    financial year it was submitted in (docs/decisions/0029-pooling-and-the-year-family.md)."""

    improvement_id: int
    department_id: int
    p_value: float
    adjusted_p: float
    family_size: int
    year_start: date  # 1 April of the family's financial year
    final: bool  # the year has closed: the family no longer grows

    @property
    def year_end(self) -> date:
        """31 March, the family's last day: its adjusted p are provisional until then."""
        return date(self.year_start.year + 1, 3, 31)

    @property
    def financial_year(self) -> str:
        return financial_year(self.year_start)


def family_year_of(improvement: Improvement) -> date | None:
    """1 April of the financial year whose family the improvement belongs to (the year of its
    submission), None if it was never submitted."""
    submitted_at = improvement.submitted_at
    return financial_year_start(submitted_at.date()) if submitted_at else None


def review_families(
    improvements: Iterable[Improvement], *, today: date | None = None
) -> dict[int, FamilyMember]:
    """BH-adjusted p of every member of the families the improvements belong to, keyed by
    improvement id.

    A family is a department's improvements submitted in one financial year, whatever
    happened to them since (rejected and withdrawn ones too: leaving out the results that did
    not convince would be choosing the family by its outcome). The adjusted p is recomputed
    over the family as it stands, so it is provisional while the year runs and final once it
    has closed: deciding by the value frozen at each approval lets the false discovery rate
    drift above alpha as the year fills up (issue 19: 0.087 against 0.047), deciding by the
    year's final family keeps BH's guarantee (Benjamini & Hochberg 1995). Members without a
    p-value do not count towards m (as R's ``p.adjust``). One query and one adjustment per
    family, however long the queue.
    """
    today = today or utcnow().date()
    wanted = {
        (improvement.department_id, year)
        for improvement in improvements
        if (year := family_year_of(improvement)) is not None
    }
    if not wanted:
        return {}
    members = db.session.scalars(
        select(Improvement)
        .where(or_(*(_submitted_in(department, year) for department, year in wanted)))
        .order_by(Improvement.id)
    ).all()
    estimates = current_estimates(members)
    families: dict[tuple[int, date], list[tuple[int, float]]] = {}
    for member in members:
        estimate = estimates[member.id]
        if not isinstance(estimate, NoEstimate) and estimate.p_value is not None:
            key = (member.department_id, family_year_of(member))
            families.setdefault(key, []).append((member.id, estimate.p_value))
    this_year = financial_year_start(today)
    adjusted_p: dict[int, FamilyMember] = {}
    for (department_id, year), p_values in families.items():
        adjusted = benjamini_hochberg([p for _, p in p_values])
        for (improvement_id, p), value in zip(p_values, adjusted, strict=True):
            adjusted_p[improvement_id] = FamilyMember(
                improvement_id,
                department_id,
                p,
                float(value),
                len(p_values),
                year_start=year,
                final=year < this_year,
            )
    return adjusted_p


def _submitted_in(department_id: int, year_start: date) -> ColumnElement[bool]:
    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=UTC)

    return and_(
        Improvement.department_id == department_id,
        Improvement.submitted_at >= midnight(year_start),
        Improvement.submitted_at < midnight(year_start.replace(year=year_start.year + 1)),
    )


def family_member(improvement: Improvement, *, today: date | None = None) -> FamilyMember | None:
    """The improvement's place in its family now (None without a p-value or a submission)."""
    return review_families([improvement], today=today).get(improvement.id)


def _approval_snapshot(
    improvement: Improvement, estimate, family: FamilyMember | None = None
) -> dict:
    result = estimate.result
    money = money_for(improvement, result)
    if money is None:
        raise WorkflowError(
            "There is no saving to approve: set the annual volume and the value of one unit"
        )
    return {
        "data_version": improvement.data_version,
        "estimate": result,
        "money": {name: jsonable(getattr(improvement, name)) for name in MONEY_FIELDS}
        | {"scale": improvement.scale},
        # The saving with its interval (including the input ranges) and the appraisal, as
        # approved: the history and the public register show these, never a recomputation.
        "annual_saving": asdict(money.saving),
        "appraisal": approved_appraisal(money.appraisal),
        # What the reviewer saw when deciding (history): provisional unless the family's year
        # had closed; the deciding value is the family's as it stands (`review_families`).
        "bh_adjusted_p": family.adjusted_p if family else None,
        "bh_family": {
            "financial_year": family.financial_year,
            "size": family.family_size,
            "final": family.final,
        }
        if family
        else None,
    }


def approved_appraisal(appraisal: Appraisal | None) -> dict[str, Any] | None:
    """The appraisal's figures as an approval's snapshot keeps them (pence, as its saving)."""
    if appraisal is None:
        return None
    return {
        "pv_benefits_pence": appraisal.pv_benefits_pence,
        "pv_costs_pence": appraisal.pv_costs_pence,
        "npv_pence": appraisal.npv_pence,
        "bcr": appraisal.bcr,
        "payback_month": appraisal.payback_month,
    }


# The `reviews` columns that keep the approved money terms (cashable has its own, above).
APPROVED_TERMS = ("scale", *(name for name in MONEY_FIELDS if name != "cashable"))


def approval_columns(
    improvement: Improvement, estimate, family: FamilyMember | None = None
) -> dict:
    """An approval's `reviews` columns: the snapshot and the figures copied out of it."""
    snapshot = _approval_snapshot(improvement, estimate, family)
    saving = snapshot["annual_saving"]
    return {
        "snapshot": snapshot,
        "bh_adjusted_p": snapshot["bh_adjusted_p"],
        "gain": estimate.gain,
        "gain_se": estimate.se,
        "annual_saving_gbp": Decimal(saving["annual_saving_pence"]) / 100,
        "annual_saving_se_gbp": Decimal(saving["se_pence"]) / 100,
        "saving_ci_excludes_zero": saving["ci_excludes_zero"],
        "cashable": bool(snapshot["money"]["cashable"]),
        "hedges_g": snapshot["estimate"].get("hedges_g"),
        "hedges_g_variance": snapshot["estimate"].get("hedges_g_variance"),
        "evidence_level": level_of_document(snapshot["estimate"]),
        # The money terms as approved (Treasury prices approvals from these columns).
        **{name: getattr(improvement, name) for name in APPROVED_TERMS},
    }


def _approval_fields(improvement: Improvement) -> dict:
    estimate = current_estimate(improvement)
    if isinstance(estimate, NoEstimate):
        raise WorkflowError(f"There is no estimate to approve: {estimate.reason}")
    columns = approval_columns(improvement, estimate, family_member(improvement))
    _require_bankable(columns["snapshot"]["annual_saving"])
    return columns


def _require_bankable(saving: dict) -> None:
    """Refuse an approval whose saving, standard error or interval lies beyond
    `bounds.ANNUAL_SAVING_GBP`: every input within its own bound can still multiply into a
    figure nobody could bank (or store)."""
    figures = ("annual_saving_pence", "se_pence", "ci_low_pence", "ci_high_pence")
    if any(ANNUAL_SAVING_GBP.problem(Decimal(saving[name]) / 100) for name in figures):
        raise WorkflowError(
            "This approval would bank an annual saving, or an uncertainty in it, beyond "
            f"£{ANNUAL_SAVING_GBP.high:,} a year: check the scale, the annual volume and "
            "the value of one unit, and amend them before approving"
        )


class DataChanged(WorkflowError):
    """The data moved between the reviewer reading them and deciding."""


# The audit events of the writes that give an improvement a new data version (`data_changed`
# and amendments): what the refusal below tells the reviewer about.
DATA_VERSION_EVENTS = (
    "batch.recorded",
    "batch.confirmed",
    "batch.withdrawn",
    "measurement.edited",
    "measurement.deleted",
    "improvement.amended",
    # PDSA cycles started, ended or changed (services/improvements/cycles.py; decision 0048).
    "cycle.started",
    "cycle.ended",
    "cycle.updated",
)


def _counted(count: int, singular: str, plural: str) -> str:
    return f"{count:,} {singular if count == 1 else plural}"


def changes_since(improvement: Improvement, seen_data_version: int) -> str | None:
    """In words, what gave the improvement its data versions after `seen_data_version`
    ("3 new rows and it was amended"), read from the newest audit events of the writes that
    move the version; None if they cannot be told apart."""
    missing = improvement.data_version - seen_data_version
    if missing <= 0:
        return None
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.improvement_id == improvement.id,
            AuditEvent.action.in_(DATA_VERSION_EVENTS),
        )
        .order_by(AuditEvent.id.desc())
    )
    counts = dict.fromkeys(("added", "withdrawn", "edited", "deleted", "amended", "cycle"), 0)
    for event in events:
        after = event.after or {}
        if event.action == "batch.recorded" and after.get("pending"):
            continue  # waits for confirmation: no new version yet
        if event.action in ("batch.recorded", "batch.confirmed"):
            counts["added"] += int(after.get("rows") or 0)
        elif event.action == "batch.withdrawn":
            counts["withdrawn"] += int(after.get("rows") or 0)
        elif event.action.startswith("cycle."):
            counts["cycle"] += 1
        else:
            counts[event.action.partition(".")[2]] += 1
        missing -= 1
        if missing == 0:
            break
    parts = [
        _counted(counts["added"], "new row", "new rows") if counts["added"] else "",
        _counted(counts["withdrawn"], "row", "rows") + " withdrawn" if counts["withdrawn"] else "",
        _counted(counts["edited"], "row", "rows") + " corrected" if counts["edited"] else "",
        _counted(counts["deleted"], "row", "rows") + " deleted" if counts["deleted"] else "",
        "it was amended" if counts["amended"] else "",
        _counted(counts["cycle"], "PDSA cycle change", "PDSA cycle changes")
        if counts["cycle"]
        else "",
    ]
    parts = [part for part in parts if part]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def data_changed_message(improvement: Improvement, seen_data_version: int) -> str:
    what = changes_since(improvement, seen_data_version)
    return (
        f"The data changed while you were reviewing{f': {what}' if what else ''}. "
        "Review the current figures, then decide again."
    )


def decide(
    reviewer: Any,
    improvement: Improvement,
    decision: Decision,
    comment: str,
    *,
    seen_data_version: int | None = None,
) -> Review:
    """Record a review decision on a submitted improvement.

    The decision is of the data as they are under the improvement's row lock
    (`lock_improvement`, taken first): a write of rows or an amendment waits until the
    decision commits, and then reopens an approval (`measurements.data_changed`), so an
    approved improvement's latest approval is always of its current data version.
    `seen_data_version` is the version the reviewer read (the web form sends it, the API
    may); if the data moved since, the decision is refused (`DataChanged`) rather than made
    on figures nobody saw. Without it the decision is of the version read under the lock.
    """
    if not may_review(reviewer, improvement):
        raise PermissionDenied(
            "Only a manager of this department who did not register it can review it"
        )
    improvement = lock_improvement(improvement)
    if improvement.status is not Status.SUBMITTED:
        raise WorkflowError("Only submitted improvements can be reviewed")
    if seen_data_version is not None and seen_data_version != improvement.data_version:
        raise DataChanged(data_changed_message(improvement, seen_data_version))
    comment = (comment or "").strip()
    if decision is not Decision.APPROVED and not comment:
        raise WorkflowError("Explain your decision in a comment")
    approval: dict = {}
    if decision is Decision.APPROVED:
        approval = _approval_fields(improvement)
    # Built only once everything is known: an autoflush must never see a half-made review.
    review = Review(
        improvement=improvement,
        reviewer_id=reviewer.id,
        decision=decision,
        comment=comment or None,
        data_version=improvement.data_version,
        decided_at=utcnow(),
        **approval,
    )
    db.session.add(review)
    change_status(
        reviewer,
        improvement,
        DECISION_STATUS[decision],
        f"review.{decision.value}",
        note=comment or None,
    )
    return review
