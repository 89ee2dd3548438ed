"""Records of the demo register that tests of the figures act on, found by what they are."""

from __future__ import annotations

from sqlalchemy import select

from gains.extensions import db
from gains.models import Estimate, Improvement, Role, Status, User

# A submitted improvement of the demo register, awaiting review by the WKP manager.
SAVE_AND_RETURN = "Save and return on the renewal form"


def titled(title: str) -> Improvement:
    return db.session.scalars(select(Improvement).where(Improvement.title == title)).one()


def claiming_improvement() -> Improvement:
    """A running improvement with money terms and a current estimate: it claims a saving."""
    return db.session.scalars(
        select(Improvement)
        .join(
            Estimate,
            (Estimate.improvement_id == Improvement.id)
            & (Estimate.data_version == Improvement.data_version),
        )
        .where(Improvement.status == Status.RUNNING, Improvement.annual_volume.is_not(None))
        .where(Estimate.gain.is_not(None))
        .order_by(Improvement.id)
    ).first()


def manager_of(improvement: Improvement) -> User:
    """A manager who may review and publish it: of its department, not its registrant."""
    managers = db.session.scalars(select(User).where(User.role == Role.MANAGER, User.active))
    return next(
        user
        for user in managers
        if user.department_id == improvement.department_id and user.id != improvement.created_by_id
    )
