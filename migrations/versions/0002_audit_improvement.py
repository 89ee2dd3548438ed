"""Audit events know their improvement

Revision ID: 0002_audit_improvement
Revises: 0001
Create Date: 2026-11-28 08:00:00

Every audit event about an improvement, its batches, rows, reviews or amendments carries the
improvement's id, so that the improvement's audit page is one indexed query. Existing events
are filled in from the records that still exist; events about rows deleted before this
revision stay without one (they still show in the admin-wide audit view).
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_audit_improvement"
down_revision = "0001"
branch_labels = None
depends_on = None

# entity_type (table name) -> the table whose improvement_id the event inherits
OWNED_BY_AN_IMPROVEMENT = ("upload_batches", "measurements", "estimates", "reviews", "amendments")


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("improvement_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_audit_events_improvement_time", ["improvement_id", "occurred_at"], unique=False
        )
    op.execute(
        "UPDATE audit_events SET improvement_id = entity_id WHERE entity_type = 'improvements'"
    )
    for table in OWNED_BY_AN_IMPROVEMENT:
        op.execute(
            f"UPDATE audit_events SET improvement_id = "
            f"(SELECT improvement_id FROM {table} WHERE {table}.id = audit_events.entity_id) "
            f"WHERE entity_type = '{table}'"
        )


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_improvement_time")
        batch_op.drop_column("improvement_id")
