"""Per-improvement cell summaries of the active measurements, kept on write for recompute-all

Revision ID: 0007_measurement_cells
Revises: 0006_import_speed
Create Date: 2026-11-28 10:40:00

The table starts empty. Fill it for existing data with `gains estimates refresh-cells`
(`gains estimates recompute-all` also fills whatever is missing or stale, from the rows); until
then recompute-all computes those improvements from their measurements, as before, so nothing
is ever read stale. A migration cannot run the app's statistics code, hence the command.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_measurement_cells"
down_revision = "0006_import_speed"
branch_labels = None
depends_on = None

CELL_STATISTICS = (
    "n",
    "mean",
    "variance",
    "minimum",
    "maximum",
    "more_than_two_values",
    "q1",
    "q3",
    "undecided",
)
PAIRED_STATISTICS = (
    "n_units",
    "mean_difference",
    "variance_difference",
    "mean_before",
    "variance_before",
    "covariance_difference_before",
    "n_dropped",
    "rows_before",
    "rows_after",
    "minimum",
    "maximum",
    "more_than_two_values",
    "q1",
    "q3",
)
STATISTIC_COLUMNS = (
    *(f"{cell}_{name}" for cell in ("tb", "ta", "cb", "ca") for name in CELL_STATISTICS),
    *(f"paired_{name}" for name in PAIRED_STATISTICS),
    "rows_with_unit",
    "units",
)


def upgrade():
    op.create_table(
        "measurement_cells",
        sa.Column("improvement_id", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=True) for name in STATISTIC_COLUMNS),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["improvements.id"],
            name=op.f("fk_measurement_cells_improvement_id_improvements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("improvement_id", name=op.f("pk_measurement_cells")),
    )


def downgrade():
    op.drop_table("measurement_cells")
