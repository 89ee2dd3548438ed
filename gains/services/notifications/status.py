"""What the outbox holds, for administrators: how many emails wait, went, failed or were
cancelled; the ones not sent, with their last error; and sending a failed one again (after
the mail server's problem is mended, its attempts start again from the first)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from gains.extensions import db
from gains.models.base import utcnow
from gains.models.notification import (
    CANCELLED,
    FAILED,
    NOTIFICATION_STATUSES,
    PENDING,
    SENT,
    Notification,
)
from gains.services.audit.events import record_event

# The order the page shows them: what needs an administrator first.
SHOWN_ORDER = (FAILED, PENDING, SENT, CANCELLED)
assert set(SHOWN_ORDER) == set(NOTIFICATION_STATUSES)


def counts() -> dict[str, int]:
    """How many emails have each status, every status listed (zero when none)."""
    found = dict(
        db.session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)
        ).all()
    )
    return {status: found.get(status, 0) for status in SHOWN_ORDER}


NOT_SENT_SHOWN = 50


def not_sent(limit: int = NOT_SENT_SHOWN) -> list[Notification]:
    """The failed emails, then those waiting, newest first within each."""
    return list(
        db.session.scalars(
            select(Notification)
            .options(joinedload(Notification.recipient))
            .where(Notification.status.in_((FAILED, PENDING)))
            .order_by(
                case((Notification.status == FAILED, 0), else_=1),
                Notification.created_at.desc(),
                Notification.id.desc(),
            )
            .limit(limit)
        )
    )


class NotFailed(ValueError):
    """Only a failed email can be sent again: one waiting is already going to be."""


def send_again(actor: Any, row: Notification) -> None:
    """Put a failed email back in the outbox, due now, with its attempts counted from one."""
    db.session.refresh(row, with_for_update=True)  # two administrators at once: one wins
    if row.status != FAILED:
        raise NotFailed("This email has not failed: it is sent or waiting to be sent already")
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    record_event(actor, "notification.sent_again", row, after={"kind": row.kind})
