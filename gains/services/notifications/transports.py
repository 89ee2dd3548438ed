"""How an email leaves Gains: SMTP (the standard library's smtplib) or GOV.UK Notify
(`notifications-python-client`), chosen by `GAINS_EMAIL_TRANSPORT`.

Each transport hands the outbox row's idempotency key to the receiver, so that the same
email sent twice (a crash between sending and marking it sent) is recognisably one email: as
the SMTP `Message-ID` and as Notify's `reference`. That does not stop the second copy: a
mail system that drops a Message-ID it has seen keeps one, but most deliver both, and Notify
sends both (the shared reference shows them as one in its records). Delivery is at least
once: a crash in that moment can give a person the same email twice, never none.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

TIMEOUT_SECONDS = 30


class TemporaryFailure(Exception):
    """The email may go if tried again later (server down, busy, timed out)."""


class SettingsFailure(TemporaryFailure):
    """The server refused Gains itself (a wrong SMTP password, Notify key or template): every
    email would fail alike, and all go once an administrator mends the settings."""


class PermanentFailure(Exception):
    """Trying again will not help (address refused, key or template wrong)."""


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str
    reason: str
    link: str | None
    preferences_link: str
    key: str  # the outbox row's idempotency key

    def text(self) -> str:
        """The whole plain-text email: what happened, the link, and why it came."""
        parts = [self.body]
        if self.link:
            parts.append(self.link)
        parts.append(
            f"You get this email because {self.reason}. "
            f"Choose which emails Gains sends you: {self.preferences_link}"
        )
        return "\n\n".join(parts) + "\n"


class Transport(Protocol):
    def send(self, email: OutgoingEmail) -> None: ...


class SmtpTransport:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = settings

    def message_id(self, key: str) -> str:
        domain = self.settings["EMAIL_FROM"].rpartition("@")[2] or "gains.invalid"
        return f"<{key}@{domain}>"

    def message(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings["EMAIL_FROM"]
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = self.message_id(email.key)
        message.set_content(email.text())
        return message

    def send(self, email: OutgoingEmail) -> None:
        settings = self.settings
        try:
            with smtplib.SMTP(
                settings["SMTP_HOST"], settings["SMTP_PORT"], timeout=TIMEOUT_SECONDS
            ) as smtp:
                if settings["SMTP_STARTTLS"] == "on":
                    smtp.starttls(context=ssl.create_default_context())
                if settings["SMTP_USERNAME"]:
                    smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"])
                smtp.send_message(self.message(email))
        except smtplib.SMTPAuthenticationError as error:
            raise SettingsFailure(
                f"The mail server refused Gains' login (GAINS_SMTP_USERNAME and "
                f"GAINS_SMTP_PASSWORD), {error.smtp_code}: {error.smtp_error!r}"
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(f"The mail server refused the address: {error}") from error
        except smtplib.SMTPResponseException as error:
            failure = PermanentFailure if 500 <= error.smtp_code < 600 else TemporaryFailure
            raise failure(
                f"The mail server said {error.smtp_code}: {error.smtp_error!r}"
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(f"Could not reach the mail server: {error}") from error


class NotifyTransport:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.settings = settings
        self.client = NotificationsAPIClient(
            settings["NOTIFY_API_KEY"],
            base_url=settings["NOTIFY_BASE_URL"],
            timeout=TIMEOUT_SECONDS,
        )

    def send(self, email: OutgoingEmail) -> None:
        from notifications_python_client.errors import APIError
        from requests import RequestException

        try:
            self.client.send_email_notification(
                email_address=email.to,
                template_id=self.settings["NOTIFY_TEMPLATE_ID"],
                personalisation={
                    "subject": email.subject,
                    "body": email.body,
                    "reason": email.reason,
                    "link": email.link or "",
                    "preferences_link": email.preferences_link,
                },
                reference=email.key,
            )
        except APIError as error:
            # Notify's 403 is a wrong key, and a 400 naming the template a wrong template id:
            # Gains' settings, mended once for every email. Any other 400 is this email's
            # own (its address): no retry mends it. The client reports a server it cannot
            # reach as 503.
            said = f"GOV.UK Notify said {error.status_code}: {error.message}"
            if error.status_code == 403 or (
                error.status_code == 400 and "template" in str(error.message).lower()
            ):
                raise SettingsFailure(said) from error
            failure = PermanentFailure if error.status_code == 400 else TemporaryFailure
            raise failure(said) from error
        except RequestException as error:
            raise TemporaryFailure(f"Could not reach GOV.UK Notify: {error}") from error


def transport_for(settings: Mapping[str, Any]) -> Transport | None:
    """The transport the settings choose; None when email is off."""
    return {"smtp": SmtpTransport, "notify": NotifyTransport}.get(
        settings["EMAIL_TRANSPORT"], lambda _: None
    )(settings)
