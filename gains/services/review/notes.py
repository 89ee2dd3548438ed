"""The reviewer's latest word, where the team looks first: the top of the improvement page
and the home page's task list (issue 21, findability).

A decision stands while the improvement is still in the status it set: changes requested and
rejected always carry a comment (the reviews table requires one), an approval may. Once the
team resubmits, the request has been answered and the page's history keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from gains.extensions import db
from gains.models import Decision, Improvement, Review, Status

# The statuses a decision leaves an improvement in, and the decision that left it there.
DECIDED = {
    Status.CHANGES_REQUESTED: Decision.CHANGES_REQUESTED,
    Status.REJECTED: Decision.REJECTED,
    Status.APPROVED: Decision.APPROVED,
}


def _stands(improvement: Improvement, review: Review | None) -> bool:
    if review is None or DECIDED.get(improvement.status) is not review.decision:
        return False
    return review.decision is not Decision.APPROVED or bool((review.comment or "").strip())


def standing_review(improvement: Improvement) -> Review | None:
    """The latest review, if it set the improvement's current status and has something to
    say (an approval without a comment has not); None otherwise."""
    latest = improvement.reviews[-1] if improvement.reviews else None  # by decided_at
    return latest if _stands(improvement, latest) else None


def standing_reviews(improvements: Iterable[Improvement]) -> dict[int, Review]:
    """`standing_review` for many improvements in one query (the home page's lists)."""
    by_id = {improvement.id: improvement for improvement in improvements}
    if not by_id:
        return {}
    latest_at = (
        select(Review.improvement_id, func.max(Review.decided_at).label("decided_at"))
        .where(Review.improvement_id.in_(by_id))
        .group_by(Review.improvement_id)
        .subquery()
    )
    latest = db.session.scalars(
        select(Review)
        .join(
            latest_at,
            (latest_at.c.improvement_id == Review.improvement_id)
            & (latest_at.c.decided_at == Review.decided_at),
        )
        .options(joinedload(Review.reviewer))
        .order_by(Review.id)
    )
    found = {review.improvement_id: review for review in latest}  # the last id wins a tie
    return {
        improvement_id: review
        for improvement_id, review in found.items()
        if _stands(by_id[improvement_id], review)
    }
