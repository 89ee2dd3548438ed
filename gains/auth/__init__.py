"""Sign-in: Flask-Login wiring, the default-deny rule and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request, session
from flask_login import LoginManager, current_user, login_user, logout_user

from gains.api import problems
from gains.extensions import db
from gains.models import User
from gains.services.people import user_sessions
from gains.services.people.api_tokens import user_for_secret

F = TypeVar("F", bound=Callable)


def public(view: F) -> F:
    """Mark a view as open to anonymous visitors. Everything else requires sign-in."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def allowed_if(predicate: Callable[[Any], bool]) -> Callable[[F], F]:
    """Refuse (403) signed-in users for whom `predicate(user)` is false: the same service
    predicate the navigation asks (`gains/navigation.py`), so a link shown is a page allowed."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def load_user(session_token: str) -> User | None:
    """Resolve the cookie's session token to its user while the session is valid (one query;
    see gains.services.people.user_sessions). A cookie from before sessions had rows finds none."""
    return user_sessions.user_for_session(session_token)


def start_session(user: User, id_token: str | None = None) -> None:
    """Sign `user` in on this browser with a new session: nothing from before carries over
    (no fixation). `id_token`: the provider's, after organisation sign-in, kept with the
    session for the provider's sign-out. The caller commits."""
    session.clear()
    user_sessions.start_session(
        user, lifetime=current_app.permanent_session_lifetime, id_token=id_token
    )
    login_user(user)


def provider_id_token() -> str | None:
    """This browser's session's ID token from organisation sign-in, if it began that way."""
    token = getattr(current_user, "session_token", None)
    return user_sessions.id_token_of(token) if token is not None else None


def end_session() -> None:
    """Sign this browser out and delete its session's row, so that a copy of the cookie
    stops working too. The caller commits."""
    token = getattr(current_user, "session_token", None)
    if token is not None:
        user_sessions.end_session(token)
    logout_user()
    session.clear()


def configure_login(login_manager: LoginManager) -> None:
    login_manager.user_loader(load_user)
    # The cookie keeps the session's token (User.get_session_token), not the user's id.
    login_manager.id_attribute = "get_session_token"
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
