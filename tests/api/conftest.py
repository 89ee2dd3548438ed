"""API fixtures: bearer tokens for the demo roles, made through the token service."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from gains.services.people.api_tokens import create_token
from tests.support.factories import person


@pytest.fixture
def bearer(app, db) -> Callable[[str], dict[str, str]]:
    """`bearer("manager")`: the Authorization header of a fresh token of that demo user."""

    def _bearer(role_name: str) -> dict[str, str]:
        with app.app_context():
            new = create_token(person(db.session, role_name), f"{role_name} test", 30)
            db.session.commit()
            return {"Authorization": f"Bearer {new.secret}"}

    return _bearer


def find_improvement(app, *criteria) -> int:
    """The first demo improvement (by id) meeting the criteria on Improvement/Team/Department."""
    from gains.extensions import db as database
    from gains.models import Department, Improvement, Team

    with app.app_context():
        found = database.session.scalars(
            select(Improvement.id)
            .join(Team, Team.id == Improvement.team_id)
            .join(Department, Department.id == Improvement.department_id)
            .where(*criteria)
            .order_by(Improvement.id)
        ).first()
    assert found is not None, criteria
    return found


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    return body
