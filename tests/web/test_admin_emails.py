"""The administrator's view of the outbox (issue 23): what failed and why, what waits, and
sending a failed email again with its attempts counted afresh."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import AuditEvent
from gains.models.base import utcnow
from gains.models.notification import FAILED, PENDING, Notification
from gains.services.notifications import kinds
from tests.support.factories import person


def an_email(status: str, key: str, error: str | None = None) -> int:
    row = Notification(
        recipient_id=person(db.session, "manager").id,
        kind=kinds.SUBMITTED,
        subject=f"Submitted for review: {key}",
        body="An improvement waits for review.",
        reason="you review your department's improvements",
        link="https://gains.example/reviews/",
        idempotency_key=f"gains-test-{key}",
        status=status,
        attempts=8 if status == FAILED else 1,
        last_error=error,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def test_the_page_lists_what_failed_with_its_error_before_what_waits(app, signed_in):
    with app.app_context():
        an_email(PENDING, "waiting")
        an_email(FAILED, "refused", "SMTP said 550: mailbox unavailable")
    page = signed_in("admin").get("/admin/emails").get_data(as_text=True)
    assert "SMTP said 550: mailbox unavailable" in page
    assert page.index("Submitted for review: refused") < page.index("Submitted for review: waiting")
    assert page.count("Send again") == 1  # only the failed one
    assert "8 attempts" in page and "1 attempt;" in page
    assert "sends no email" in page  # the tests' settings have email off


def test_a_failed_email_is_sent_again_once(app, signed_in):
    with app.app_context():
        failed = an_email(FAILED, "refused", "SMTP said 451: try later")
    client = signed_in("admin")
    before = utcnow()
    answer = client.post(f"/admin/emails/{failed}/send-again")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/emails")
    with app.app_context():
        row = db.session.get(Notification, failed)
        assert (row.status, row.attempts) == (PENDING, 0)
        assert row.next_attempt_at >= before.replace(microsecond=0)
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "notification.sent_again")
        )
        assert (event.entity_type, event.entity_id, event.after) == (
            "notifications",
            failed,
            {"kind": kinds.SUBMITTED},
        )
    again = client.post(f"/admin/emails/{failed}/send-again", follow_redirects=True)
    assert "has not failed" in again.get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "notification.sent_again")
        ).all()
        assert len(events) == 1


@pytest.mark.parametrize("role", ["member", "manager", "treasury"])
def test_only_administrators_see_the_outbox(signed_in, role):
    assert signed_in(role).get("/admin/emails").status_code == 403
