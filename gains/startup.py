"""Readiness checks for the entry points that serve people (`gains run`, gunicorn).

`create_app` does no I/O; these do: they refuse to start, with one line saying what to set,
when the secret is missing, the database cannot be reached, or its schema is not current.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gains import MIGRATIONS_DIR
from gains.charts.svg import new_figure
from gains.config import ConfigError, check_required, email_problems
from gains.extensions import db


class StartupError(Exception):
    """The app cannot serve yet; the message says what to do."""


def ensure_sqlite_directory(app: Flask) -> None:
    """Create the folder of a SQLite database file (SQLite creates the file, not its folder)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _describe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def head_revision() -> str | None:
    # Imported here: Alembic costs every other command (e.g. `gains import`) about 0.35 s.
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def _schema_revision() -> str | None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_ready(app: Flask) -> None:
    try:
        check_required(app.config)
    except ConfigError as error:
        raise StartupError(str(error)) from None
    # Email switched on without what it needs would fill the outbox with emails that can
    # never go: refuse now, naming the missing settings (issue 23).
    problems = email_problems(app.config["GAINS_EMAIL"])
    if problems:
        raise StartupError(" ".join(problems))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        try:
            revision = _schema_revision()
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            if "alembic_version" in reason:
                raise StartupError(
                    f"The database {_describe(url)} has no Gains schema: run `gains db upgrade`."
                ) from None
            raise StartupError(
                f"Cannot reach the database {_describe(url)} ({reason}): "
                "check GAINS_DATABASE_URL and that the server is running."
            ) from None
        finally:
            # gunicorn forks workers after this check: they must not share its connections.
            db.engine.dispose()
    if revision != head_revision():
        raise StartupError(
            f"The database schema is at {revision}, not {head_revision()}: run `gains db upgrade`."
        )


def gunicorn_workers(environ: Mapping[str, str] | None = None) -> int:
    """How many workers gunicorn starts with gunicorn.conf.py in this environment: a
    `--workers` (`-w`) in GUNICORN_CMD_ARGS wins over the file, as in gunicorn; the file reads
    GUNICORN_WORKERS, else one per core plus one (why: gunicorn.conf.py)."""
    import shlex

    from gunicorn.config import Config

    environ = os.environ if environ is None else environ
    parser = Config().parser()
    parser.exit_on_error = False
    try:
        # argparse still exits (after printing usage) on an unknown option, hence SystemExit.
        given, unknown = parser.parse_known_args(shlex.split(environ.get("GUNICORN_CMD_ARGS", "")))
    except (argparse.ArgumentError, SystemExit, ValueError) as error:
        raise StartupError(f"GUNICORN_CMD_ARGS cannot be read: {error}") from None
    if unknown:
        raise StartupError(f"GUNICORN_CMD_ARGS has options gunicorn does not know: {unknown}")
    if given.workers:
        return given.workers
    raw = environ.get("GUNICORN_WORKERS", str((os.cpu_count() or 1) + 1))
    if not raw.strip().isdigit() or int(raw) < 1:
        raise StartupError(f"GUNICORN_WORKERS must be a whole number of 1 or more, not {raw!r}")
    return int(raw)


def rate_limits_warning(app: Flask, workers: int) -> str | None:
    """What to tell whoever starts `workers` processes if each would count the sign-in
    limits alone (`memory://`): together they would let through `workers` times as many."""
    from limits.storage import MemoryStorage

    if workers > 1 and isinstance(app.extensions["gains_limiter"].storage, MemoryStorage):
        return (
            f"Rate limits count per process: GAINS_RATELIMIT_STORAGE_URI is memory:// and "
            f"gunicorn runs {workers} workers, so the sign-in limits let through up to {workers} "
            "times as many attempts. Set GAINS_RATELIMIT_STORAGE_URI to database:// (the "
            "default) or a shared store such as redis://host:6379."
        )
    return None


# What the pages use and most commands do not: imported lazily (gains/stats/__init__.py,
# gains/charts/svg.py) so that `gains import` and the other commands start fast. The web
# server imports them before it forks (gains/wsgi.py with gunicorn's `preload_app`), so the
# workers share one copy and no request pays for an import: without this, the first
# dashboard each new worker served took about 0.6 s instead of 0.1 s.
SERVED_MODULES = (
    "scipy.optimize",
    "scipy.stats",
    "statsmodels.regression.linear_model",
    "statsmodels.stats.power",
    "statsmodels.stats.sandwich_covariance",
    "openpyxl",
)


def import_served_modules() -> None:
    import importlib

    for name in SERVED_MODULES:
        importlib.import_module(name)
    new_figure(1, 1)  # matplotlib with its backend and font list, as a chart needs them
