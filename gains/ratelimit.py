"""Rate limits on guessing passwords: sign-in per account and per IP address, and changing
your own password per person (Flask-Limiter).

Each app gets its own `Limiter` rather than one module-level instance: Flask-Limiter keeps its
storage and its enabled flag on the instance, and the tests build many apps in one process,
some with limits on and most with them off.

The per-account key is the normalised email as typed, whether or not an account exists, so the
limit says nothing about which addresses have accounts. The price is that someone hammering a
real person's address locks that person out for the window too; the per-account window is
short for that reason.

The counters live where `GAINS_RATELIMIT_STORAGE_URI` says: by default the app's database
(gains.ratelimit_storage), so that every worker and host counts together.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from gains.ratelimit_storage import storage_settings  # also registers database://
from gains.services.people.accounts import normalise_email

SIGN_IN_ENDPOINT = "auth.sign_in"
# Organisation sign-in: starting it and the provider's return (both GET), per IP address
# (no email is known before the provider answers).
ORGANISATION_ENDPOINTS = ("auth.organisation_start", "auth.organisation_callback")
# Changing your password asks for the current one: limited per person, so that a session left
# open on a shared computer cannot be used to guess it.
CHANGE_PASSWORD_ENDPOINT = "account.change_password"
TOO_MANY_SIGN_INS = "There have been too many attempts to sign in. Wait 15 minutes, then try again."
TOO_MANY_PASSWORD_CHANGES = (
    "There have been too many attempts to change your password. Wait 15 minutes, then try again."
)


def _email_key() -> str:
    return "sign-in:" + normalise_email(request.form.get("email", ""))


def _signed_in_user_key() -> str:
    return f"password:{current_user.id}"


def init_app(app: Flask) -> Limiter:
    """Bind a limiter to `app` and limit password guesses (POSTs only)."""
    storage_uri, storage_options = storage_settings(
        app.config.get("RATELIMIT_STORAGE_URI", "memory://"), app.config["SQLALCHEMY_DATABASE_URI"]
    )
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=storage_uri,
        storage_options=storage_options,
        strategy="moving-window",
        headers_enabled=True,
    )
    per_ip = limiter.limit(
        lambda: app.config["GAINS_SIGN_IN_LIMIT_PER_IP"],
        methods=["POST"],
        error_message=TOO_MANY_SIGN_INS,
    )
    per_account = limiter.limit(
        lambda: app.config["GAINS_SIGN_IN_LIMIT_PER_ACCOUNT"],
        key_func=_email_key,
        methods=["POST"],
        error_message=TOO_MANY_SIGN_INS,
    )
    view = app.view_functions[SIGN_IN_ENDPOINT]
    app.view_functions[SIGN_IN_ENDPOINT] = per_ip(per_account(view))
    per_ip_get = limiter.limit(
        lambda: app.config["GAINS_SIGN_IN_LIMIT_PER_IP"],
        methods=["GET"],
        error_message=TOO_MANY_SIGN_INS,
    )
    for endpoint in ORGANISATION_ENDPOINTS:
        app.view_functions[endpoint] = per_ip_get(app.view_functions[endpoint])
    per_person = limiter.limit(
        lambda: app.config["GAINS_SIGN_IN_LIMIT_PER_ACCOUNT"],
        key_func=_signed_in_user_key,
        methods=["POST"],
        error_message=TOO_MANY_PASSWORD_CHANGES,
    )
    view = app.view_functions[CHANGE_PASSWORD_ENDPOINT]
    app.view_functions[CHANGE_PASSWORD_ENDPOINT] = per_person(view)
    app.extensions["gains_limiter"] = limiter
    return limiter
