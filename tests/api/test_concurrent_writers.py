"""Twenty API clients recording batches for one improvement at the same moment, on each
database, with real commits: every one is stored (201), none is refused because another
holds the lock, and the data version counts each batch once."""

from __future__ import annotations

import threading

import flask_migrate
import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Improvement, Measurement, UploadBatch
from gains.services.people.api_tokens import create_token
from tests.conftest import make_test_app
from tests.support.factories import running_improvement_of_a_new_team
from tests.support.postgres import fresh_database

WRITERS = 20
ROWS_PER_BATCH = 50


@pytest.fixture
def writers_app(backend, request, tmp_path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'writers.db'}"
    else:
        url = fresh_database(request, "gains_writers")
    app = make_test_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        member, improvement = running_improvement_of_a_new_team("WRT", "writer", "Many hands")
        # One token each, as twenty scripts would have: each first use writes its
        # last-used time too.
        secrets = [create_token(member, f"writer {n}", 30).secret for n in range(WRITERS)]
        db.session.commit()
        improvement_id = improvement.id
        db.session.remove()
    yield app, improvement_id, secrets
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_twenty_writers_at_once_are_all_stored(writers_app):
    app, improvement_id, secrets = writers_app
    with app.app_context():
        version_before = db.session.get(Improvement, improvement_id).data_version
    ready = threading.Barrier(WRITERS, timeout=30)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def write(secret: str, n: int) -> None:
        try:
            client = app.test_client()
            rows = [{"phase": "after", "value": n + i / 100} for i in range(ROWS_PER_BATCH)]
            ready.wait()
            response = client.post(
                f"/api/v1/improvements/{improvement_id}/measurements",
                json={"rows": rows},
                headers={"Authorization": f"Bearer {secret}"},
            )
            statuses.append(response.status_code)
        except BaseException as error:  # reported below, with the thread's traceback
            failures.append(error)

    threads = [threading.Thread(target=write, args=(secret, n)) for n, secret in enumerate(secrets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not failures, failures
    assert sorted(statuses) == [201] * WRITERS
    with app.app_context():
        assert db.session.get(Improvement, improvement_id).data_version == (
            version_before + WRITERS
        )
        batches = db.session.scalar(
            select(func.count()).where(UploadBatch.improvement_id == improvement_id)
        )
        rows = db.session.scalar(
            select(func.count()).where(Measurement.improvement_id == improvement_id)
        )
        assert (batches, rows) == (WRITERS, WRITERS * ROWS_PER_BATCH)
