"""The figures version: one row whose number each committed write behind the figures moves on

Revision ID: 0014_figures_version
Revises: 0013_cells_without_undecided
Create Date: 2026-12-03 10:45:00

Every ETag and the dashboards' kept figures derive from it (docs/decisions/0010). The newest
audit event's id did that before, but ids are handed out before commit: on PostgreSQL a write
that committed after a later-numbered one left it unchanged.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_figures_version"
down_revision = "0013_cells_without_undecided"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "figures_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figures_version")),
    )
    op.bulk_insert(table, [{"id": 1, "number": 0}])


def downgrade():
    op.drop_table("figures_version")
