"""Settings from `GAINS_*` environment variables, validated without touching the outside world.

Each setting is declared once below, with its parser and default; the README's table is
generated from the same list (`gains config`). An unknown `GAINS_*` name or a value that does
not parse is a `ConfigError` with one line saying what to set, because a typo in production
(say `GAINS_DATABSE_URL`) must not silently fall back to an empty SQLite file.

We parse by hand rather than with `app.config.from_prefixed_env`, which would accept any
name and any JSON-ish value.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "GAINS_"
ENVIRONMENTS = ("development", "production")


class ConfigError(Exception):
    """A setting is missing or wrong; the message says what to set."""


@dataclass(frozen=True)
class Setting:
    name: str  # without the GAINS_ prefix
    help: str
    parse: Callable[[str], Any]
    default: Any = None


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _non_empty(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in logging.getLevelNamesMapping():
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return value


def _rate_limit(raw: str) -> str:
    """A rate-limit string such as "10 per 15 minutes" (the `limits` library's notation)."""
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ValueError('must read like "10 per 15 minutes" or "5/minute"') from None
    return raw.strip()


def _issuer_url(raw: str) -> str:
    """An OpenID Connect issuer: https, or http on this machine only (the tests' provider)."""
    from urllib.parse import urlsplit

    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if not parts.hostname or not (parts.scheme == "https" or local):
        raise ValueError("must be an https:// URL, such as https://accounts.google.com")
    return url


def _email_domains(raw: str) -> tuple[str, ...]:
    """Comma-separated domains such as `cabinetoffice.gov.uk, digital.cabinet-office.gov.uk`."""
    domains = tuple(part.strip().lower().lstrip("@") for part in raw.split(",") if part.strip())
    if not domains or any("@" in d or "." not in d or " " in d for d in domains):
        raise ValueError("must be one or more domains separated by commas, like example.gov.uk")
    return domains


def _base_url(raw: str) -> str:
    from urllib.parse import urlsplit

    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query:
        raise ValueError("must be an address starting with https:// (or http://)")
    return value


def normalise_database_url(raw: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick the psycopg 3 driver."""
    url = raw.strip()
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    if url.startswith(("postgresql+psycopg://", "sqlite://")):
        return url
    raise ValueError("must start with postgresql:// or sqlite:///")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        "`development` or `production`. Production requires a secret key and sends secure cookies.",
        _choice(*ENVIRONMENTS),
        "development",
    ),
    Setting(
        "SECRET_KEY",
        "Signs sessions and CSRF tokens. Required; `make run` writes a local one to `instance/`.",
        _non_empty,
    ),
    Setting(
        "DATABASE_URL",
        "SQLAlchemy URL, e.g. `postgresql://user:pass@host/gains`. "
        "Default: SQLite file `instance/gains.db`.",
        normalise_database_url,
    ),
    Setting(
        "LOG_LEVEL",
        "Python log level for the app: DEBUG, INFO, WARNING or ERROR.",
        _log_level,
        "INFO",
    ),
    Setting(
        "SESSION_HOURS",
        "How long a sign-in lasts, in hours.",
        _positive_int,
        12,
    ),
    Setting(
        "SIGN_IN_LIMIT_PER_ACCOUNT",
        "Sign-in attempts allowed for one email address, whether or not it has an account.",
        _rate_limit,
        "10 per 15 minutes",
    ),
    Setting(
        "SIGN_IN_LIMIT_PER_IP",
        "Sign-in attempts allowed from one IP address, across all email addresses.",
        _rate_limit,
        "50 per 15 minutes",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "Where the rate-limit counters live: `database://`, the app's database, which every "
        "worker and host shares (on SQLite a file beside it); a shared store such as "
        "`redis://host:6379`; or `memory://`, per process, for a single process only.",
        _non_empty,
        "database://",
    ),
    Setting(
        "FIGURES_CACHE",
        "`on` or `off`. On, each process keeps the dashboards' computed figures until the data "
        "behind them change (docs/ARCHITECTURE.md); `off` computes them on every request.",
        _choice("on", "off"),
        "on",
    ),
    Setting("INVITE_HOURS", "How long an invitation's set-password link works.", _positive_int, 72),
    Setting("RESET_HOURS", "How long a password-reset link works.", _positive_int, 1),
    Setting(
        "OIDC_ISSUER",
        "Organisation sign-in (OpenID Connect): the provider's issuer URL, e.g. "
        "`https://login.microsoftonline.com/<tenant id>/v2.0` or `https://accounts.google.com`. "
        "Set together with the client id, secret and allowed domains, or not at all.",
        _issuer_url,
    ),
    Setting("OIDC_CLIENT_ID", "The client (application) id Gains is registered with.", _non_empty),
    Setting("OIDC_CLIENT_SECRET", "The client secret of that registration.", _non_empty),
    Setting(
        "OIDC_EMAIL_DOMAINS",
        "Email domains whose people may sign in with the provider, separated by commas.",
        _email_domains,
    ),
    Setting(
        "PASSWORD_SIGN_IN",
        "`on` or `off`. Off, Gains has no local passwords: people sign in with the organisation's "
        "provider only (which must then be configured).",
        _choice("on", "off"),
        "on",
    ),
    # Notifications (issue 23; docs/decisions/0050-notification-outbox.md).
    Setting(
        "EMAIL_TRANSPORT",
        "`none`, `smtp` or `notify`: how notifications are emailed. `none` sends no email "
        "(links are copied by hand, work waits on the home page).",
        _choice("none", "smtp", "notify"),
        "none",
    ),
    Setting(
        "EMAIL_BASE_URL",
        "The address people open Gains at, e.g. `https://gains.example.gov.uk`, for the links "
        "in emails. Required when email is on.",
        _base_url,
    ),
    Setting(
        "EMAIL_FROM", "The sender of emails sent by SMTP, e.g. `gains@example.gov.uk`.", _non_empty
    ),
    Setting("SMTP_HOST", "The SMTP server's host name.", _non_empty),
    Setting("SMTP_PORT", "The SMTP server's port.", _positive_int, 587),
    Setting(
        "SMTP_STARTTLS",
        "`on` or `off`: upgrade the SMTP connection with STARTTLS before sending.",
        _choice("on", "off"),
        "on",
    ),
    Setting("SMTP_USERNAME", "The SMTP user name, if the server asks for one.", _non_empty),
    Setting("SMTP_PASSWORD", "The SMTP password, with `GAINS_SMTP_USERNAME`.", _non_empty),
    Setting("NOTIFY_API_KEY", "A GOV.UK Notify API key (a live or team key).", _non_empty),
    Setting(
        "NOTIFY_TEMPLATE_ID",
        "The id of the Notify email template, with the placeholders ((subject)), ((body)), "
        "((reason)), ((link)) and ((preferences_link)).",
        _non_empty,
    ),
    Setting(
        "NOTIFY_BASE_URL",
        "GOV.UK Notify's API address (change it only to test against a stand-in).",
        _base_url,
        "https://api.notifications.service.gov.uk",
    ),
    Setting(
        "EMAIL_MAX_ATTEMPTS",
        "How many times an email is tried, with waits doubling from 1 minute up to 6 hours, "
        "before it is given up as failed.",
        _positive_int,
        10,
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse every `GAINS_*` variable; raise `ConfigError` on the first unknown or bad one."""
    environ = os.environ if environ is None else environ
    values = {setting.name: setting.default for setting in SETTINGS}
    for key in sorted(environ):
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :]
        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            known = ", ".join(PREFIX + s.name for s in SETTINGS)
            raise ConfigError(f"{key} is not a Gains setting (known: {known}).")
        try:
            values[name] = setting.parse(environ[key])
        except ValueError as error:
            raise ConfigError(f"{key}={environ[key]!r} is not valid: {error}.") from None
    return values


def build_flask_config(settings: Mapping[str, Any], instance_path: str | Path) -> dict[str, Any]:
    """Turn parsed settings into Flask and extension configuration keys."""
    production = settings["ENV"] == "production"
    database_url = settings["DATABASE_URL"] or (f"sqlite:///{Path(instance_path) / 'gains.db'}")
    engine_options: dict[str, Any] = {}
    if database_url.startswith("postgresql"):
        engine_options = {"pool_pre_ping": True}
    return {
        "GAINS_ENV": settings["ENV"],
        "SECRET_KEY": settings["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "LOG_LEVEL": settings["LOG_LEVEL"],
        "PERMANENT_SESSION_LIFETIME": settings["SESSION_HOURS"] * 3600,
        "ACCOUNT_INVITE_HOURS": settings["INVITE_HOURS"],
        "ACCOUNT_RESET_HOURS": settings["RESET_HOURS"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead, which expires
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "RATELIMIT_STORAGE_URI": settings["RATELIMIT_STORAGE_URI"],
        "GAINS_SIGN_IN_LIMIT_PER_ACCOUNT": settings["SIGN_IN_LIMIT_PER_ACCOUNT"],
        "GAINS_SIGN_IN_LIMIT_PER_IP": settings["SIGN_IN_LIMIT_PER_IP"],
        "GAINS_FIGURES_CACHE": settings["FIGURES_CACHE"] == "on",
        "GAINS_OIDC_ISSUER": settings["OIDC_ISSUER"],
        "GAINS_OIDC_CLIENT_ID": settings["OIDC_CLIENT_ID"],
        "GAINS_OIDC_CLIENT_SECRET": settings["OIDC_CLIENT_SECRET"],
        "GAINS_OIDC_EMAIL_DOMAINS": settings["OIDC_EMAIL_DOMAINS"],
        "GAINS_PASSWORD_SIGN_IN": settings["PASSWORD_SIGN_IN"] == "on",
        "GAINS_EMAIL": email_config(settings),
    }


EMAIL_SETTINGS = (
    "EMAIL_TRANSPORT",
    "EMAIL_BASE_URL",
    "EMAIL_FROM",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_STARTTLS",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "NOTIFY_API_KEY",
    "NOTIFY_TEMPLATE_ID",
    "NOTIFY_BASE_URL",
    "EMAIL_MAX_ATTEMPTS",
)
# What each transport cannot work without (`gains check` says which is missing).
EMAIL_REQUIRED = {
    "none": (),
    "smtp": ("EMAIL_BASE_URL", "EMAIL_FROM", "SMTP_HOST"),
    "notify": ("EMAIL_BASE_URL", "NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID"),
}


def email_config(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The email settings, by their names without the prefix, for the notification services."""
    return {name: settings[name] for name in EMAIL_SETTINGS}


def email_problems(email: Mapping[str, Any]) -> list[str]:
    """What the email settings lack, one line each (empty when they are complete)."""
    transport = email["EMAIL_TRANSPORT"]
    problems = [
        f"GAINS_EMAIL_TRANSPORT={transport} needs GAINS_{name} to be set."
        for name in EMAIL_REQUIRED[transport]
        if not email[name]
    ]
    if bool(email["SMTP_USERNAME"]) != bool(email["SMTP_PASSWORD"]):
        problems.append("Set both GAINS_SMTP_USERNAME and GAINS_SMTP_PASSWORD, or neither.")
    if (
        transport == "smtp"
        and email["SMTP_USERNAME"]
        and email["SMTP_STARTTLS"] == "off"
        and email["SMTP_HOST"] not in LOCAL_HOSTS
    ):
        problems.append(
            "GAINS_SMTP_STARTTLS=off would send GAINS_SMTP_PASSWORD unencrypted to "
            f"{email['SMTP_HOST']}: turn STARTTLS on, or use a mail server on this host."
        )
    return problems


# Where an unencrypted SMTP login never leaves the machine.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_required(config: Mapping[str, Any]) -> None:
    """Settings without which the app must not serve anybody."""
    if not config.get("SECRET_KEY") and not config.get("TESTING"):
        raise ConfigError(
            "GAINS_SECRET_KEY is not set: set it to a long random string "
            '(python -c "import secrets; print(secrets.token_hex(32))").'
        )


OIDC_KEYS = (
    "GAINS_OIDC_ISSUER",
    "GAINS_OIDC_CLIENT_ID",
    "GAINS_OIDC_CLIENT_SECRET",
    "GAINS_OIDC_EMAIL_DOMAINS",
)


def organisation_sign_in_configured(config: Mapping[str, Any]) -> bool:
    return all(config.get(key) for key in OIDC_KEYS)


def check_sign_in(config: Mapping[str, Any]) -> None:
    """Refuse a half-configured provider, and a Gains nobody could sign in to."""
    missing = [key for key in OIDC_KEYS if not config.get(key)]
    if missing and len(missing) < len(OIDC_KEYS):
        raise ConfigError(
            f"Organisation sign-in is half configured: set {', '.join(missing)} as well, "
            "or unset the other GAINS_OIDC_ settings."
        )
    if not config.get("GAINS_PASSWORD_SIGN_IN", True) and missing:
        raise ConfigError(
            "GAINS_PASSWORD_SIGN_IN=off needs organisation sign-in: set GAINS_OIDC_ISSUER, "
            "GAINS_OIDC_CLIENT_ID, GAINS_OIDC_CLIENT_SECRET and GAINS_OIDC_EMAIL_DOMAINS, "
            "or nobody could sign in."
        )
