"""Fixtures shared by every test: the app on each database backend, per-test rollback, and
signed-in clients for each demo role.

Backends: every test that asks for `app` (directly or through `db`/`client`) runs once on
SQLite and once on PostgreSQL (a throw-away server this run starts and stops itself). Each
backend gets one database, migrated with `gains db upgrade`'s code path and seeded with the
demo register, once per run; each test runs inside a transaction that is rolled back.

Choose backends with `--backends sqlite,postgresql` or GAINS_TEST_BACKENDS. An external
server can be given as GAINS_TEST_POSTGRES_URL. With CI=true a missing PostgreSQL is a
failure, never a skip.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from gains import create_app
from gains.demo.catalogue import DEMO_PASSWORD
from gains.extensions import db as database
from gains.models import User
from tests.support.postgres import (
    PostgresUnavailable,
    ThrowawayPostgres,
    external_database,
    per_worker,
)

BACKENDS = ("sqlite", "postgresql")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
STAGE_TIMES: dict[str, float] = {}
WORKER_LINES: list[str] = []  # the pytest-xdist workers' closing lines (`report_at_end`)

DEMO_LOGINS = {
    "member": "member@example.org",
    "manager": "manager@example.org",
    "treasury": "treasury@example.org",
    "admin": "admin@example.org",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=os.environ.get("GAINS_TEST_BACKENDS", ",".join(BACKENDS)),
        help="comma-separated database backends to run database tests on",
    )
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="browser tests save each journey's last screen and every page in docs/screenshots/",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = [b.strip() for b in metafunc.config.getoption("backends").split(",") if b]
        unknown = set(chosen) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"unknown backend(s): {', '.join(sorted(unknown))}")
        if metafunc.definition.get_closest_marker("first_backend_only"):
            chosen = chosen[:1]
        metafunc.parametrize("backend", chosen, scope="session", indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that writes docs/screenshots/ is collected only with --screenshots: deselected
    (said in the summary line), not skipped, so that a test run never reports a skip."""
    if config.getoption("screenshots"):
        return
    writers = [item for item in items if item.get_closest_marker("screenshots_only")]
    if writers:
        config.hook.pytest_deselected(items=writers)
        items[:] = [item for item in items if not item.get_closest_marker("screenshots_only")]


def pytest_sessionfinish(session: pytest.Session) -> None:
    report_at_end(session.config, *stage_lines())


def stage_lines() -> list[str]:
    return [f"stage: {stage} took {seconds:.1f} s" for stage, seconds in STAGE_TIMES.items()]


def report_at_end(config: pytest.Config, *lines: str) -> None:
    """Under pytest-xdist (`make test`), send a worker's closing lines to the controller, which
    prints them (a worker has no terminal); a run in one process prints its own."""
    if hasattr(config, "workeroutput"):
        config.workeroutput.setdefault("closing_lines", []).extend(lines)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    worker = node.gateway.id
    lines = getattr(node, "workeroutput", {}).get("closing_lines", [])
    WORKER_LINES.extend(f"[{worker}] {line}" for line in lines)


def pytest_terminal_summary(terminalreporter) -> None:
    for line in [*stage_lines(), *WORKER_LINES]:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def multipart_bodies_in_memory() -> Iterator[None]:
    """Werkzeug's test client spools a multipart body over 500 kB into a TemporaryFile that it
    never closes (`werkzeug.test.stream_encode_multipart`, called by `EnvironBuilder`), so
    large uploads in tests end in a ResourceWarning whenever the garbage collector runs,
    blamed on whichever test is running then. Keep test bodies in memory instead: the app
    reads the same bytes either way."""
    import werkzeug.test

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            werkzeug.test,
            "stream_encode_multipart",
            functools.partial(werkzeug.test.stream_encode_multipart, use_tempfile=False),
        )
        yield


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres | None]:
    if os.environ.get("GAINS_TEST_POSTGRES_URL"):
        yield None
        return
    server = ThrowawayPostgres()
    try:
        server.start()
    except PostgresUnavailable as error:
        server.stop()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {error}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {error}")
    STAGE_TIMES["start PostgreSQL"] = server.startup_seconds
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path_factory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'gains-test.db'}"
    server = request.getfixturevalue("postgres_server")
    if server is not None:
        return server.create_database("gains_test")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return external_database(per_worker("gains_test"))
    return os.environ["GAINS_TEST_POSTGRES_URL"]


