"""Manager review: approve, reject or request changes, with the approval's snapshot.

An approval freezes what it approved: the estimate, the money parameters and the annual
saving they give, plus the Benjamini-Hochberg adjusted p across the department's submissions
this financial year. That snapshot is the *validated* figure until a later approval replaces it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gains.extensions import db
from gains.models import MONEY_FIELDS, Decision, Improvement, Review, Role, Status
from gains.models.base import utcnow
from gains.services.audit import jsonable
from gains.services.estimates import NoEstimate, current_estimate
from gains.services.improvements import PermissionDenied, WorkflowError, change_status
from gains.stats.money import annual_saving
from gains.stats.multiplicity import benjamini_hochberg

DECISION_STATUS = {
    Decision.APPROVED: Status.APPROVED,
    Decision.REJECTED: Status.REJECTED,
    Decision.CHANGES_REQUESTED: Status.CHANGES_REQUESTED,
}


def financial_year_start(day: date) -> date:
    """1 April of the financial year (April to March) that contains `day`."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def may_review(user: Any, improvement: Improvement) -> bool:
    """Managers review their own department's work, never their own improvement."""
    return (
        getattr(user, "is_authenticated", False)
        and user.role is Role.MANAGER
        and user.department_id == improvement.department_id
        and improvement.created_by_id != user.id
    )


def bh_adjusted_p(improvement: Improvement) -> float | None:
    """BH-adjusted p of this improvement within its department's submissions this FY."""
    fy_start = financial_year_start(utcnow().date())
    family = db.session.scalars(
        select(Improvement).where(
            Improvement.department_id == improvement.department_id,
            Improvement.submitted_at.is_not(None),
        )
    ).all()
    p_values: dict[int, float] = {}
    for member in family:
        if member.id != improvement.id and member.submitted_at.date() < fy_start:
            continue
        estimate = current_estimate(member)
        if not isinstance(estimate, NoEstimate) and estimate.p_value is not None:
            p_values[member.id] = estimate.p_value
    if improvement.id not in p_values:
        return None
    ids = list(p_values)
    adjusted = benjamini_hochberg([p_values[i] for i in ids])
    return float(adjusted[ids.index(improvement.id)])


def _approval_snapshot(improvement: Improvement, estimate, bh_p: float | None) -> dict:
    result = estimate.result
    saving = annual_saving(
        gain=result["gain"],
        gain_se=result["se"],
        gain_ci_low=result["gain_ci_low"],
        gain_ci_high=result["gain_ci_high"],
        scale=Decimal(improvement.scale),
        annual_volume=Decimal(improvement.annual_volume),
        value_per_unit_gbp=improvement.value_per_unit_gbp,
    )
    return {
        "data_version": improvement.data_version,
        "estimate": result,
        "money": {name: jsonable(getattr(improvement, name)) for name in MONEY_FIELDS}
        | {"scale": improvement.scale},
        "annual_saving": asdict(saving),
        "bh_adjusted_p": bh_p,
    }


def _approval_fields(improvement: Improvement) -> dict:
    estimate = current_estimate(improvement)
    if isinstance(estimate, NoEstimate):
        raise WorkflowError(f"There is no estimate to approve: {estimate.reason}")
    bh_p = bh_adjusted_p(improvement)
    snapshot = _approval_snapshot(improvement, estimate, bh_p)
    saving = snapshot["annual_saving"]
    return {
        "snapshot": snapshot,
        "bh_adjusted_p": bh_p,
        "gain": estimate.gain,
        "gain_se": estimate.se,
        "annual_saving_gbp": Decimal(saving["annual_saving_pence"]) / 100,
        "annual_saving_se_gbp": Decimal(saving["se_pence"]) / 100,
    }


def decide(reviewer: Any, improvement: Improvement, decision: Decision, comment: str) -> Review:
    """Record a review decision on a submitted improvement."""
    if not may_review(reviewer, improvement):
        raise PermissionDenied(
            "Only a manager of this department who did not register it can review it"
        )
    if improvement.status is not Status.SUBMITTED:
        raise WorkflowError("Only submitted improvements can be reviewed")
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
