"""Sign-in: Flask-Login wiring, the default-deny rule and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Flask, abort, request
from flask_login import LoginManager, current_user
from sqlalchemy import select

from gains.extensions import db
from gains.models import Role, User

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
    user = db.session.scalars(select(User).where(User.id == int(raw_id))).first()
    if user is None or user.session_version != int(raw_version):
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
        if current_user.is_authenticated or request.endpoint is None:
            return None
        if request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "is_public", False):
            return None
        return login_manager.unauthorized()
