"""The notification outbox and each person's choice of notifications (issue 23).

A row of `notifications` is one email to one person, written in the same transaction as the
event it tells of (`gains.services.notifications.outbox`), so a rolled-back event leaves no
email and a committed one cannot lose its email when the mail server is down. `gains
notifications send` delivers the due rows after commit (`gains.services.notifications
.delivery`); docs/decisions/0050-notification-outbox.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from gains.models.org import User

# A row's life: pending until delivered (sent), or until its attempts run out (failed), or
# until what it carries no longer applies (cancelled: an invitation to someone who has since
# set a password).
PENDING, SENT, FAILED, CANCELLED = "pending", "sent", "failed", "cancelled"
NOTIFICATION_STATUSES = (PENDING, SENT, FAILED, CANCELLED)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # What `gains notifications send` looks for: pending rows whose time has come.
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    # Plain text. Invitation and reset emails keep no link here: the set-password link is
    # made when the email goes (nothing in the database is worth stealing, decision 0019).
    body: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(300))  # why this person gets it
    link: Mapped[str | None] = mapped_column(String(1000))
    # The improvement it tells of, if any: delivery checks the recipient may still see it
    # (a manager moved to another department since is not sent its review queue).
    improvement_id: Mapped[int | None] = mapped_column(
        ForeignKey("improvements.id", ondelete="CASCADE"), index=True
    )
    # Unique per (event, recipient); handed to the transport (SMTP Message-ID, Notify
    # `reference`), so a message sent again after a crash is the same message.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User] = relationship()


class NotificationOptOut(Base):
    """A person who does not want one kind of notification: a row per kind turned off, so
    everyone gets every kind until they say otherwise."""

    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
