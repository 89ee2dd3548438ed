"""PDSA cycles: an improvement's numbered tries, each with its own upload batches

Revision ID: 0022_pdsa_cycles
Revises: 0021_adoptions
Create Date: 2026-12-03 23:00:00

Issue 22 item 4 (docs/decisions/0048). A new table, and a nullable `cycle_id` on upload batches
whose foreign key, with the batch's improvement, says the cycle is the improvement's own. No
existing improvement gets a cycle: an improvement has none until its team starts one, so every
existing batch keeps cycle_id NULL and every existing page, estimate and export is unchanged.
SQLite cannot add a foreign key to a table: upload_batches is rebuilt (batch mode), keeping
AUTOINCREMENT (migration 0011).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_pdsa_cycles"
down_revision = "0021_adoptions"
branch_labels = None
depends_on = None

CYCLE_FOREIGN_KEY = "fk_upload_batches_cycle_id_improvement_id_cycles"


def _upload_batches():
    return op.batch_alter_table("upload_batches", table_kwargs={"sqlite_autoincrement": True})


def upgrade():
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("improvement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("prediction", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "act_decision",
            sa.Enum(
                "adopt",
                "adapt",
                "abandon",
                name="act_decision",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=True,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estimate_result", sa.JSON(), nullable=True),
        sa.Column("estimate_missing_reason", sa.Text(), nullable=True),
        sa.Column("estimate_data_version", sa.Integer(), nullable=True),
        sa.CheckConstraint("number >= 1", name=op.f("ck_cycles_number_positive")),
        sa.CheckConstraint("length(plan) > 0", name=op.f("ck_cycles_plan_not_empty")),
        sa.CheckConstraint("length(prediction) > 0", name=op.f("ck_cycles_prediction_not_empty")),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_cycles_ends_after_start")
        ),
        sa.CheckConstraint(
            "act_decision IS NULL OR ended_on IS NOT NULL",
            name=op.f("ck_cycles_decided_once_ended"),
        ),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["improvements.id"],
            name=op.f("fk_cycles_improvement_id_improvements"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_cycles_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycles")),
        sa.UniqueConstraint(
            "improvement_id", "number", name=op.f("uq_cycles_improvement_id_number")
        ),
        sa.UniqueConstraint("id", "improvement_id", name=op.f("uq_cycles_id_improvement_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_cycles_one_open",
        "cycles",
        ["improvement_id"],
        unique=True,
        sqlite_where=sa.text("ended_on IS NULL"),
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    with _upload_batches() as batch_op:
        batch_op.add_column(sa.Column("cycle_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            CYCLE_FOREIGN_KEY,
            "cycles",
            ["cycle_id", "improvement_id"],
            ["id", "improvement_id"],
        )


def downgrade():
    with _upload_batches() as batch_op:
        batch_op.drop_constraint(CYCLE_FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_column("cycle_id")
    op.drop_index("uq_cycles_one_open", table_name="cycles")
    op.drop_table("cycles")
