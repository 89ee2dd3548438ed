"""Fixtures shared by the web tests."""

import pytest
from sqlalchemy import event, select

from tests.support.improvement_forms import MEMBER_TEAM


@pytest.fixture
def statements(app, db):
    """Every SQL statement the test's connection runs, in order (for N+1 checks)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        connection = db.engine  # the test's connection (see conftest `db`)
    event.listen(connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection, "before_cursor_execute", record)


@pytest.fixture
def member_team(app):
    """Fills MEMBER_TEAM so that `form_data()` names the demo member's team (used per module)."""
    from gains.extensions import db
    from gains.models import Team

    with app.app_context():
        MEMBER_TEAM["id"] = db.session.scalars(
            select(Team.id).where(Team.name == "Benefit renewals")
        ).one()
