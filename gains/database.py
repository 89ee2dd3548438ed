"""Engine settings per backend.

SQLite allows one writer at a time. A transaction that has read and then wants to write
cannot wait for the lock (SQLite refuses at once, "database is locked": waiting could
deadlock, or the reads would be out of date), so a writer must take the lock when it
begins: `BEGIN IMMEDIATE`, which waits up to the busy timeout for the writer before it.
Readers must not queue behind writers for that, so the database runs in WAL mode, where a
reader's transaction reads a snapshot and never waits, and requests that only read
(GET, HEAD, OPTIONS) begin a plain deferred transaction. docs/decisions/0002.

Below them, the helpers for reading in bulk (a million rows, thousands of ids) that skip
SQLAlchemy's per-row and per-parameter work.
"""

import itertools
import json
import sqlite3
from collections.abc import Iterator

import numpy as np
from flask import Flask, has_request_context, request
from sqlalchemy import Integer, bindparam, event, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from gains.extensions import db

# How long a writer waits for the one before it. An API batch or a form takes milliseconds
# with the lock; a command-line import of a million rows holds it for about 10 s.
BUSY_TIMEOUT_MS = 30_000
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _configure_sqlite_connection(dbapi_connection, _connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _begin_sqlite):
    # pysqlite's own handling breaks SAVEPOINTs and transactional DDL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # Kept in the file once set; an in-memory database stays in its own mode.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _reads_only() -> bool:
    """A request that only reads (its few cache writes may be refused under contention)."""
    return has_request_context() and request.method in READING_METHODS


def _begin_sqlite(connection: Connection) -> None:
    # The recipe from SQLAlchemy's SQLite dialect notes ("Serializable isolation / Savepoints"),
    # with IMMEDIATE for everything that may write: requests that change something, commands,
    # migrations, tests.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN" if _reads_only() else "BEGIN IMMEDIATE")


def configure_engines(app: Flask) -> None:
    """Install the per-connection SQLite settings once per process (idempotent: SQLAlchemy's
    event registry is what says whether they are installed, not a flag of ours)."""
    for name, listener in (("connect", _configure_sqlite_connection), ("begin", _begin_sqlite)):
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)


# --- Reading in bulk --------------------------------------------------------------------------

MAX_LISTED_IDS = 5_000  # longest id list sent in one statement


def listed_ids(ids: list[int]):
    """A subquery of these ids sent as ONE parameter (an array; JSON on SQLite): thousands of
    ``IN`` placeholders cost more to build and parse than the statement saves, and SQLite
    limits their number."""
    if db.session.get_bind().dialect.name == "postgresql":
        return select(func.unnest(bindparam(None, list(ids), type_=ARRAY(Integer))))
    return select(func.json_each(json.dumps(list(ids))).table_valued("value").c.value)


def raw_rows(stmt) -> list[tuple]:
    """The statement's rows as the driver returns them: plain tuples, no per-value processing
    by SQLAlchemy (enum labels stay strings), which matters at a million rows."""
    result = db.session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def row_slices(stmt, size: int) -> Iterator[list[tuple]]:
    """The statement's rows as the driver returns them, ``size`` at a time (streamed from a
    server-side cursor on PostgreSQL), so that the caller can compact each slice before the
    next one becomes Python tuples. Its bound values (ids, enum labels) are written into the
    SQL, so the statement must hold only such plain values."""
    db.session.flush()  # rows the session has not written yet must count
    connection = db.session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="gains_row_slices")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


def float_rows(stmt, width: int) -> np.ndarray:
    """The statement's rows as one float array (rows × width), filled straight from the
    driver's cursor: a million rows as a list of tuples would hold about 100 MB at once."""
    result = db.session.connection().execute(stmt)
    try:
        values = np.fromiter(itertools.chain.from_iterable(result.cursor), dtype=float)
    finally:
        result.close()
    return values.reshape(-1, width)
