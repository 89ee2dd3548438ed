"""Why an improvement has no estimate, kept by the write that found it

Revision ID: 0012_missing_estimates
Revises: 0011_ids_never_reused
Create Date: 2026-12-09 12:00:00

Pages no longer compute estimates (GET never writes, docs/decisions/0007-get-never-writes.md):
the write that changes the data stores the estimate, or here the reason there is none ("Not
enough data ..."), at the new data version. Existing improvements have no row yet: run
`gains estimates recompute-all` once after upgrading, which stores both.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_missing_estimates"
down_revision = "0011_ids_never_reused"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "missing_estimates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("improvement_id", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["improvements.id"],
            name=op.f("fk_missing_estimates_improvement_id_improvements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_estimates")),
        sa.UniqueConstraint(
            "improvement_id",
            "data_version",
            name=op.f("uq_missing_estimates_improvement_id_data_version"),
        ),
    )


def downgrade():
    op.drop_table("missing_estimates")
