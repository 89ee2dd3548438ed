"""Which approvals stand, worked out in the tests by walking the rows one by one (the code
under test does it with one grouped query)."""

from sqlalchemy import select

from gains.models import Decision, Improvement, Review, Status

STANDING = (Status.APPROVED, Status.SUBMITTED, Status.CHANGES_REQUESTED)


def standing_approvals(session, department_codes=None) -> list[tuple[Improvement, Review]]:
    """(improvement, its latest approval) for every improvement whose approval still stands."""
    rows = []
    for improvement in session.scalars(select(Improvement).order_by(Improvement.id)):
        if department_codes and improvement.department.code not in department_codes:
            continue
        if improvement.status not in STANDING:
            continue
        approvals = session.scalars(
            select(Review)
            .where(Review.improvement_id == improvement.id, Review.decision == Decision.APPROVED)
            .order_by(Review.id)
        ).all()
        if approvals:
            rows.append((improvement, approvals[-1]))
    return rows
