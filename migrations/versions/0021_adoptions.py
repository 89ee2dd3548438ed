"""An improvement adopted from another: the idea it copies

Revision ID: 0021_adoptions
Revises: 0020_improvement_search
Create Date: 2026-12-03 22:45:00

Issue 22 items 2 and 3 (docs/decisions/0047). One nullable column pointing at the original
idea (an adoption of an adoption points at the original, so an idea is one level deep), an
index for "its adoptions", and a foreign key that lets an adopted draft be deleted (its
adoptions then stand on their own). SQLite cannot add a foreign key to a table: it is rebuilt
(batch mode), keeping AUTOINCREMENT (migration 0011) and the full-text triggers that the
rebuild would drop with the old table (migration 0020).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_adoptions"
down_revision = "0020_improvement_search"
branch_labels = None
depends_on = None


def _improvements():
    return op.batch_alter_table("improvements", table_kwargs={"sqlite_autoincrement": True})


def _keeping_triggers(rebuild) -> None:
    """Run a batch rebuild of `improvements`; on SQLite, create its triggers again after it
    (dropping the old table drops them), from their own stored SQL."""
    bind = op.get_bind()
    triggers = []
    if bind.dialect.name == "sqlite":
        triggers = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'improvements'"
        ).scalars().all()
    rebuild()
    for statement in triggers:
        op.execute(statement)


def upgrade():
    _keeping_triggers(_add_adopted_from)


def downgrade():
    _keeping_triggers(_drop_adopted_from)


def _add_adopted_from():
    with _improvements() as batch_op:
        batch_op.add_column(sa.Column("adopted_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_improvements_adopted_from_id_improvements"),
            "improvements",
            ["adopted_from_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            op.f("ix_improvements_adopted_from_id"), ["adopted_from_id"], unique=False
        )


def _drop_adopted_from():
    with _improvements() as batch_op:
        batch_op.drop_index(op.f("ix_improvements_adopted_from_id"))
        batch_op.drop_constraint(
            op.f("fk_improvements_adopted_from_id_improvements"), type_="foreignkey"
        )
        batch_op.drop_column("adopted_from_id")
