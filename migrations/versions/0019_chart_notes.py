"""Chart notes: a team's dated notes drawn on its improvement's XmR and run charts

Revision ID: 0019_chart_notes
Revises: 0018_money_terms
Create Date: 2026-12-03 18:45:00

Issue 21 (docs/decisions/0043). A new table only; ids are never handed out again (the audit
trail names notes by id), as migration 0011 made every audited table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_chart_notes"
down_revision = "0018_money_terms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "chart_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("improvement_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(text) > 0", name=op.f("ck_chart_notes_text_not_empty")),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["improvements.id"],
            name=op.f("fk_chart_notes_improvement_id_improvements"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_chart_notes_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_notes")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_chart_notes_improvement_id"), "chart_notes", ["improvement_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_chart_notes_improvement_id"), table_name="chart_notes")
    op.drop_table("chart_notes")
