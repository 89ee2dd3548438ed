"""One foreign key per measurement: (batch_id, improvement_id) → upload_batches (id, improvement_id)

Revision ID: 0006_import_speed
Revises: 0005_cli_import
Create Date: 2026-11-28 10:45:00

Replaces measurements' two foreign keys (batch → upload_batches, improvement → improvements)
with one over both columns, so PostgreSQL checks one key per inserted row instead of two
(most of a bulk import's time in the server), and a row's improvement must be its batch's.
The batch's own key still says the improvement exists. See ARCHITECTURE "Data model".
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_import_speed"
down_revision = "0005_cli_import"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("upload_batches") as batch_op:
        batch_op.create_unique_constraint(
            op.f("uq_upload_batches_id_improvement_id"), ["id", "improvement_id"]
        )
    with op.batch_alter_table("measurements") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_measurements_batch_id_upload_batches"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            op.f("fk_measurements_improvement_id_improvements"), type_="foreignkey"
        )
        # Fails (and changes nothing) if a stored row's improvement is not its batch's.
        batch_op.create_foreign_key(
            op.f("fk_measurements_batch_id_improvement_id_upload_batches"),
            "upload_batches",
            ["batch_id", "improvement_id"],
            ["id", "improvement_id"],
        )


def downgrade():
    with op.batch_alter_table("measurements") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_measurements_batch_id_improvement_id_upload_batches"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            op.f("fk_measurements_improvement_id_improvements"),
            "improvements",
            ["improvement_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            op.f("fk_measurements_batch_id_upload_batches"), "upload_batches", ["batch_id"], ["id"]
        )
    with op.batch_alter_table("upload_batches") as batch_op:
        batch_op.drop_constraint(op.f("uq_upload_batches_id_improvement_id"), type_="unique")
