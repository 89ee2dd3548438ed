"""Cell summaries without the "undecided" flags: every summary is now computed by numpy

Revision ID: 0013_cells_without_undecided
Revises: 0012_missing_estimates
Create Date: 2026-12-03 10:30:00

PostgreSQL used to compute the kept cell summaries with its own aggregates and flagged the
cells whose one-pass variance or interpolated quartiles could differ from numpy's in the last
digits ("undecided"); those improvements went the per-improvement way in recompute-all. Both
databases now hand the rows to one numpy computation (docs/decisions/0009-one-estimate-
engine.md), which is exact, so the flags are gone. Rows that carried a flag are deleted here:
readers treat a missing row as "compute from the rows", and the next write or `gains
estimates recompute-all` (or `gains estimates refresh-cells`) stores it again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_cells_without_undecided"
down_revision = "0012_missing_estimates"
branch_labels = None
depends_on = None

FLAGS = tuple(f"{cell}_undecided" for cell in ("tb", "ta", "cb", "ca"))


def upgrade():
    flagged = " OR ".join(f"{flag} > 0" for flag in FLAGS)
    op.execute(f"DELETE FROM measurement_cells WHERE {flagged}")
    with op.batch_alter_table("measurement_cells") as batch:
        for flag in FLAGS:
            batch.drop_column(flag)


def downgrade():
    with op.batch_alter_table("measurement_cells") as batch:
        for flag in FLAGS:
            batch.add_column(sa.Column(flag, sa.Float(), nullable=True))
    # Computed by numpy: nothing is undecided.
    op.execute(f"UPDATE measurement_cells SET {', '.join(f'{flag} = 0' for flag in FLAGS)}")
