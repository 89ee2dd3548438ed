"""Notifications (issue 23): the outbox is written with the event and only then; delivery
after commit through a real SMTP server and a GOV.UK Notify stand-in, with retries, no
duplicate after a crash between sending and marking sent, and each person's choices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gains.config import email_config, email_problems, read_environment
from gains.models import BatchSource, Decision, Role, Team, User
from gains.models.base import utcnow
from gains.models.notification import CANCELLED, FAILED, PENDING, SENT, Notification
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from gains.services.notifications import delivery, kinds, outbox
from gains.services.notifications.delivery import retry_delay, send_due
from gains.services.people import account_links, accounts
from gains.services.public.publication import publish
from gains.services.review.decisions import decide
from tests.support.factories import person, rows, submitted_by
from tests.support.mail_servers import NotifyStandIn, SmtpServer

BASE_URL = "https://gains.example.gov.uk"


def email_settings(**changes) -> dict:
    """The email settings as `gains.config` builds them, from these values."""
    base = {"EMAIL_BASE_URL": BASE_URL, "EMAIL_FROM": "gains@example.gov.uk"}
    return email_config(read_environment({}) | base | changes)


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_on(app, monkeypatch, smtp_server):
    settings = email_settings(
        EMAIL_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port
    )
    settings["SMTP_STARTTLS"] = "off"  # the test server speaks plain SMTP
    assert email_problems(settings) == []
    monkeypatch.setitem(app.config, "GAINS_EMAIL", settings)
    return smtp_server


@pytest.fixture
def notify_on(app, monkeypatch):
    stand_in = NotifyStandIn()
    stand_in.start()
    settings = email_settings(
        EMAIL_TRANSPORT="notify",
        NOTIFY_API_KEY=stand_in.api_key,
        NOTIFY_TEMPLATE_ID="f33517ff-2a88-4f6e-b855-c550268ce08a",
        NOTIFY_BASE_URL=stand_in.base_url,
    )
    assert email_problems(settings) == []
    monkeypatch.setitem(app.config, "GAINS_EMAIL", settings)
    yield stand_in
    stand_in.stop()


def outbox_rows(session) -> list[Notification]:
    return session.scalars(select(Notification).order_by(Notification.id)).all()


def test_the_waits_double_from_a_minute_up_to_six_hours():
    waits = [retry_delay(attempt).total_seconds() for attempt in range(1, 12)]
    assert waits[:5] == [60, 120, 240, 480, 960]
    assert waits[-1] == 6 * 3600
    assert waits == sorted(waits)
    assert retry_delay(10_000) == timedelta(hours=6)


def test_nothing_is_written_when_email_is_off(session):
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    assert outbox_rows(session) == []


def test_a_submission_is_written_for_the_managers_who_may_review_it(session, smtp_on):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Quieter waiting room")
    rows = outbox_rows(session)
    reviewers = {
        user.id
        for user in session.scalars(select(User).where(User.role == Role.MANAGER))
        if user.department_id == improvement.department_id
    }
    assert rows and {row.recipient_id for row in rows} == reviewers
    assert {row.kind for row in rows} == {kinds.SUBMITTED}
    assert all(row.status == PENDING and row.attempts == 0 for row in rows)
    assert rows[0].link == f"{BASE_URL}/improvements/{improvement.id}"
    assert improvement.reference in rows[0].subject
    assert len({row.idempotency_key for row in rows}) == len(rows)


def test_a_decision_goes_to_the_team_without_the_comment(session, smtp_on):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Quieter waiting room")
    manager = person(session, "manager")
    before = {row.id for row in outbox_rows(session)}
    decide(manager, improvement, Decision.CHANGES_REQUESTED, "Add the March figures, please")
    session.flush()
    rows = [row for row in outbox_rows(session) if row.id not in before]
    team = {
        user.id
        for user in session.scalars(select(User).where(User.team_id == improvement.team_id))
        if user.id != manager.id and user.active
    }
    assert {row.recipient_id for row in rows} == team and member.id in team
    assert {row.kind for row in rows} == {kinds.CHANGES_REQUESTED}
    assert all("March" not in row.body + row.subject for row in rows)


def test_a_choice_is_honoured_when_the_email_is_written(session, smtp_on):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Quieter waiting room")
    offered = kinds.choosable_for(member.role)
    outbox.set_choices(member, set(offered) - {kinds.CHANGES_REQUESTED})
    session.flush()
    decide(person(session, "manager"), improvement, Decision.CHANGES_REQUESTED, "More data")
    session.flush()
    recipients = {
        row.recipient_id for row in outbox_rows(session) if row.kind == kinds.CHANGES_REQUESTED
    }
    assert member.id not in recipients
    outbox.set_choices(member, offered)
    session.flush()
    assert outbox.opted_out(member.id) == set()
    with pytest.raises(ValueError, match="Not a kind"):
        outbox.set_choices(member, ["everything"])


def test_an_event_rolled_back_writes_and_sends_nothing(session, smtp_on):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Quieter waiting room")
    send_due()
    sent_before = len(smtp_on.received)
    nested = session.begin_nested()
    decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    session.flush()
    assert any(row.kind == kinds.APPROVED for row in outbox_rows(session))
    nested.rollback()
    assert not any(row.kind == kinds.APPROVED for row in outbox_rows(session))
    assert str(send_due()).startswith("0 sent")
    assert len(smtp_on.received) == sent_before


def test_an_email_is_delivered_by_smtp_with_its_reason_and_a_link_to_the_choices(session, smtp_on):
    improvement = submitted_by(session, person(session, "member"), "Quieter waiting room")
    rows = outbox_rows(session)
    report = send_due()
    assert report.sent == len(rows) and report.retrying == report.failed == 0
    assert {row.status for row in outbox_rows(session)} == {SENT}
    message = smtp_on.received[0]
    row = next(row for row in rows if row.recipient.email == message["To"])
    assert message["Message-ID"] == f"<{row.idempotency_key}@example.gov.uk>"
    assert message["From"] == "gains@example.gov.uk"
    text = message.get_content()
    assert improvement.reference in message["Subject"]
    assert f"{BASE_URL}/improvements/{improvement.id}" in text
    assert "You get this email because you are a manager of the department" in text
    assert f"{BASE_URL}/account/notifications" in text
    assert str(send_due()).startswith("0 sent")  # nothing twice


def test_an_email_waits_and_goes_when_the_server_comes_back(session, smtp_on):
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    rows = outbox_rows(session)
    smtp_on.stop()
    first = send_due()
    assert first.retrying == len(rows) and first.sent == 0
    for row in outbox_rows(session):
        assert row.status == PENDING and row.attempts == 1
        assert "Could not reach the mail server" in row.last_error
    # Not due again before its wait is over, even with the server back.
    smtp_on.start()
    assert str(send_due()).startswith("0 sent")
    later = send_due(now=utcnow() + retry_delay(1))
    assert later.sent == len(rows)
    assert {(row.status, row.attempts) for row in outbox_rows(session)} == {(SENT, 2)}
    assert len(smtp_on.received) == len(rows)


def test_an_email_gives_up_after_its_last_attempt(session, smtp_on, app):
    app.config["GAINS_EMAIL"]["EMAIL_MAX_ATTEMPTS"] = 2
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    smtp_on.stop()
    send_due()
    report = send_due(now=utcnow() + retry_delay(1))
    assert report.failed == len(outbox_rows(session))
    assert {row.status for row in outbox_rows(session)} == {FAILED}
    assert str(send_due(now=utcnow() + timedelta(days=1))).startswith("0 sent")


class Crash(BaseException):
    """The process dies: nothing after this point runs (not an `Exception`, so no handler
    of the delivery catches it)."""


def test_a_crash_between_sending_and_marking_sent_sends_the_same_message_again(
    session, smtp_on, monkeypatch
):
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    rows = outbox_rows(session)

    def crash(row_id):
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(delivery, "mark_sent", crash)
        with pytest.raises(Crash):
            send_due()
    session.rollback()
    assert len(smtp_on.received) == 1
    assert outbox_rows(session)[0].status == PENDING
    # Nothing goes again while the dead sender's lease lasts; then everything does.
    assert str(send_due(now=utcnow() + retry_delay(1))).startswith("0 sent")
    report = send_due(now=utcnow() + delivery.CLAIM_LEASE)
    assert report.sent == len(rows)
    assert len(smtp_on.received) == len(rows) + 1  # the first went twice ...
    ids = [message["Message-ID"] for message in smtp_on.received]
    assert ids[0] == ids[1]  # ... as the same message, which a receiver that drops a
    assert len(smtp_on.kept()) == len(rows)  # Message-ID it has seen keeps once.


def test_an_email_is_delivered_by_notify_with_its_key_as_reference(session, notify_on):
    improvement = submitted_by(session, person(session, "member"), "Quieter waiting room")
    rows = outbox_rows(session)
    assert send_due().sent == len(rows)
    assert notify_on.refused == []
    body = notify_on.received[0]
    row = next(row for row in rows if row.recipient.email == body["email_address"])
    assert body["reference"] == row.idempotency_key
    assert body["template_id"] == "f33517ff-2a88-4f6e-b855-c550268ce08a"
    assert body["personalisation"]["link"] == f"{BASE_URL}/improvements/{improvement.id}"
    assert body["personalisation"]["preferences_link"] == f"{BASE_URL}/account/notifications"
    assert "manager of the department" in body["personalisation"]["reason"]


def test_a_crash_with_notify_sends_the_same_reference_again(session, notify_on, monkeypatch):
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    rows = outbox_rows(session)
    with monkeypatch.context() as patched:
        patched.setattr(delivery, "mark_sent", lambda row_id: (_ for _ in ()).throw(Crash))
        with pytest.raises(Crash):
            send_due()
    session.rollback()
    send_due(now=utcnow() + delivery.CLAIM_LEASE)
    assert len(notify_on.received) == len(rows) + 1
    assert len(notify_on.kept()) == len(rows)


def test_a_wrong_notify_key_keeps_the_emails_waiting_and_stops_the_run(session, notify_on, app):
    app.config["GAINS_EMAIL"]["NOTIFY_API_KEY"] = (
        f"gains_test-{notify_on.service_id}-00000000-0000-0000-0000-000000000000"
    )
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    report = send_due()
    assert report.stopped and (report.sent, report.failed, report.retrying) == (0, 0, 1)
    assert "stopped: the mail server refused Gains' settings" in str(report)
    assert len(notify_on.refused) == 1 and notify_on.received == []  # one try, not every email
    assert {row.status for row in outbox_rows(session)} == {PENDING}
    assert "GOV.UK Notify said 403" in outbox_rows(session)[0].last_error


@pytest.fixture
def invited(session, app, smtp_on) -> User:
    """A new person invited by the demo admin, with email on."""
    user = new_teammate(session, "new.person@example.org", "New Person")
    account_links.issue_link(
        person(session, "admin"), user, secret_key=app.config["SECRET_KEY"], audit=False
    )
    return user


def new_teammate(session, email: str, name: str) -> User:
    """A person added to the demo member's team by the demo admin, with no password."""
    return accounts.create_user(
        person(session, "admin"),
        email=email,
        name=name,
        role=Role.MEMBER,
        team=person(session, "member").team,
        password=None,
    )


