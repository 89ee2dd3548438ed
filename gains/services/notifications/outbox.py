"""Write notifications into the outbox, in the transaction of the event they tell of.

The workflow services call these after writing their event (`workflow.change_status`,
`publication.publish`, `account_links.issue_link`); the caller's commit writes the event and
its emails together, and its rollback drops both. Nothing here talks to a mail server:
`gains notifications send` delivers the rows after commit (`delivery`).

What an email says is only what its recipient may already see on the improvement's page: its
reference, its title and what happened, with a link. A reviewer's comment is not copied out;
the page shows it to those who may read it. With `GAINS_EMAIL_TRANSPORT=none` nothing is
written: the home page's tasks stay the only notice, as before issue 23.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import (
    AuditEvent,
    Decision,
    Improvement,
    Publication,
    Review,
    Role,
    Status,
    Team,
    User,
)
from gains.models.notification import Notification, NotificationOptOut
from gains.services.notifications import kinds


def email_on() -> bool:
    return current_app.config["GAINS_EMAIL"]["EMAIL_TRANSPORT"] != "none"


def absolute_url(endpoint: str, **values) -> str:
    """A page's full address at `GAINS_EMAIL_BASE_URL`, made without a request (commands
    write notifications too)."""
    base = urlsplit(current_app.config["GAINS_EMAIL"]["EMAIL_BASE_URL"] or "http://localhost")
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def opted_out(user_id: int) -> set[str]:
    return set(
        db.session.scalars(
            select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)
        )
    )


def set_choices(user: User, wanted: Iterable[str]) -> None:
    """Keep `user`'s choice: of the kinds their role can get, those in `wanted` on and the
    others off (a choice about kinds the role does not get is left as it was)."""
    wanted = set(wanted)
    offered = set(kinds.choosable_for(user.role))
    unknown = wanted - offered
    if unknown:
        raise ValueError(f"Not a kind of notification you get: {', '.join(sorted(unknown))}")
    off = offered - wanted
    # Two saves of one person's choice at once (a double click) must not both add the same
    # row: the person's row is locked first, so the second reads what the first wrote.
    # (SQLite has one writer at a time anyway; it ignores FOR UPDATE.)
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    current = opted_out(user.id)
    for kind in off - current:
        db.session.add(NotificationOptOut(user_id=user.id, kind=kind))
    for kind in (current & offered) - off:
        db.session.delete(db.session.get(NotificationOptOut, (user.id, kind)))


def _enqueue(
    recipients: Iterable[User],
    kind: str,
    event_key: str,
    *,
    subject: str,
    body: str,
    reason: str,
    link: str | None,
    improvement: Improvement | None = None,
) -> list[Notification]:
    """One row per active recipient who has not turned `kind` off (their choice is read now,
    as the row is written)."""
    if not email_on():
        return []
    recipients = [person for person in recipients if person.active]
    if kind in kinds.CHOOSABLE and recipients:
        declined = set(
            db.session.scalars(
                select(NotificationOptOut.user_id).where(
                    NotificationOptOut.kind == kind,
                    NotificationOptOut.user_id.in_([person.id for person in recipients]),
                )
            )
        )
        recipients = [person for person in recipients if person.id not in declined]
    rows = [
        Notification(
            recipient_id=person.id,
            kind=kind,
            subject=subject,
            body=body,
            reason=reason,
            link=link,
            improvement_id=improvement.id if improvement is not None else None,
            idempotency_key=f"gains-{event_key}-{person.id}",
        )
        for person in recipients
    ]
    db.session.add_all(rows)
    return rows


def _team_of(improvement: Improvement, actor_id: int | None) -> list[User]:
    """The team's people, but not whoever did what the email tells of."""
    return list(
        db.session.scalars(
            select(User).where(User.team_id == improvement.team_id, User.id != (actor_id or -1))
        )
    )


def _reviewers_of(improvement: Improvement, actor_id: int | None) -> list[User]:
    """The department's managers who may review it (not the one who registered it), but not
    whoever did what the email tells of."""
    return list(
        db.session.scalars(
            select(User)
            .join(Team, User.team_id == Team.id)
            .where(
                Team.department_id == improvement.department_id,
                User.role == Role.MANAGER,
                User.id != improvement.created_by_id,
                User.id != (actor_id or -1),
            )
        )
    )


# Review decisions and the reopening, told to the team: (kind, what happened).
TEAM_EVENTS = {
    "review.changes_requested": (kinds.CHANGES_REQUESTED, "a reviewer asked for changes"),
    "review.approved": (kinds.APPROVED, "it was approved"),
    "review.rejected": (kinds.REJECTED, "it was rejected"),
    "improvement.reopened": (kinds.REOPENED, "it went back to review because its data changed"),
}


def _tell_reviewers(
    event: AuditEvent, improvement: Improvement, event_key: str, *, subject: str, body: str
) -> list[Notification]:
    """An email to the managers who may review the improvement, of the kind they choose as
    "submitted for review"."""
    return _enqueue(
        _reviewers_of(improvement, event.actor_id),
        kinds.SUBMITTED,
        event_key,
        subject=subject,
        body=body,
        reason="you are a manager of the department the improvement belongs to",
        link=absolute_url("improvements.view", improvement_id=improvement.id),
        improvement=improvement,
    )


