"""Command-line imports: a batch may have no person (source cli only) and names its source

Revision ID: 0008_cli_import
Revises: 0001
Create Date: 2026-11-28 08:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_cli_import"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("upload_batches") as batch_op:
        batch_op.add_column(sa.Column("source_name", sa.String(length=100), nullable=True))
        batch_op.alter_column("created_by_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_upload_batches_person_unless_cli"),
            "created_by_id IS NOT NULL OR source = 'cli'",
        )


def downgrade():
    # A batch imported without a person cannot go back to a schema that requires one; say so
    # rather than delete measurements.
    orphans = op.get_bind().execute(
        sa.text("SELECT count(*) FROM upload_batches WHERE created_by_id IS NULL")
    ).scalar()
    if orphans:
        raise RuntimeError(
            f"{orphans} command-line import batch(es) have no person: withdraw and delete "
            "them, or give them one, before downgrading"
        )
    with op.batch_alter_table("upload_batches") as batch_op:
        batch_op.drop_constraint(op.f("ck_upload_batches_person_unless_cli"), type_="check")
        batch_op.alter_column("created_by_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("source_name")
