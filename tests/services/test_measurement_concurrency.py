"""Two batches recorded at the same moment for one improvement both land whole (PostgreSQL).

The per-test rollback fixture runs everything on one connection, which cannot show a race, so
this test builds its own app on a fresh database of the throw-away server, migrates it, seeds
the little it needs through the services, and runs two threads that each commit for real.
"""

from __future__ import annotations

import os
import threading
from datetime import date

import flask_migrate
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gains.extensions import db
from gains.models import BatchSource, Improvement, Measurement, Role, UploadBatch, User
from gains.services import improvements as workflow
from gains.services.accounts import create_user
from gains.services.measurements import record_batch
from gains.services.organisation import create_department, create_team
from tests.conftest import make_test_app
from tests.support.factories import plan

ROWS_PER_BATCH = 500


def fresh_database(request: pytest.FixtureRequest, name: str) -> str:
    chosen = request.config.getoption("backends").split(",")
    if "postgresql" not in chosen:
        pytest.skip("needs PostgreSQL: SQLite allows one writer at a time, so it cannot race")
    server = request.getfixturevalue("postgres_server")
    if server is not None:
        return server.create_database(name)
    import psycopg

    url = make_url(os.environ["GAINS_TEST_POSTGRES_URL"])
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def racing_app(request):
    app = make_test_app(fresh_database(request, "gains_concurrency"))
    with app.app_context():
        flask_migrate.upgrade()
        department = create_department(None, name="Racing", code="RACE")
        team = create_team(None, department=department, name="Pit crew")
        member = create_user(
            None,
            email="racer@example.org",
            name="Racer",
            role=Role.MEMBER,
            team=team,
            password=None,
        )
        improvement = workflow.create_improvement(
            member, team, plan(title="Race", go_live_on=date(2026, 1, 5))
        )
        workflow.start(member, improvement)
        db.session.commit()
        ids = member.id, improvement.id
        db.session.remove()
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_batches_at_once_both_land_with_a_correct_data_version(racing_app):
    app, (member_id, improvement_id) = racing_app
    with app.app_context():
        version_before = db.session.get(Improvement, improvement_id).data_version
    ready = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def record(phase: str) -> None:
        try:
            with app.app_context():
                member = db.session.get(User, member_id)
                improvement = db.session.get(Improvement, improvement_id)
                rows = [{"phase": phase, "value": i} for i in range(ROWS_PER_BATCH)]
                # Both have read the improvement before either writes: without the row lock
                # the second commit would overwrite the first one's data version.
                ready.wait()
                record_batch(member, improvement, rows, source=BatchSource.API)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported below, with the thread's traceback
            failures.append(error)

    threads = [threading.Thread(target=record, args=(p,)) for p in ("before", "after")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    with app.app_context():
        improvement = db.session.get(Improvement, improvement_id)
        assert improvement.data_version == version_before + 2
        batches = db.session.scalars(
            select(UploadBatch).where(UploadBatch.improvement_id == improvement_id)
        ).all()
        assert sorted(b.row_count for b in batches) == [ROWS_PER_BATCH, ROWS_PER_BATCH]
        for batch in batches:
            stored = db.session.scalar(select(func.count()).where(Measurement.batch_id == batch.id))
            assert stored == ROWS_PER_BATCH