def status_changed(event: AuditEvent, improvement: Improvement, to: Status) -> list[Notification]:
    """The emails a change of status sends (`workflow.change_status` calls this)."""
    if not email_on():
        return []
    named = f"{improvement.reference} “{improvement.title}”"
    link = absolute_url("improvements.view", improvement_id=improvement.id)
    db.session.flush()  # the event's id names the emails
    if to is Status.SUBMITTED and event.action == "improvement.submit":
        return _tell_reviewers(
            event,
            improvement,
            f"event-{event.id}",
            subject=f"Waiting for your review: {named}",
            body=f"{named} was submitted for review by its team. Open it to review it.",
        )
    if event.action not in TEAM_EVENTS:
        return []
    reviewers = []
    if event.action == "improvement.reopened":
        # Back in the managers' queue: they are told as of a submission.
        reviewers = _tell_reviewers(
            event,
            improvement,
            f"event-{event.id}-review",
            subject=f"Back for review: {named}",
            body=f"{named} was approved, and new data have changed its estimate since, so "
            "it is waiting for review again. Open it to review it.",
        )
    kind, happened = TEAM_EVENTS[event.action]
    return reviewers + _enqueue(
        _team_of(improvement, event.actor_id),
        kind,
        f"event-{event.id}",
        subject=f"{named}: {happened}",
        body=f"Your team's improvement {named}: {happened}. Open it to see the details.",
        reason="you are in the team that runs the improvement",
        link=link,
        improvement=improvement,
    )


def published(event: AuditEvent, improvement: Improvement) -> list[Notification]:
    if not email_on():
        return []
    named = f"{improvement.reference} “{improvement.title}”"
    db.session.flush()  # the event's id names the emails
    return _enqueue(
        _team_of(improvement, event.actor_id),
        kinds.PUBLISHED,
        f"event-{event.id}",
        subject=f"{named} is on the public register",
        body=f"Your team's improvement {named} was published on the public register.",
        reason="you are in the team that runs the improvement",
        link=absolute_url("improvements.view", improvement_id=improvement.id),
        improvement=improvement,
    )


def link_issued(user: User, kind: str) -> list[Notification]:
    """An invitation (`kinds.INVITATION`) or reset (`kinds.RESET`) email. It keeps no link:
    `delivery` makes a fresh one as it sends, so no usable set-password link waits in the
    database."""
    if kind == kinds.INVITATION:
        subject = "You are invited to Gains"
        body = "An administrator has made you an account on Gains. Set your password here:"
    else:
        subject = "Reset your Gains password"
        body = "An administrator has made you a link to set a new password on Gains:"
    return _enqueue(
        [user],
        kind,
        f"link-{uuid.uuid4().hex}",
        subject=subject,
        body=body,
        reason="an administrator of Gains made you this link",
        link=None,
    )


def invited_to_sign_in(user: User) -> list[Notification]:
    """The invitation when Gains has no passwords (GAINS_PASSWORD_SIGN_IN=off): the person
    signs in with their organisation account, so the email links to the sign-in page and
    carries nothing secret."""
    return _enqueue(
        [user],
        kinds.INVITATION,
        f"invite-{uuid.uuid4().hex}",
        subject="You are invited to Gains",
        body="An administrator has made you an account on Gains. Sign in with your "
        f"organisation account ({user.email}) here:",
        reason="an administrator of Gains made you an account",
        link=absolute_url("auth.sign_in"),
    )


def weekly_summary(today: date) -> list[Notification]:
    """Treasury's summary of the week to `today`: how many improvements were approved and
    are published, by when it was decided and published, across departments (Treasury sees
    every approval). Once per week: a second run
    in the same ISO week writes nothing new."""
    start = datetime.combine(today - timedelta(days=6), time.min, tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)

    approved = db.session.scalar(
        select(func.count(func.distinct(Review.improvement_id))).where(
            Review.decision == Decision.APPROVED,
            Review.decided_at >= start,
            Review.decided_at < end,
        )
    )
    published_ = db.session.scalar(
        select(func.count()).where(
            Publication.published_at >= start,
            Publication.published_at < end,
            Publication.unpublished_at.is_(None),
        )
    )
    year, week, _ = today.isocalendar()
    key = f"weekly-{year}-w{week:02d}"
    treasury = list(db.session.scalars(select(User).where(User.role == Role.TREASURY)))
    taken = set(
        db.session.scalars(
            select(Notification.recipient_id).where(
                Notification.idempotency_key.like(f"gains-{key}-%")
            )
        )
    )
    return _enqueue(
        [person for person in treasury if person.id not in taken],
        kinds.WEEKLY_SUMMARY,
        key,
        subject=f"Gains: the week to {today:%-d %B %Y}",
        body=(
            f"In the 7 days to {today:%-d %B %Y}, across departments:\n"
            f"Improvements approved: {approved:,}\n"
            f"Improvements published on the public register: {published_:,}"
        ),
        reason="you have a Treasury account on Gains",
        link=absolute_url("dashboards.departments") if email_on() else None,
    )
