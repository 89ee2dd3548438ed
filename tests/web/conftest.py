"""Fixtures shared by the web tests."""

import pytest
from sqlalchemy import event


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
