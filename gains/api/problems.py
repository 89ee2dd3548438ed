"""RFC 9457 problem details: every error under /api/v1 is `application/problem+json`.

A problem has `type`, `title`, `status`, `detail` and `instance`; validation problems add
`errors`, one entry per field or row: where (`location` and a dotted `field`, with `row` and
`column` for measurement rows) and what is wrong (`message`). Web pages keep their designed
HTML errors (`gains.errors`); `is_api_request` is how the shared handlers tell them apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, request, url_for

API_PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"

# Problem types with their own explanation on the docs page; anything else is about:blank.
PROBLEM_TYPES = {
    "validation": "The request was understood but some values are wrong: see errors.",
    "conflict": "The record is not in a state that allows this (a workflow rule or locking).",
    "unauthorised": "No valid bearer token: it is missing, unknown, expired or revoked, or "
    "its owner's account is deactivated.",
}


def is_api_request() -> bool:
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def problem_type(name: str) -> str:
    return url_for("api_docs.docs", _external=True, _anchor=f"problem-{name}")


def problem(
    status: int,
    detail: str | None = None,
    *,
    kind: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> Response:
    """A problem+json response. `kind` names one of PROBLEM_TYPES; otherwise about:blank."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": problem_type(kind) if kind else "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail or phrase,
        "instance": request.full_path.rstrip("?"),
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in dict(headers or {}).items():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def field_errors(messages: Any, location: str, prefix: str = "") -> list[dict[str, Any]]:
    """Flatten marshmallow's nested messages into one entry per field."""
    if isinstance(messages, Mapping):
        found = []
        for key, nested in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found.extend(field_errors(nested, location, name))
        return found
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return [{"location": location, "field": prefix, "message": m} for m in messages]
    if isinstance(messages, list | tuple):
        return [e for m in messages for e in field_errors(m, location, prefix)]
    return [{"location": location, "field": prefix, "message": str(messages)}]


LOCATIONS = {"json": "body", "query": "query", "querystring": "query", "headers": "header"}


def validation_problem_from_webargs(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """webargs keeps its messages by location: {"json": {...}, "query": {...}}."""
    messages = data.get("messages") or data.get("errors") or {}
    found = []
    for location, nested in messages.items():
        found.extend(field_errors(nested, LOCATIONS.get(location, location)))
    return found


def from_http_exception(error: Any) -> Response:
    """Any HTTPException raised under /api/v1 (abort, routing, webargs) as a problem."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if status == 422 and ("messages" in data or "errors" in data):
        return problem(
            422,
            data.get("message") or "Some values are not valid: see errors.",
            kind="validation",
            errors=validation_problem_from_webargs(data),
            headers=headers,
        )
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="gains"')
        return problem(
            401, data.get("message") or error.description, kind="unauthorised", headers=headers
        )
    detail = data.get("message") or _public_description(error)
    return problem(status, detail, headers=headers)


NOT_FOUND = (
    "There is nothing here: no such record, or not one your token may see "
    "(records outside your departments are not revealed)."
)


def _public_description(error: Any) -> str | None:
    """Werkzeug's descriptions are generic and safe; a 404 says what it may mean here."""
    if error.code == 404:
        return NOT_FOUND
    return getattr(error, "description", None)


def unauthorised() -> Response:
    return problem(
        401,
        "Send a valid personal API token as Authorization: Bearer <token>.",
        kind="unauthorised",
        headers={"WWW-Authenticate": 'Bearer realm="gains"'},
    )