def test_an_invitation_emails_a_working_link_made_as_it_is_sent(session, smtp_on, app, invited):
    (row,) = outbox_rows(session)
    assert row.kind == kinds.INVITATION and row.link is None  # no usable link waits here
    assert send_due().sent == 1
    text = smtp_on.received[0].get_content()
    token = text.split(f"{BASE_URL}/account/set-password/")[1].split()[0]
    user, purpose = account_links.user_for_link(token, secret_key=app.config["SECRET_KEY"])
    assert (user.id, purpose) == (invited.id, account_links.INVITE)


def test_an_invitation_to_someone_who_has_set_a_password_is_not_sent(session, smtp_on, invited):
    invited.set_password("a long enough password")
    report = send_due()
    assert report.cancelled == 1 and smtp_on.received == []
    assert outbox_rows(session)[0].status == CANCELLED


def test_treasury_gets_one_weekly_summary_a_week(session, smtp_on):
    today = utcnow().date()

    def approvals_counted() -> int:
        nested = session.begin_nested()
        body = outbox.weekly_summary(today)[0].body
        nested.rollback()
        return int(body.split("Improvements approved: ")[1].split()[0].replace(",", ""))

    improvement = submitted_by(session, person(session, "member"), "Quieter waiting room")
    before = approvals_counted()
    decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    session.flush()
    assert approvals_counted() == before + 1
    rows = outbox.weekly_summary(today)
    treasury = session.scalars(select(User).where(User.role == Role.TREASURY)).all()
    assert {row.recipient_id for row in rows} == {user.id for user in treasury}
    assert outbox.weekly_summary(today) == []  # once a week
    quiet_week = outbox.weekly_summary(today + timedelta(days=70))
    assert "Improvements approved: 0\n" in quiet_week[0].body


