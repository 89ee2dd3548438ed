"""Deliver the outbox after commit: `gains notifications send` (cron) and `--watch` (a worker).

At least once, never lost. A sender leases a batch of due rows in a short transaction of its
own (their next attempt moves to the lease's end, `CLAIM_LEASE`, longer than the batch can
take); before each email it checks, under a row lock, that the row is still pending under
its lease (so cron beside a worker never both send one row), that it should still go
(`why_not_send`: the recipient still active, still wanting it, still allowed to see what it
tells of), and counts the attempt; the email is sent outside any transaction (no lock is
held while a mail server answers); a second transaction marks it sent. A crash after sending
and before marking leaves the row to come due when the lease ends, and it is sent again with
the same idempotency key (`transports`): the same message, which some receivers drop and
most deliver twice. On PostgreSQL the lease is taken with `SELECT ... FOR UPDATE SKIP
LOCKED`; on SQLite with the database's write lock (`BEGIN IMMEDIATE`, gains.database).

Waits between attempts double from a minute up to six hours (`retry_delay`); after
`GAINS_EMAIL_MAX_ATTEMPTS` attempts, or an answer that no retry mends, the row is failed and
kept, with its last error, for an administrator (Administration, Emails). A refusal of
Gains' own settings (a wrong password or key) stops the run: the emails wait, not fail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from gains.access import scoped
from gains.extensions import db
from gains.models import Improvement, Role
from gains.models.base import utcnow
from gains.models.notification import CANCELLED, FAILED, PENDING, SENT, Notification
from gains.services.notifications import kinds, outbox
from gains.services.notifications.outbox import absolute_url
from gains.services.notifications.transports import (
    TIMEOUT_SECONDS,
    OutgoingEmail,
    PermanentFailure,
    SettingsFailure,
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

# A sender leases the rows it claims for this long: longer than a batch can take (each
# email waits at most `TIMEOUT_SECONDS` for the server), so a second sender (cron beside a
# `--watch` worker) never takes a row the first is still sending. A sender that dies leaves
# its rows to come due when the lease ends.
BATCH = 10
CLAIM_LEASE = timedelta(seconds=3 * BATCH * TIMEOUT_SECONDS)
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
    stopped: bool = False  # the mail server refused Gains' own settings
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        counted = (
            f"{self.sent:,} sent, {self.retrying:,} to try again, {self.failed:,} failed, "
            f"{self.cancelled:,} cancelled"
        )
        if self.stopped:
            counted += "; stopped: the mail server refused Gains' settings (see the error)"
        return counted


def _claim(now: datetime | None, batch: int) -> list[tuple[int, datetime]]:
    """Lease up to `batch` rows due by `now` (default: the clock, read after this session's
    own rows are written) to this sender: their next attempt moves to the lease's end, which
    is also the claim's token. Returns (row id, lease end) pairs."""
    db.session.flush()
    now = now or utcnow()
    lease_ends = now + CLAIM_LEASE
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.next_attempt_at = lease_ends
    claimed = [(row.id, lease_ends) for row in rows]
    db.session.commit()
    return claimed


def _still_ours(row_id: int, lease_ends: datetime) -> Notification | None:
    """The row, locked, if it is still pending under this sender's lease; None if another
    sender took it after the lease ran out (or it was sent or cancelled meanwhile)."""
    row = db.session.get(Notification, row_id, with_for_update=True, populate_existing=True)
    if row is None or row.status != PENDING or row.next_attempt_at != lease_ends:
        return None
    return row


def why_not_send(row: Notification) -> str | None:
    """Why the email must not go now, though it was right when written (retries can last
    hours): None when it may go. Read as it is sent, like its recipient's choices."""
    person = row.recipient
    if not person.active:
        return "The person's account is deactivated"
    if row.kind in kinds.CHOOSABLE and row.kind in outbox.opted_out(person.id):
        return "The person has turned these emails off"
    if row.kind == kinds.SUBMITTED and person.role is not Role.MANAGER:
        return "The person no longer reviews improvements"
    if row.kind == kinds.WEEKLY_SUMMARY and person.role is not Role.TREASURY:
        return "The person is no longer in Treasury"
    if row.improvement_id is not None:
        visible = scoped(select(Improvement).where(Improvement.id == row.improvement_id), person)
        if db.session.scalar(visible) is None:
            return "The person may no longer see the improvement"
    return None


