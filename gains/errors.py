"""Designed error pages: each says what went wrong and what to do next."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from gains.api import problems
from gains.extensions import db

# What a person should read for each status, and what they can do about it.
ERROR_PAGES: dict[int, tuple[str, str]] = {
    400: (
        "Sorry, there is a problem with your request",
        "Go back, check what you entered and try again.",
    ),
    403: (
        "You do not have permission to do this",
        "If you think you should, ask your department's manager or an administrator.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you followed a link, the record may have been deleted or you may not have access.",
    ),
    405: ("This action is not allowed here", "Go back and use the buttons on the page."),
    409: (
        "Someone else changed this first",
        "Reload the page to see the latest version, then make your change again.",
    ),
    413: (
        "The file is too large",
        "Split it into smaller files, or use the command-line import for large files.",
    ),
    422: ("Sorry, we could not process that", "Go back, correct the problem and try again."),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you entered has been saved half-way.",
    ),
}


def render_error(code: int, detail: str | None = None):
    title, advice = ERROR_PAGES.get(code, ERROR_PAGES[500])
    page = render_template(
        "errors/error.html", code=code, title=title, advice=advice, detail=detail
    )
    return page, code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_error(
            400, "Your form expired or was sent from another site. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if problems.is_api_request() and error.code is not None and error.code >= 400:
            return problems.from_http_exception(error)
        if error.code is None or error.code < 400 or error.code not in ERROR_PAGES:
            return error
        if error.code == 429:
            # The limiter's wording says what was limited and how long to wait; it adds
            # Retry-After itself.
            return render_error(429, error.description)
        return render_error(error.code)

    # Registered for 500 rather than Exception so that tests and the debugger still see
    # the original traceback (Flask propagates it when TESTING or DEBUG is on).
    @app.errorhandler(500)
    def _unexpected_error(error: Exception):
        # A half-finished transaction is rolled back, never committed by a later request.
        db.session.rollback()
        if problems.is_api_request():
            return problems.problem(500, "Something went wrong on our side; nothing was saved.")
        return render_error(500)
