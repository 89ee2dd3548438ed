"""Engine settings per backend."""

import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

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
    # Wait for a writer instead of failing at once when two requests write together.
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    # The recipe from SQLAlchemy's SQLite dialect notes ("Serializable isolation / Savepoints").
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def configure_engines(app: Flask) -> None:
    """Install the per-connection SQLite settings once per process (idempotent)."""
    global _listening
    if not _listening:
        event.listen(Engine, "connect", _configure_sqlite_connection)
        event.listen(Engine, "begin", _begin_sqlite)
        _listening = True
