"""Engine settings per backend.

SQLite allows one writer at a time. A transaction that has read and then wants to write
cannot wait for the lock (SQLite refuses at once, "database is locked": waiting could
deadlock, or the reads would be out of date), so a writer must take the lock when it
begins: `BEGIN IMMEDIATE`, which waits up to the busy timeout for the writer before it.
Readers must not queue behind writers for that, so the database runs in WAL mode, where a
reader's transaction reads a snapshot and never waits, and requests that only read
(GET, HEAD, OPTIONS) begin a plain deferred transaction. docs/decisions/0002.
"""

import sqlite3

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# How long a writer waits for the one before it. An API batch or a form takes milliseconds
# with the lock; a command-line import of a million rows holds it for about 10 s.
BUSY_TIMEOUT_MS = 30_000
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_listening = False


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
    """Install the per-connection SQLite settings once per process (idempotent)."""
    global _listening
    if not _listening:
        event.listen(Engine, "connect", _configure_sqlite_connection)
        event.listen(Engine, "begin", _begin_sqlite)
        _listening = True
