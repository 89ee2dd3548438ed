"""Savings figures as columns beside their documents; estimates indexed by computation time

The gain's interval on estimates, the approval's saving flags and standardised effect on
reviews: dashboards read them for thousands of rows, and reading them out of JSON documents
took most of a Treasury page's time. The newest estimate's computation time is part of the
dashboards' figures version.

Revision ID: 0008_saving_columns
Revises: 0007_measurement_cells
Create Date: 2026-11-28 11:00:00

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_saving_columns"
down_revision = "0007_measurement_cells"
branch_labels = None
depends_on = None

REVIEW_COLUMNS = ("saving_ci_excludes_zero", "cashable", "hedges_g", "hedges_g_variance")


def upgrade():
    with op.batch_alter_table("estimates") as batch_op:
        batch_op.add_column(sa.Column("gain_ci_low", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("gain_ci_high", sa.Float(), nullable=True))
        batch_op.create_index("ix_estimates_computed_at", ["computed_at"])
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.add_column(sa.Column("saving_ci_excludes_zero", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("cashable", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("hedges_g", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("hedges_g_variance", sa.Float(), nullable=True))
    _copy_out_of_the_documents(op.get_bind())


def _document(value):
    return json.loads(value) if isinstance(value, str) else value


def _copy_out_of_the_documents(connection) -> None:
    """Fill the new columns from the documents they copy, a thousand rows at a time."""
    estimates = connection.execute(sa.text("SELECT id, result FROM estimates"))
    _update_in_chunks(
        connection,
        "UPDATE estimates SET gain_ci_low = :low, gain_ci_high = :high WHERE id = :id",
        (
            {"id": row_id, "low": doc.get("gain_ci_low"), "high": doc.get("gain_ci_high")}
            for row_id, doc in ((r[0], _document(r[1])) for r in estimates)
        ),
    )
    approvals = connection.execute(
        sa.text("SELECT id, snapshot FROM reviews WHERE snapshot IS NOT NULL")
    )
    _update_in_chunks(
        connection,
        "UPDATE reviews SET saving_ci_excludes_zero = :excludes, cashable = :cashable, "
        "hedges_g = :g, hedges_g_variance = :g_variance WHERE id = :id",
        (
            {
                "id": row_id,
                "excludes": bool(snapshot["annual_saving"]["ci_excludes_zero"]),
                "cashable": bool(snapshot["money"]["cashable"]),
                "g": snapshot["estimate"].get("hedges_g"),
                "g_variance": snapshot["estimate"].get("hedges_g_variance"),
            }
            for row_id, snapshot in ((r[0], _document(r[1])) for r in approvals)
        ),
    )


def _update_in_chunks(connection, statement: str, rows) -> None:
    rows = list(rows)
    for start in range(0, len(rows), 1000):
        connection.execute(sa.text(statement), rows[start : start + 1000])


def downgrade():
    with op.batch_alter_table("reviews") as batch_op:
        for column in REVIEW_COLUMNS:
            batch_op.drop_column(column)
    with op.batch_alter_table("estimates") as batch_op:
        batch_op.drop_index("ix_estimates_computed_at")
        batch_op.drop_column("gain_ci_high")
        batch_op.drop_column("gain_ci_low")
