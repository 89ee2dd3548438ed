"""The home page's task list: what waits for this person, from real queries.

Each role sees the groups of work that are theirs to do. Everything goes through the
scoping function, so a list can never show another department's records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from gains import numbers
from gains.access import scoped
from gains.extensions import db
from gains.models import Department, Improvement, Review, Role, Status, Team, User
from gains.models.base import utcnow
from gains.services.review.notes import standing_reviews

RECENT_APPROVALS_DAYS = 30
LIST_LIMIT = 10


@dataclass(frozen=True)
class TaskItem:
    label: str
    improvement_id: int | None = None
    detail: str = ""
    record_id: int | None = None  # the person or department an admin task is about
    comment: str = ""  # the reviewer's words, for work a review sent back
    comment_by: str = ""  # who wrote them
    comment_on: datetime | None = None  # and when


@dataclass(frozen=True)
class TaskGroup:
    key: str
    title: str
    hint: str
    empty: str
    total: int
    items: list[TaskItem] = field(default_factory=list)


def _days_since(moment: datetime | None, now: datetime) -> int:
    return (now - moment).days if moment else 0


def _improvements(user: Any, *statuses: Status, **filters: Any):
    stmt = select(Improvement).where(Improvement.status.in_(statuses))
    for name, value in filters.items():
        stmt = stmt.where(getattr(Improvement, name) == value)
    return scoped(stmt, user)


def _group(key, title, hint, empty, stmt, describe, *, prepare=None) -> TaskGroup:
    """A group of at most LIST_LIMIT records and their total; `prepare(records)`, if given,
    runs once before `describe(record, prepared)` for what the items need in one query."""
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    records = db.session.scalars(stmt.limit(LIST_LIMIT)).all()
    if prepare is not None:
        prepared = prepare(records)
        items = [describe(record, prepared) for record in records]
    else:
        items = [describe(record) for record in records]
    return TaskGroup(key, title, hint, empty, total or 0, items)


def _sent_back(improvement: Improvement, notes: dict[int, Review]) -> TaskItem:
    """Changes requested: the reviewer's comment itself, not only the title."""
    note = notes.get(improvement.id)
    if note is None:
        return TaskItem(improvement.title, improvement.id, improvement.team.name)
    return TaskItem(
        improvement.title,
        improvement.id,
        improvement.team.name,
        comment=note.comment or "",
        comment_by=note.reviewer.name,
        comment_on=note.decided_at,
    )


def _team_work(user: Any, now: datetime) -> list[TaskGroup]:
    awaiting = _improvements(user, Status.SUBMITTED).order_by(Improvement.submitted_at)
    if user.role is Role.MANAGER:
        # The department's submissions are the manager's review queue; here, only their own.
        awaiting = awaiting.where(Improvement.created_by_id == user.id)

    def improvement_item(detail):
        return lambda imp: TaskItem(imp.title, imp.id, detail(imp))

    return [
        _group(
            "changes_requested",
            "Changes requested",
            "A reviewer sent these back: read the comment, amend and resubmit.",
            "Nothing has been sent back.",
            _improvements(user, Status.CHANGES_REQUESTED).order_by(Improvement.updated_at),
            _sent_back,
            prepare=standing_reviews,
        ),
        _group(
            "drafts",
            "Drafts to finish",
            "Complete the plan and start measuring.",
            "No drafts.",
            _improvements(user, Status.DRAFT).order_by(Improvement.updated_at.desc()),
            improvement_item(lambda imp: f"last changed {numbers.govuk_date(imp.updated_at)}"),
        ),
        _group(
            "running",
            "Running: log data, then submit",
            "Add measurements; submit for review when the planned sample is reached.",
            "Nothing is running.",
            _improvements(user, Status.RUNNING).order_by(Improvement.go_live_on),
            improvement_item(
                lambda imp: (
                    f"planned sample {imp.planned_sample_size:,}"
                    if imp.planned_sample_size
                    else "no planned sample size"
                )
            ),
        ),
        _group(
            "awaiting_review",
            "Waiting for review",
            "Submitted: a manager will approve, reject or ask for changes.",
            "Nothing is waiting for review.",
            awaiting,
            improvement_item(lambda imp: f"waiting {_days_since(imp.submitted_at, now)} days"),
        ),
    ]


def _review_queue(user: Any, now: datetime) -> TaskGroup:
    stmt = (
        _improvements(user, Status.SUBMITTED)
        .where(Improvement.created_by_id != user.id)  # nobody reviews their own
        .order_by(Improvement.submitted_at)
    )
    return _group(
        "to_review",
        "To review",
        "Submitted improvements in your department, oldest first.",
        "Nothing waits for your review.",
        stmt,
        lambda imp: TaskItem(
            imp.title, imp.id, f"{imp.team.name}, waiting {_days_since(imp.submitted_at, now)} days"
        ),
    )


def _figures_to_check(user: Any, now: datetime) -> list[TaskGroup]:
    since = now - timedelta(days=RECENT_APPROVALS_DAYS)
    latest_approval = (
        select(Review.improvement_id, func.max(Review.decided_at).label("approved_at"))
        .where(Review.decision == "approved")
        .group_by(Review.improvement_id)
        .subquery()
    )
    newly_approved = (
        _improvements(user, Status.APPROVED)
        .join(latest_approval, latest_approval.c.improvement_id == Improvement.id)
        .where(latest_approval.c.approved_at >= since)
        .order_by(latest_approval.c.approved_at.desc())
    )
    reopened = (
        _improvements(user, Status.SUBMITTED)
        .join(latest_approval, latest_approval.c.improvement_id == Improvement.id)
        .order_by(Improvement.submitted_at)
    )
    describe = lambda imp: TaskItem(imp.title, imp.id, imp.department.name)  # noqa: E731
    return [
        _group(
            "newly_approved",
            f"Validated in the last {RECENT_APPROVALS_DAYS} days",
            "New validated savings: check the figures before they count in the totals.",
            "Nothing was approved recently.",
            newly_approved,
            describe,
        ),
        _group(
            "reopened",
            "Reopened after approval",
            "New data or amendments arrived: the approved figure stands until re-approved.",
            "No approved improvement has been reopened.",
            reopened,
            describe,
        ),
    ]


def _administration(user: Any) -> list[TaskGroup]:
    no_password = scoped(select(User).where(User.password_hash.is_(None)), user).order_by(
        User.email
    )
    empty_departments = (
        scoped(select(Department), user)
        .where(~select(Team.id).where(Team.department_id == Department.id).exists())
        .order_by(Department.name)
    )
    return [
        _group(
            "invited",
            "Accounts without a password",
            "These people cannot sign in until they set a password.",
            "Every account has a password.",
            no_password,
            lambda u: TaskItem(f"{u.name} ({u.email})", None, u.role.label, record_id=u.id),
        ),
        _group(
            "empty_departments",
            "Departments without teams",
            "Add a team so that people can join the department.",
            "Every department has at least one team.",
            empty_departments,
            lambda d: TaskItem(d.name, None, d.code, record_id=d.id),
        ),
    ]


def tasks_for(user: Any) -> list[TaskGroup]:
    now = utcnow()
    if user.role is Role.MEMBER:
        return _team_work(user, now)
    if user.role is Role.MANAGER:
        return [_review_queue(user, now), *_team_work(user, now)]
    if user.role is Role.TREASURY:
        return _figures_to_check(user, now)
    return _administration(user)
