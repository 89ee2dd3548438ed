"""Deliver the outbox after commit: `gains notifications send` (cron) and `--watch` (a worker).

At least once, never lost: a due row is claimed in a short transaction of its own that
counts the attempt and moves its next attempt to when a retry would be due anyway; the email
is sent outside any transaction (no lock is held while a mail server answers); a second
transaction marks it sent. A crash after sending and before marking leaves the row to come
due again, and it is sent again with the same idempotency key (`transports`), which a
well-behaved receiver recognises as the same message. On PostgreSQL the claim is `SELECT ...
FOR UPDATE SKIP LOCKED`, so several senders share the rows without waiting on each other or
taking the same one; on SQLite the claim takes the database's write lock (`BEGIN
IMMEDIATE`, gains.database), so senders take turns.

Waits between attempts double from a minute up to six hours (`retry_delay`); after
`GAINS_EMAIL_MAX_ATTEMPTS` attempts, or an answer that no retry mends, the row is failed and
kept, with its last error, for an administrator to see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from gains.extensions import db
from gains.models.base import utcnow
from gains.models.notification import CANCELLED, FAILED, PENDING, SENT, Notification
from gains.services.notifications import kinds
from gains.services.notifications.outbox import absolute_url
from gains.services.notifications.transports import (
    OutgoingEmail,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    transport_for,
)
from gains.services.people.account_links import (
    INVITE,
    RESET,
    issue_link,
    lifetimes_from,
    purpose_for,
)

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 60
LONGEST_WAIT_SECONDS = 6 * 3600
ERROR_CHARS = 500  # the column's width


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th attempt: 1, 2, 4, ... minutes, at most 6 h."""
    exponent = min(attempts - 1, 20)  # 2**20 minutes is far past the cap already
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2**exponent, LONGEST_WAIT_SECONDS))


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.sent:,} sent, {self.retrying:,} to try again, {self.failed:,} failed, "
            f"{self.cancelled:,} cancelled"
        )


def _claim(now: datetime | None, batch: int) -> list[int]:
    """Count an attempt at up to `batch` due rows by `now` (default: the clock, read after
    this session's own rows are written) and push their next attempt back: the ids of the
    rows this sender now owns until then."""
    db.session.flush()
    now = now or utcnow()
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + retry_delay(row.attempts)
    ids = [row.id for row in rows]
    db.session.commit()
    return ids


def _set_password_link(row: Notification) -> str | None:
    """A fresh set-password link for an invitation or reset email; None if it no longer
    applies (the person has set a password since they were invited, or is deactivated, or
    Gains has no passwords now)."""
    if not current_app.config["GAINS_PASSWORD_SIGN_IN"]:
        return None  # passwords were switched off after it was written: no page to link to
    person = row.recipient
    expected = INVITE if row.kind == kinds.INVITATION else RESET
    if not person.active or purpose_for(person) != expected:
        return None
    link = issue_link(
        None,
        person,
        secret_key=current_app.config["SECRET_KEY"],
        lifetimes=lifetimes_from(current_app.config),
        audit=False,
        email=False,
    )
    return absolute_url("account.set_password", token=link.token)


def _email_of(row: Notification) -> OutgoingEmail | None:
    link = row.link
    # An invitation to sign in with the organisation account carries the sign-in page; a
    # set-password email carries no link until now.
    if row.kind in (kinds.INVITATION, kinds.RESET) and link is None:
        link = _set_password_link(row)
        if link is None:
            return None
    return OutgoingEmail(
        to=row.recipient.email,
        subject=row.subject,
        body=row.body,
        reason=row.reason,
        link=link,
        preferences_link=absolute_url("account.notifications"),
        key=row.idempotency_key,
    )


def _deliver(row_id: int, transport: Transport, max_attempts: int, report: DeliveryReport) -> None:
    row = db.session.get(Notification, row_id)
    email = _email_of(row)
    if email is None:
        row.status, row.last_error = CANCELLED, "The link no longer applies to this person"
        report.cancelled += 1
        db.session.commit()
        return
    db.session.commit()  # nothing is held open while the mail server answers
    try:
        transport.send(email)
    except (TemporaryFailure, PermanentFailure) as error:
        row = db.session.get(Notification, row_id)
        row.last_error = str(error)[:ERROR_CHARS]
        if isinstance(error, PermanentFailure) or row.attempts >= max_attempts:
            row.status = FAILED
            report.failed += 1
        else:
            report.retrying += 1
        report.errors.append(f"{row.idempotency_key}: {error}")
        log.warning("Email %s not sent (attempt %d): %s", row.idempotency_key, row.attempts, error)
    else:
        mark_sent(row_id)
        report.sent += 1
    db.session.commit()


def mark_sent(row_id: int) -> None:
    row = db.session.get(Notification, row_id)
    row.status, row.sent_at, row.last_error = SENT, utcnow(), None


def send_due(
    *, now: datetime | None = None, batch: int = 50, transport: Transport | None = None
) -> DeliveryReport:
    """Send every row due by `now`, `batch` claimed at a time."""
    settings = current_app.config["GAINS_EMAIL"]
    transport = transport or transport_for(settings)
    report = DeliveryReport()
    if transport is None:
        return report
    while ids := _claim(now, batch):
        for row_id in ids:
            _deliver(row_id, transport, settings["EMAIL_MAX_ATTEMPTS"], report)
    return report
