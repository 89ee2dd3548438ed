"""Full-text search over improvements' title, hypothesis and metric name, kept by the database

Revision ID: 0020_improvement_search
Revises: 0019_chart_notes
Create Date: 2026-12-03 22:45:00

Issue 22 item 1 (docs/decisions/0046). SQLite: an external-content FTS5 table over
`improvements` (porter stemming), filled once and kept in step by three triggers. PostgreSQL:
the weighted `english` tsvector of the same three columns as a stored generated column with a
GIN index. Stored, not an expression index: ranking reads the document of every matching row,
and re-parsing the text for each (thousands at 10,000 improvements) took 100-300 ms.

A later SQLite migration that rebuilds `improvements` (a batch `alter_table`) drops the
triggers with the old table: it must create them again (tests/services/test_similar.py finds a
newly registered improvement, so the suite notices).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_improvement_search"
down_revision = "0019_chart_notes"
branch_labels = None
depends_on = None

COLUMNS = "title, hypothesis, metric_name"
NEW_ROW = "new.id, new.title, new.hypothesis, new.metric_name"
OLD_ROW = "'delete', old.id, old.title, old.hypothesis, old.metric_name"

SQLITE_UPGRADE = (
    f"""CREATE VIRTUAL TABLE improvement_search USING fts5({COLUMNS},
        content='improvements', content_rowid='id', tokenize='porter unicode61')""",
    "INSERT INTO improvement_search(improvement_search) VALUES ('rebuild')",
    f"""CREATE TRIGGER improvement_search_insert AFTER INSERT ON improvements BEGIN
        INSERT INTO improvement_search(rowid, {COLUMNS}) VALUES ({NEW_ROW});
    END""",
    f"""CREATE TRIGGER improvement_search_delete AFTER DELETE ON improvements BEGIN
        INSERT INTO improvement_search(improvement_search, rowid, {COLUMNS}) VALUES ({OLD_ROW});
    END""",
    f"""CREATE TRIGGER improvement_search_update AFTER UPDATE OF {COLUMNS} ON improvements BEGIN
        INSERT INTO improvement_search(improvement_search, rowid, {COLUMNS}) VALUES ({OLD_ROW});
        INSERT INTO improvement_search(rowid, {COLUMNS}) VALUES ({NEW_ROW});
    END""",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER improvement_search_update",
    "DROP TRIGGER improvement_search_delete",
    "DROP TRIGGER improvement_search_insert",
    "DROP TABLE improvement_search",
)

POSTGRESQL_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, title), 'A')"
    " || setweight(to_tsvector('english'::regconfig, metric_name), 'B')"
    " || setweight(to_tsvector('english'::regconfig, hypothesis), 'C')"
)
POSTGRESQL_UPGRADE = (
    "ALTER TABLE improvements ADD COLUMN search_document tsvector"
    f" GENERATED ALWAYS AS ({POSTGRESQL_DOCUMENT}) STORED",
    "CREATE INDEX ix_improvements_search ON improvements USING gin (search_document)",
)
POSTGRESQL_DOWNGRADE = (
    "DROP INDEX ix_improvements_search",
    "ALTER TABLE improvements DROP COLUMN search_document",
)


def _run(statements) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(SQLITE_UPGRADE if sqlite else POSTGRESQL_UPGRADE)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(SQLITE_DOWNGRADE if sqlite else POSTGRESQL_DOWNGRADE)
