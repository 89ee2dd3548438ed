"""Where the rate-limit counters live: the app's database by default, a configured store as
given, and a warning from gunicorn when its workers would each count alone."""

from __future__ import annotations

import os
import runpy
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from limits.storage import MemoryStorage

from gains import REPO_ROOT
from gains.config import read_environment
from gains.ratelimit_storage import DatabaseStorage, counters_url, storage_settings
from gains.startup import StartupError, gunicorn_workers
from tests.conftest import make_test_app


def limiter_storage(tmp_path, **config):
    database_url = f"sqlite:///{tmp_path / 'gains.db'}"
    app = make_test_app(database_url, RATELIMIT_ENABLED=True, **config)
    return app, app.extensions["gains_limiter"].storage


def test_the_default_store_is_the_apps_database(tmp_path):
    assert read_environment({})["RATELIMIT_STORAGE_URI"] == "database://"
    _, storage = limiter_storage(tmp_path, RATELIMIT_STORAGE_URI="database://")
    assert isinstance(storage, DatabaseStorage)
    # On SQLite, a file of its own beside the database (see gains.ratelimit_storage).
    assert storage.engine.url.database == str(tmp_path / "gains.db-ratelimits")
    assert counters_url("postgresql+psycopg://u@db/gains").database == "gains"


def test_other_stores_are_used_as_configured():
    database_url = "postgresql+psycopg://u@db/gains"
    assert storage_settings("redis://cache:6379", database_url) == ("redis://cache:6379", {})
    assert storage_settings("memory://", database_url) == ("memory://", {})
    # An in-memory SQLite database is one process's own: so may its counters be.
    assert storage_settings("database://", "sqlite://") == ("memory://", {})


def gunicorn_warnings(app, workers: int) -> list[str]:
    hooks = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    said: list[str] = []
    server = SimpleNamespace(
        app=SimpleNamespace(wsgi=lambda: app),
        cfg=SimpleNamespace(workers=workers),
        log=SimpleNamespace(warning=said.append),
    )
    hooks["when_ready"](server)
    return said


@pytest.mark.parametrize(
    ("store", "workers", "warned"),
    [
        ("memory://", 3, True),
        ("memory://", 1, False),
        ("database://", 3, False),
    ],
)
def test_gunicorn_warns_when_its_workers_would_each_count_alone(tmp_path, store, workers, warned):
    app, storage = limiter_storage(tmp_path, RATELIMIT_STORAGE_URI=store)
    assert isinstance(storage, MemoryStorage) is (store == "memory://")
    said = gunicorn_warnings(app, workers)
    assert len(said) == int(warned)
    if warned:
        assert "GAINS_RATELIMIT_STORAGE_URI" in said[0] and "3 workers" in said[0]


@pytest.mark.parametrize(
    ("environ", "workers"),
    [
        ({"GUNICORN_WORKERS": "4"}, 4),
        ({"GUNICORN_WORKERS": "4", "GUNICORN_CMD_ARGS": "--workers 2 -b 0.0.0.0:80"}, 2),
        ({"GUNICORN_CMD_ARGS": "-w 6"}, 6),
        ({}, (os.cpu_count() or 1) + 1),
    ],
)
def test_gains_reads_gunicorns_worker_count_as_gunicorn_would(environ, workers):
    assert gunicorn_workers(environ) == workers
    with patch.dict(os.environ, environ, clear=True):  # the file gunicorn reads agrees
        assert runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))["workers"] == workers


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        ({"GUNICORN_WORKERS": "many"}, "GUNICORN_WORKERS must be a whole number"),
        ({"GUNICORN_WORKERS": "0"}, "GUNICORN_WORKERS must be a whole number"),
        ({"GUNICORN_CMD_ARGS": "--no-such-flag"}, "options gunicorn does not know"),
        ({"GUNICORN_CMD_ARGS": "-w lots"}, "GUNICORN_CMD_ARGS cannot be read"),
        ({"GUNICORN_CMD_ARGS": "'unclosed"}, "GUNICORN_CMD_ARGS cannot be read"),
    ],
)
def test_unreadable_gunicorn_settings_are_a_clear_refusal(environ, said):
    with pytest.raises(StartupError, match=said):
        gunicorn_workers(environ)
