"""The plan's yearly cycle: a time series' model may allow for a seasonal up-and-down

Revision ID: 0017_seasonal_plan
Revises: 0016_evidence_and_planning
Create Date: 2026-12-03 14:50:00

Issue 19 item 3 (docs/decisions/0026). Existing improvements keep the model they had: no
yearly cycle.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_seasonal_plan"
down_revision = "0016_evidence_and_planning"
branch_labels = None
depends_on = None


def _improvements():
    # A rebuilt table keeps AUTOINCREMENT on SQLite (migration 0011: ids are never reused).
    return op.batch_alter_table("improvements", table_kwargs={"sqlite_autoincrement": True})


def upgrade():
    with _improvements() as batch:
        batch.add_column(
            sa.Column("seasonal", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with _improvements() as batch:
        batch.alter_column("seasonal", server_default=None)


def downgrade():
    with _improvements() as batch:
        batch.drop_column("seasonal")
