"""One secondary index on measurements: (improvement_id, batch_id)

Every read of measurements names the improvement, and the few by batch name its improvement
too; the two indexes this replaces (by cell, by batch) each cost every stored row, about
1 s more of a million-row import on PostgreSQL.

Revision ID: 0009_measurement_index
Revises: 0008_saving_columns
Create Date: 2026-11-28 13:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_measurement_index"
down_revision = "0008_saving_columns"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_measurements_improvement_batch", "measurements", ["improvement_id", "batch_id"]
    )
    op.drop_index("ix_measurements_cell", table_name="measurements")
    op.drop_index("ix_measurements_batch_id", table_name="measurements")


def downgrade():
    op.create_index("ix_measurements_batch_id", "measurements", ["batch_id"])
    op.create_index(
        "ix_measurements_cell", "measurements", ["improvement_id", "phase", "study_group"]
    )
    op.drop_index("ix_measurements_improvement_batch", table_name="measurements")
