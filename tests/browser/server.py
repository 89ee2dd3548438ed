"""The real app served on 127.0.0.1 for the browser: its own database, its own thread.

Browser tests cannot use the rollback `db` fixture: the server thread commits for real and the
browser makes many requests over many connections. So each backend gets a template database
(migrated with the real migrations and seeded with the demo register, once per run), and each
test gets a fresh copy of it: a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import psycopg
from flask import Flask, got_request_exception
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from gains import create_app
from gains.extensions import db

SECRET = "browser-test-secret-key"


def browser_app(database_url: str, **overrides) -> Flask:
    """The app as people get it: CSRF on, designed error pages, not TESTING."""
    return create_app(
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "TESTING": False,
            **overrides,
        }
    )


def build_template(database_url: str) -> None:
    """Migrate and seed the demo register into an empty database, then let go of it."""
    from gains.demo.seed import seed_demo

    app = browser_app(database_url)
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        db.session.commit()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def _admin_connection(database_url: str) -> psycopg.Connection:
    url = make_url(database_url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def create_postgres_database(server_url: str, name: str) -> str:
    """An empty database `name` on the server of `server_url`; its URL."""
    with _admin_connection(server_url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name)
    return url.render_as_string(hide_password=False)


@dataclass
class DatabaseCopies:
    """Fresh copies of one backend's template database, one per test."""

    template_url: str
    directory: Path

    def copy(self, name: str) -> str:
        url = make_url(self.template_url)
        if url.get_backend_name() == "sqlite":
            target = self.directory / f"{name}.db"
            # SQLite's backup, not a file copy: in WAL mode the latest commits may still be
            # in the -wal file beside the database.
            with (
                closing(sqlite3.connect(url.database)) as source,
                closing(sqlite3.connect(target)) as copy,
            ):
                source.backup(copy)
            copy_url = url.set(database=str(target))
        else:
            with _admin_connection(self.template_url) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
                connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
            copy_url = url.set(database=name)
        return copy_url.render_as_string(hide_password=False)

    def drop(self, database_url: str) -> None:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.database + suffix).unlink(missing_ok=True)
            return
        with _admin_connection(database_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged and kept, see `serve`)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str
    errors: list[BaseException]


def _closed_before_sent(app: Flask):
    """The app's responses read whole and closed before the server writes them. Werkzeug's
    development server closes a response only after a `finally` that can itself raise when the
    browser drops the connection (Chromium cancels favicon and image requests as it moves on),
    so a static file's handle was left to the garbage collector: a ResourceWarning, an error
    under `filterwarnings = error`, blamed on whichever test ran then. Pages and assets here
    are small, so holding each in memory costs nothing."""

    def application(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return application


@contextmanager
def serve(app: Flask) -> Iterator[LiveServer]:
    """Serve `app` on a free port of 127.0.0.1 from a thread; unhandled exceptions are kept so
    that a test fails on a server error even when the page looks fine."""
    errors: list[BaseException] = []

    def keep(sender, exception, **extra):
        errors.append(exception)

    got_request_exception.connect(keep, app)
    server = make_server(
        "127.0.0.1", 0, _closed_before_sent(app), threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="gains-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", errors=errors)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(keep, app)
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
