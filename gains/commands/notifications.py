"""`gains notifications send` (cron, or `--watch` as a worker) and `gains notifications
weekly-summary` (Treasury's weekly email): docs/decisions/0050-notification-outbox.md."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from gains.config import ConfigError, email_problems
from gains.extensions import db
from gains.models.base import utcnow
from gains.services.notifications.delivery import send_due
from gains.services.notifications.outbox import weekly_summary

log = logging.getLogger(__name__)


def _require_email() -> None:
    settings = current_app.config["GAINS_EMAIL"]
    if settings["EMAIL_TRANSPORT"] == "none":
        raise click.UsageError(
            "Email is off (GAINS_EMAIL_TRANSPORT=none): set it to smtp or notify to send."
        )
    problems = email_problems(settings)
    if problems:
        raise ConfigError(" ".join(problems))


@click.group("notifications")
def notifications_group() -> None:
    """Emails: deliver the outbox, write Treasury's weekly summary."""


@notifications_group.command("send")
@click.option("--watch", is_flag=True, help="Keep sending as emails come due (a worker).")
@click.option(
    "--interval",
    type=click.IntRange(1, 3600),
    default=15,
    show_default=True,
    help="With --watch: seconds between looks at the outbox.",
)
@with_appcontext
def send_command(watch: bool, interval: int) -> None:
    """Send every email that is due, retrying failed ones with back-off."""
    _require_email()
    while True:
        try:
            report = send_due()
        except SQLAlchemyError as error:
            if not watch:
                raise
            # The database went away for a moment: the worker waits and looks again, as
            # cron would run again (what was leased comes due when its lease ends).
            log.warning("Emails: the outbox could not be read, trying again: %r", error)
            db.session.rollback()
            report = None
        db.session.remove()  # no connection or transaction is kept between rounds
        if report is not None and (
            report.sent or report.retrying or report.failed or report.cancelled or not watch
        ):
            click.echo(f"Emails: {report}.")
        if not watch:
            if report.stopped:
                raise click.exceptions.Exit(1)  # cron's owner hears of the wrong settings
            return
        time.sleep(interval)


@notifications_group.command("weekly-summary")
@with_appcontext
def weekly_summary_command() -> None:
    """Write Treasury's summary of the last 7 days (once a week; then run `send`)."""
    _require_email()
    rows = weekly_summary(utcnow().date())
    db.session.commit()
    click.echo(f"Weekly summary: {len(rows):,} emails written.")