def test_withdrawing_sends_nothing(session, smtp_on):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Quieter waiting room")
    before = len(outbox_rows(session))
    workflow.withdraw(member, improvement, "Merged with another")
    session.flush()
    assert len(outbox_rows(session)) == before


def test_publishing_and_reopening_by_new_data_go_to_the_team(session, smtp_on):
    member = person(session, "member")
    teammate = new_teammate(session, "teammate@example.org", "Team Mate")
    improvement = submitted_by(session, member, "Quieter waiting room")
    manager = person(session, "manager")
    decide(manager, improvement, Decision.APPROVED, "")
    publish(manager, improvement, "Renewals came back sooner with the shorter letter.")
    record_batch(member, improvement, rows("after", [27, 29]), source=BatchSource.FORM)
    session.flush()
    assert improvement.status.value == "submitted"  # reopened by the new rows
    by_kind: dict[str, set[int]] = {}
    for row in outbox_rows(session):
        by_kind.setdefault(row.kind, set()).add(row.recipient_id)
    assert {member.id, teammate.id} <= by_kind[kinds.PUBLISHED]
    assert manager.id not in by_kind[kinds.PUBLISHED]  # who published it knows
    # The member added the rows: the rest of the team hears that it went back to review,
    # and the manager that it waits in the queue again.
    assert by_kind[kinds.REOPENED] == {teammate.id}
    back = [row for row in outbox_rows(session) if row.subject.startswith("Back for review")]
    assert [row.recipient_id for row in back] == [manager.id]
    # A corrected summary is not news: no second "published" email.
    decide(manager, improvement, Decision.APPROVED, "")
    publish(manager, improvement, "Renewals came back sooner with the shorter letter.")
    published_before = len([r for r in outbox_rows(session) if r.kind == kinds.PUBLISHED])
    publish(manager, improvement, "Renewals came back sooner with the plainer letter.")
    published_after = len([r for r in outbox_rows(session) if r.kind == kinds.PUBLISHED])
    assert published_after == published_before


