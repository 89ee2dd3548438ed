"""The database's full-text search over improvements (migration 0020; decision 0046).

Not models: SQLite keeps an FTS5 table in step with `improvements` by triggers, PostgreSQL a
generated column with its GIN index. Both are the database's own and exist on one backend
each, so the ORM's metadata does not describe them (no code reads or writes them but the
search) and the models-versus-migrations comparison leaves them out (`kept_by_search`).
"""

from __future__ import annotations

from sqlalchemy import column, literal_column, table

# SQLite: the FTS5 table (its rowid is the improvement's id) and the shadow tables FTS5 keeps.
SQLITE_SEARCH_TABLE = "improvement_search"
sqlite_search = table(SQLITE_SEARCH_TABLE, column("rowid"))
sqlite_search_match = literal_column(SQLITE_SEARCH_TABLE)  # `improvement_search MATCH :query`

# PostgreSQL: the weighted `english` tsvector of title (A), metric name (B) and hypothesis
# (C), a stored generated column with a GIN index.
POSTGRESQL_SEARCH_COLUMN = "search_document"
POSTGRESQL_SEARCH_INDEX = "ix_improvements_search"
POSTGRESQL_DOCUMENT = literal_column(f"improvements.{POSTGRESQL_SEARCH_COLUMN}")


def kept_by_search(name: str | None) -> bool:
    """Whether a reflected table, column or index is the search's (FTS5 names its shadow
    tables after the table: `improvement_search_data`, `_idx`, `_docsize`, `_config`)."""
    return bool(name) and (
        name.startswith(SQLITE_SEARCH_TABLE)
        or name in (POSTGRESQL_SEARCH_COLUMN, POSTGRESQL_SEARCH_INDEX)
    )


def include_in_comparison(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's `include_object`: compare everything but the search's own objects."""
    return not (reflected and kept_by_search(name))
