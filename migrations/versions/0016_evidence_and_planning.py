"""Evidence levels and planning: the randomised declaration and the planned SD on the plan,
the approved evidence level on reviews, the before cells' weekly trends in the kept cells

Revision ID: 0016_evidence_and_planning
Revises: 0015_stopped_early
Create Date: 2026-12-03 13:20:00

Issue 19 (docs/decisions/0030). The kept cell summaries gain columns that the old rows lack,
so they are dropped: readers compute missing rows from the measurements, and
`gains estimates refresh-cells` (or recompute-all) stores them again. Approvals made before
evidence levels existed get level 2 where the approved method had no comparison group, as
`gains.stats.evidence.level_of_document` decides for their snapshots.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_evidence_and_planning"
down_revision = "0015_stopped_early"
branch_labels = None
depends_on = None

TREND_COLUMNS = [
    f"{cell}_{figure}"
    for cell in ("tb", "cb")
    for figure in ("weeks", "time_ss", "time_value_cp", "value_ss")
]


def _improvements():
    # A rebuilt table keeps AUTOINCREMENT on SQLite (migration 0011: ids are never reused).
    return op.batch_alter_table("improvements", table_kwargs={"sqlite_autoincrement": True})


def upgrade():
    with _improvements() as batch:
        batch.add_column(sa.Column("planned_sd", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("randomised", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_check_constraint(op.f("ck_improvements_planned_sd_positive"), "planned_sd > 0")
    with _improvements() as batch:
        batch.alter_column("randomised", server_default=None)
    with op.batch_alter_table("reviews", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("evidence_level", sa.Integer(), nullable=True))
    op.execute("DELETE FROM measurement_cells")
    with op.batch_alter_table("measurement_cells") as batch:
        for name in TREND_COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
    reviews = sa.table(
        "reviews",
        sa.column("id", sa.Integer()),
        sa.column("snapshot", sa.JSON()),
        sa.column("evidence_level", sa.Integer()),
    )
    connection = op.get_bind()
    for review_id, snapshot in connection.execute(
        sa.select(reviews.c.id, reviews.c.snapshot).where(reviews.c.snapshot.is_not(None))
    ):
        method = (snapshot.get("estimate") or {}).get("method")
        if method in ("welch", "paired"):
            connection.execute(
                reviews.update().where(reviews.c.id == review_id).values(evidence_level=2)
            )


def downgrade():
    with op.batch_alter_table("measurement_cells") as batch:
        for name in TREND_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table("reviews", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("evidence_level")
    with _improvements() as batch:
        batch.drop_constraint(op.f("ck_improvements_planned_sd_positive"), type_="check")
        batch.drop_column("randomised")
        batch.drop_column("planned_sd")