def test_with_passwords_off_an_invitation_links_to_the_sign_in_page(session, smtp_on):
    user = new_teammate(session, "organisation.only@example.org", "Organisation Only")
    outbox.invited_to_sign_in(user)
    (row,) = outbox_rows(session)
    assert (row.kind, row.link) == (kinds.INVITATION, f"{BASE_URL}/auth/sign-in")
    assert send_due().sent == 1
    text = smtp_on.received[0].get_content()
    assert "Sign in with your organisation account (organisation.only@example.org)" in text
    assert f"{BASE_URL}/auth/sign-in" in text and "set-password" not in text


def test_a_set_password_email_is_cancelled_once_passwords_are_off(
    session, smtp_on, app, invited, monkeypatch
):
    monkeypatch.setitem(app.config, "GAINS_PASSWORD_SIGN_IN", False)
    assert send_due().cancelled == 1 and smtp_on.received == []
    assert outbox_rows(session)[0].status == CANCELLED


def test_two_senders_never_send_one_row_both(session, smtp_on):
    """Cron beside a `--watch` worker: the second sees no row the first has leased, and the
    first, outlived by its lease, skips the rows the second took over."""
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    rows = outbox_rows(session)
    first = delivery._claim(None, 10)
    assert len(first) == len(rows)
    assert str(send_due()).startswith("0 sent")  # leased to the first sender
    lease_ends = first[0][1]
    assert send_due(now=lease_ends + timedelta(seconds=1)).sent == len(rows)  # the second
    late = delivery.DeliveryReport()
    transport = delivery.transport_for(_settings())
    for row_id, leased in first:
        delivery._deliver(row_id, leased, transport, 10, late)
    assert (late.sent, late.cancelled) == (0, 0)
    assert len(smtp_on.received) == len(rows)