@pytest.fixture
def empty_database_url(backend, tmp_path, request) -> str:
    """A scratch database of the backend's, empty, for a test that migrates its own (one
    PostgreSQL database per test module)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server = request.getfixturevalue("postgres_server")
    if server is None:
        pytest.skip("an external PostgreSQL server is in use; no scratch database")
    return server.create_database(f"gains_{request.module.__name__.rsplit('.', 1)[-1]}")


def make_test_app(database_url: str, **overrides) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            # The suite signs in hundreds of times from one address; the limits have their
            # own tests (tests/web/test_rate_limits.py), which switch them on.
            "RATELIMIT_ENABLED": False,
            # Every test rolls its writes back, so one test's figures could otherwise be
            # served to another at an equal data version; tests/web/test_figures_cache.py
            # switches the cache on.
            "GAINS_FIGURES_CACHE": False,
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def app(backend: str, database_url: str) -> Iterator[Flask]:
    """The app on a migrated, demo-seeded template database (built once per backend)."""
    from gains.demo.seed import seed_demo

    application = make_test_app(database_url)
    began = time.perf_counter()
    with application.app_context():
        flask_migrate.upgrade()
        seed_demo()
        cheapen_demo_passwords()
        database.session.commit()
        database.session.remove()
        # Writes inside a test go to savepoints of the test's own transaction (see `db`).
        database.session.configure(join_transaction_mode="create_savepoint")
    STAGE_TIMES[f"migrate and seed the {backend} template"] = time.perf_counter() - began
    yield application
    with application.app_context():
        for engine in database.engines.values():
            engine.dispose()


@pytest.fixture(scope="session")
def app_without_database() -> Flask:
    """The app for tests that never touch the database (its url_map, its forms, its request
    helpers): built once, not per backend, so such tests run once. Its database is an empty
    in-memory SQLite: a test that does query it fails on the missing tables."""
    return make_test_app("sqlite://")


def cheapen_demo_passwords() -> None:
    """The demo accounts' password, hashed at the cheapest cost instead of scrypt's: the suite
    signs in a few thousand times, and at ~0.1 s a scrypt check (more on a busy machine) that
    was the largest cost of the web tests. Passwords set through the app (and the browser
    tests' own template) still use the default hash."""
    cheap = generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:1")
    database.session.execute(
        update(User).where(User.password_hash.is_not(None)).values(password_hash=cheap)
    )


@contextmanager
def rolled_back(app: Flask) -> Iterator:
    """Swap every engine of `app` for one connection inside a transaction that is rolled
    back afterwards, so commits in the code under test never reach the template database."""
    with app.app_context():
        engines = database.engines
        originals = dict(engines)
        connections = []
        for key, engine in originals.items():
            connection = engine.connect()
            transaction = connection.begin()
            connections.append((connection, transaction))
            engines[key] = connection  # type: ignore[index]
    try:
        yield database
    finally:
        with app.app_context():
            database.session.remove()
            for connection, transaction in connections:
                transaction.rollback()
                connection.close()
            engines.update(originals)


@contextmanager
def savepoint(app: Flask) -> Iterator[None]:
    """Inside `rolled_back(app)`: a savepoint of its transaction, rolled back afterwards, for
    writes that must be undone while records built earlier in that transaction stay. The
    session joins with savepoints of its own (see `app`), nested inside this one."""
    with app.app_context():
        database.session.remove()
        connection = database.engine  # the connection `rolled_back` put in the engine's place
    nested = connection.begin_nested()
    try:
        yield
    finally:
        with app.app_context():
            database.session.remove()
        if nested.is_active:
            nested.rollback()


@pytest.fixture
def db(app: Flask) -> Iterator:
    """Per-test isolation for the session app (see `rolled_back`)."""
    with rolled_back(app) as isolated:
        yield isolated


@pytest.fixture
def session(app: Flask, db) -> Iterator:
    """An app context and the database session, for service-level tests."""
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient, email: str, password: str = DEMO_PASSWORD):
    return client.post("/auth/sign-in", data={"email": email, "password": password})


@pytest.fixture(params=list(DEMO_LOGINS))
def role(request) -> str:
    return request.param


@pytest.fixture
def signed_in(client: FlaskClient):
    """A function: `signed_in("manager")` signs the client in as that demo role."""

    def _sign_in(role_name: str) -> FlaskClient:
        response = sign_in(client, DEMO_LOGINS[role_name])
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client

    return _sign_in