def _set_password_link(row: Notification) -> str | None:
    """A fresh set-password link for an invitation or reset email (whose person
    `why_not_send` has found active); None if it no longer applies (the person has set a
    password since they were invited, or Gains has no passwords now)."""
    if not current_app.config["GAINS_PASSWORD_SIGN_IN"]:
        return None  # passwords were switched off after it was written: no page to link to
    person = row.recipient
    expected = INVITE if row.kind == kinds.INVITATION else RESET
    if purpose_for(person) != expected:
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


def _email_of(row: Notification) -> OutgoingEmail | str:
    """The email to send, or why it must not go."""
    why_not = why_not_send(row)
    if why_not is not None:
        return why_not
    link = row.link
    # An invitation to sign in with the organisation account carries the sign-in page; a
    # set-password email carries no link until now.
    if row.kind in (kinds.INVITATION, kinds.RESET) and link is None:
        link = _set_password_link(row)
        if link is None:
            return "The link no longer applies to this person"
    return OutgoingEmail(
        to=row.recipient.email,
        subject=row.subject,
        body=row.body,
        reason=row.reason,
        link=link,
        preferences_link=absolute_url("account.notifications"),
        key=row.idempotency_key,
    )


def _deliver(
    row_id: int,
    lease_ends: datetime,
    transport: Transport,
    max_attempts: int,
    report: DeliveryReport,
) -> bool:
    """Send one leased row; False when the transport's settings are wrong, so the run stops
    rather than fail every email for the same reason."""
    row = _still_ours(row_id, lease_ends)
    if row is None:
        db.session.commit()
        return True
    email = _email_of(row)
    if isinstance(email, str):
        row.status, row.last_error = CANCELLED, email
        report.cancelled += 1
        db.session.commit()
        return True
    row.attempts += 1
    db.session.commit()  # nothing is held open while the mail server answers
    try:
        transport.send(email)
    except Exception as error:  # every failure is kept on the row; none stops other rows
        _failed_attempt(row_id, error, max_attempts, report)
        return not isinstance(error, SettingsFailure)
    mark_sent(row_id)
    report.sent += 1
    db.session.commit()
    return True


def _failed_attempt(
    row_id: int, error: Exception, max_attempts: int, report: DeliveryReport
) -> None:
    db.session.rollback()
    row = db.session.get(Notification, row_id, with_for_update=True, populate_existing=True)
    if not isinstance(error, TemporaryFailure | PermanentFailure):
        log.exception("Email %s: unexpected error while sending", row.idempotency_key)
        error = TemporaryFailure(f"Unexpected error while sending: {error!r}")
    row.last_error = str(error)[:ERROR_CHARS]
    if isinstance(error, PermanentFailure) or row.attempts >= max_attempts:
        row.status = FAILED
        report.failed += 1
    else:
        row.next_attempt_at = utcnow() + retry_delay(row.attempts)
        report.retrying += 1
    report.errors.append(f"{row.idempotency_key}: {error}")
    log.warning("Email %s not sent (attempt %d): %s", row.idempotency_key, row.attempts, error)
    db.session.commit()


def mark_sent(row_id: int) -> None:
    row = db.session.get(Notification, row_id)
    row.status, row.sent_at, row.last_error = SENT, utcnow(), None


def send_due(
    *, now: datetime | None = None, batch: int = BATCH, transport: Transport | None = None
) -> DeliveryReport:
    """Send every row due by `now`, `batch` leased at a time. Stops early when the mail
    server refuses Gains' own settings (a wrong password or key): the rows wait, counted,
    until the settings are mended."""
    settings = current_app.config["GAINS_EMAIL"]
    transport = transport or transport_for(settings)
    report = DeliveryReport()
    if transport is None:
        return report
    while claimed := _claim(now, batch):
        for row_id, lease_ends in claimed:
            if not _deliver(row_id, lease_ends, transport, settings["EMAIL_MAX_ATTEMPTS"], report):
                report.stopped = True
                return report
    return report
