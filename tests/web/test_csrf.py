"""CSRF: every state-changing route refuses a request without a valid token, writing nothing.

The routes are read from `app.url_map`, so a new POST route is covered the day it is added.
Token-authenticated JSON API routes (no cookies, so nothing for a forged form to ride on) are
the one exemption, listed in CSRF_EXEMPT_PREFIXES.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gains.models import AuditEvent
from tests.conftest import DEMO_LOGINS, sign_in

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_EXEMPT_PREFIXES = ("/api/",)


def unsafe_routes(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        if path.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        found.extend((path, method) for method in sorted(rule.methods & UNSAFE_METHODS))
    return sorted(found)


def audit_count(app) -> int:
    with app.app_context():
        from gains.extensions import db

        return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_there_are_state_changing_routes_to_check(app_without_database):
    assert len(unsafe_routes(app_without_database)) >= 15


@pytest.mark.parametrize("token", [None, "not-a-valid-token"], ids=["missing", "forged"])
def test_every_state_changing_route_refuses_a_bad_token(app, client, monkeypatch, token):
    assert sign_in(client, DEMO_LOGINS["admin"]).status_code == 303  # signed in, CSRF still off
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = audit_count(app)
    headers = {"X-CSRFToken": token} if token else {}
    refused = {}
    for path, method in unsafe_routes(app):
        response = client.open(path, method=method, headers=headers, data={"reason": "x"})
        refused[(path, method)] = response.status_code
        if response.status_code == 400:
            assert "Your form expired" in response.get_data(as_text=True)
    assert {key: status for key, status in refused.items() if status != 400} == {}
    assert audit_count(app) == before


def test_sign_in_itself_needs_a_token(client, csrf_on):
    response = sign_in(client, DEMO_LOGINS["member"])
    assert response.status_code == 400