def _settings() -> dict:
    from flask import current_app

    return current_app.config["GAINS_EMAIL"]


def _deactivate(session, manager, improvement):
    manager.active = False


def _move_to_another_department(session, manager, improvement):
    other = session.scalar(
        select(Team).where(Team.department_id != improvement.department_id).limit(1)
    )
    manager.team_id = other.id


def _turn_off_submissions(session, manager, improvement):
    outbox.set_choices(manager, [])


def _make_a_member(session, manager, improvement):
    manager.role = Role.MEMBER


@pytest.mark.parametrize(
    ("since_written", "reason"),
    [
        (_deactivate, "The person's account is deactivated"),
        (_move_to_another_department, "The person may no longer see the improvement"),
        (_turn_off_submissions, "The person has turned these emails off"),
        (_make_a_member, "The person no longer reviews improvements"),
    ],
)
def test_an_email_that_no_longer_applies_when_it_goes_is_cancelled(
    session, smtp_on, since_written, reason
):
    improvement = submitted_by(session, person(session, "member"), "Quieter waiting room")
    (row,) = outbox_rows(session)  # the department's manager
    since_written(session, row.recipient, improvement)
    session.commit()
    report = send_due()
    assert report.cancelled == 1 and smtp_on.received == []
    assert (outbox_rows(session)[0].status, outbox_rows(session)[0].last_error) == (
        CANCELLED,
        reason,
    )


def test_an_unexpected_error_keeps_the_email_and_sends_the_rest(session, smtp_on):
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    rows = outbox_rows(session)
    real = delivery.transport_for(_settings())
    sent_to: list[str] = []

    class BreaksOnce:
        def send(self, email):
            if not sent_to:
                sent_to.append("broken")
                raise ValueError("a bug in building the message")
            real.send(email)
            sent_to.append(email.to)

    report = send_due(transport=BreaksOnce())
    assert (report.retrying, report.sent) == (1, len(rows) - 1)
    broken = next(row for row in outbox_rows(session) if row.status == PENDING)
    assert "Unexpected error while sending: ValueError" in broken.last_error


@pytest.mark.parametrize(
    ("host", "starttls", "refused"),
    [
        ("smtp.example.gov.uk", "off", True),
        ("smtp.example.gov.uk", "on", False),
        ("127.0.0.1", "off", False),  # the login never leaves the machine
    ],
)
def test_a_password_is_never_sent_to_a_mail_server_unencrypted(host, starttls, refused):
    settings = email_settings(
        EMAIL_TRANSPORT="smtp",
        SMTP_HOST=host,
        SMTP_STARTTLS=starttls,
        SMTP_USERNAME="gains",
        SMTP_PASSWORD="a secret",
    )
    problems = email_problems(settings)
    assert any("unencrypted" in problem for problem in problems) is refused
    assert len(problems) == int(refused)


def test_cron_hears_when_the_settings_are_refused(session, notify_on, app):
    from gains.commands.notifications import send_command

    app.config["GAINS_EMAIL"]["NOTIFY_API_KEY"] = (
        f"gains_test-{notify_on.service_id}-00000000-0000-0000-0000-000000000000"
    )
    submitted_by(session, person(session, "member"), "Quieter waiting room")
    session.commit()
    result = app.test_cli_runner().invoke(send_command, [])
    assert result.exit_code == 1
    assert "stopped: the mail server refused Gains' settings" in result.output
