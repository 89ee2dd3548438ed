"""Two batches recorded at the same moment for one improvement both land whole (PostgreSQL).

The per-test rollback fixture runs everything on one connection, which cannot show a race, so
this test builds its own app on a fresh database of the throw-away server, migrates it, seeds
the little it needs through the services, and runs two threads that each commit for real.
"""

from __future__ import annotations

import threading

import flask_migrate
import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import BatchSource, Improvement, Measurement, UploadBatch, User
from gains.services.measurements.recording import record_batch
from tests.conftest import make_test_app
from tests.support.factories import running_improvement_of_a_new_team
from tests.support.postgres import fresh_database

ROWS_PER_BATCH = 500


@pytest.fixture
def racing_app(request):
    app = make_test_app(fresh_database(request, "gains_concurrency"))
    with app.app_context():
        flask_migrate.upgrade()
        member, improvement = running_improvement_of_a_new_team("RACE", "racer", "Race")
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
