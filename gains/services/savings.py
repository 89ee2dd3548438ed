"""Annual savings of improvements: claimed (current estimates) and validated (approvals).

../shared DESIGN "Money": claimed = current estimates of improvements that are running,
submitted, changes requested or approved; validated = the latest approval's snapshot, which
stands while an approved improvement is back in review. A rejection or a withdrawal after
that ends it: the improvement no longer claims a validated saving.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Decision, Improvement, Review, Status
from gains.services.estimates import cached_estimates
from gains.stats.money import CLAIMED_STATUSES, AnnualSaving, SavingItem, annual_saving

# Statuses in which the latest approval still stands as the validated figure.
VALIDATED_STATUSES = (Status.APPROVED, Status.SUBMITTED, Status.CHANGES_REQUESTED)


def saving_for(improvement: Improvement, result: dict[str, Any]) -> AnnualSaving | None:
    """The annual saving (with SE and CI) of an estimate, if the money terms are set."""
    if improvement.annual_volume is None or improvement.value_per_unit_gbp is None:
        return None
    if result.get("gain") is None or result.get("se") is None:
        return None
    return annual_saving(
        result["gain"],
        result["se"],
        result["gain_ci_low"],
        result["gain_ci_high"],
        Decimal(improvement.scale),
        Decimal(improvement.annual_volume),
        improvement.value_per_unit_gbp,
    )


@dataclass(frozen=True)
class ValidatedSaving:
    improvement: Improvement
    review: Review
    item: SavingItem

    @property
    def estimate(self) -> dict[str, Any]:
        return self.review.snapshot["estimate"]


@dataclass(frozen=True)
class ClaimedSaving:
    improvement: Improvement
    item: SavingItem


def latest_approvals(improvement_ids: Iterable[int]) -> dict[int, Review]:
    """The most recent approval of each improvement (that has one)."""
    ids = list(improvement_ids)
    if not ids:
        return {}
    newest = (
        select(Review.improvement_id, func.max(Review.id).label("review_id"))
        .where(Review.decision == Decision.APPROVED, Review.improvement_id.in_(ids))
        .group_by(Review.improvement_id)
        .subquery()
    )
    reviews = db.session.scalars(select(Review).join(newest, newest.c.review_id == Review.id))
    return {review.improvement_id: review for review in reviews}


def validated_savings(improvements: Iterable[Improvement]) -> list[ValidatedSaving]:
    candidates = [i for i in improvements if i.status in VALIDATED_STATUSES]
    approvals = latest_approvals(i.id for i in candidates)
    rows = []
    for improvement in candidates:
        review = approvals.get(improvement.id)
        if review is None:
            continue
        saving = review.snapshot["annual_saving"]
        rows.append(
            ValidatedSaving(
                improvement,
                review,
                SavingItem(
                    annual_saving_pence=saving["annual_saving_pence"],
                    se_pence=saving["se_pence"],
                    ci_excludes_zero=saving["ci_excludes_zero"],
                    cashable=bool(review.snapshot["money"]["cashable"]),
                    status=improvement.status.value,
                ),
            )
        )
    return rows


def claimed_savings(improvements: Iterable[Improvement]) -> list[ClaimedSaving]:
    claiming = [i for i in improvements if i.status.value in CLAIMED_STATUSES]
    # Cached only: the write path computes an estimate for every new data version, and an
    # improvement whose data give none (too few rows) claims nothing yet.
    estimates = cached_estimates(claiming)
    rows = []
    for improvement in claiming:
        estimate = estimates.get(improvement.id)
        if estimate is None:
            continue
        saving = saving_for(improvement, estimate.result)
        if saving is None:
            continue
        rows.append(
            ClaimedSaving(
                improvement,
                SavingItem(
                    annual_saving_pence=saving.annual_saving_pence,
                    se_pence=saving.se_pence,
                    ci_excludes_zero=saving.ci_excludes_zero,
                    cashable=improvement.cashable,
                    status=improvement.status.value,
                ),
            )
        )
    return rows
