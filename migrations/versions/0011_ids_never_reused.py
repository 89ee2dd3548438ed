"""Ids never reused on SQLite: AUTOINCREMENT for every table whose rows the audit trail names

Revision ID: 0011_ids_never_reused
Revises: 0010_sessions_and_rate_limits
Create Date: 2026-12-02 12:00:00

Audit events keep the ids of the records they name, with no foreign key, and outlive them.
SQLite hands out the largest id plus one, so after a draft (or a batch, a row, a token) was
deleted its id went to the next one, which then showed the deleted one's history. With
AUTOINCREMENT, SQLite keeps the largest id ever given in `sqlite_sequence` and never goes
back. SQLite cannot add it to a table: each is rebuilt (batch mode, rows copied, foreign keys
checked after the migration by env.py). PostgreSQL's identity sequences never reuse an id:
nothing to do there. docs/decisions/0002-decisions-and-concurrent-writers.md.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_ids_never_reused"
down_revision = "0010_sessions_and_rate_limits"
branch_labels = None
depends_on = None

# Parents before children; ids named by audit events (`entity_type`, `improvement_id`).
TABLES = (
    "departments",
    "teams",
    "users",
    "api_tokens",
    "improvements",
    "amendments",
    "reviews",
    "upload_batches",
    "measurements",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
