"""Sign-in: Flask-Login wiring, the default-deny rule and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Flask, abort, g, request
from flask_login import LoginManager, current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gains.api import problems
from gains.extensions import db
from gains.models import Role, User
from gains.services.api_tokens import user_for_secret

F = TypeVar("F", bound=Callable)


def public(view: F) -> F:
    """Mark a view as open to anonymous visitors. Everything else requires sign-in."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Refuse (403) signed-in users whose role is not one of `roles`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def load_user(user_id: str) -> User | None:
    """Resolve the session's "id:session_version"; a stale version signs the session out."""
    raw_id, _, raw_version = user_id.partition(":")
    if not raw_id.isdigit() or not raw_version.isdigit():
        return None
    # With the team: every scoped query asks for the user's department through it.
    user = db.session.scalars(
        select(User).where(User.id == int(raw_id)).options(joinedload(User.team))
    ).first()
    # A deactivated account's sessions end at once, even if its version was not bumped.
    if user is None or not user.active or user.session_version != int(raw_version):
        return None
    return user


def configure_login(login_manager: LoginManager) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def require_sign_in(app: Flask) -> None:
    """Default deny: any endpoint not marked @public sends anonymous visitors to sign in."""
    login_manager: LoginManager = app.login_manager  # type: ignore[attr-defined]

    @app.before_request
    def _require_sign_in():
        # The API's docs page is a page: it keeps the person's session (and navigation).
        if problems.is_api_request() and request.blueprint != "api_docs":
            return _require_bearer_token(app, login_manager)
        if current_user.is_authenticated or request.endpoint is None:
            return None
        if request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "is_public", False):
            return None
        return login_manager.unauthorized()


def bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _require_bearer_token(app: Flask, login_manager: LoginManager):
    """API requests sign in by bearer token only, never by the session cookie: so they need
    no CSRF token, and a browser's session cannot be used to drive the API from another site.

    Flask-Login keeps the request's user in `g._login_user` (what `login_user` sets); setting
    it here makes `current_user` the token's owner for this request without touching the
    session. Default deny as for pages, but the answer is a 401 problem, not a redirect.
    """
    secret = bearer_secret()
    user = user_for_secret(secret) if secret else None
    if user is not None and db.session.dirty:
        # last_used_at moved (at most once a minute); otherwise a commit would only expire
        # the loaded user and cost the view another query.
        db.session.commit()
    g._login_user = user or login_manager.anonymous_user()
    view = app.view_functions.get(request.endpoint) if request.endpoint else None
    if user is not None or view is None or getattr(view, "is_public", False):
        return None  # unknown paths get their 404 problem whoever asks
    return problems.unauthorised()
