"""Why a team stopped before the planned sample size, and when

Revision ID: 0015_stopped_early
Revises: 0014_figures_version
Create Date: 2026-12-03 13:00:00

While an improvement runs, its page shows an always-valid interval (a confidence sequence);
the fixed-sample result becomes final at the planned sample size, or when the team records
why it stopped early (docs/decisions/0028-live-estimate-and-stopping.md). Two nullable
columns and a check that a reason is never empty and always has its time. SQLite cannot add
a check to a table: it is rebuilt (batch mode), keeping AUTOINCREMENT (migration 0011).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_stopped_early"
down_revision = "0014_figures_version"
branch_labels = None
depends_on = None

CHECK = "stopped_early_with_reason_and_time"


def _improvements():
    return op.batch_alter_table("improvements", table_kwargs={"sqlite_autoincrement": True})


def upgrade():
    with _improvements() as batch_op:
        batch_op.add_column(sa.Column("stopped_early_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("stopped_early_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            CHECK,
            "stopped_early_reason IS NULL"
            " OR (length(stopped_early_reason) > 0 AND stopped_early_at IS NOT NULL)",
        )


def downgrade():
    with _improvements() as batch_op:
        batch_op.drop_constraint(op.f(f"ck_improvements_{CHECK}"), type_="check")
        batch_op.drop_column("stopped_early_at")
        batch_op.drop_column("stopped_early_reason")
