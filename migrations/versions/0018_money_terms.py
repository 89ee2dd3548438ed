"""The plan's money terms for Treasury: ranges around the annual volume and £ per unit, the
Green Book appraisal terms, the approved terms as review columns, the estimate's evidence
level as a column

Revision ID: 0018_money_terms
Revises: 0017_seasonal_plan
Create Date: 2026-12-03 15:50:00

Issue 20 (docs/decisions/0036). Existing improvements get their kind's appraisal defaults
(copied here as they were when this migration was written: a migration must not change
when the application's defaults do) and no ranges. Existing approvals get the central terms
of their snapshot and the kind's defaults for the new ones, as columns (their snapshot JSON is
left as it was approved). Existing estimates get the level their document records.
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_money_terms"
down_revision = "0017_seasonal_plan"
branch_labels = None
depends_on = None

# Kind → (expected life, persistence, health outcomes, optimism bias on benefits, on costs).
KIND_DEFAULTS = {
    "marginal_gain": (3, "0.80", False, "0.15", "0.10"),
    "no_extra_cost": (5, "0.90", False, "0.15", "0.10"),
}
APPRAISAL_COLUMNS = (
    "expected_life_years",
    "persistence",
    "health_outcomes",
    "optimism_bias_benefits",
    "optimism_bias_costs",
)
RANGE_COLUMNS = (
    ("annual_volume_low", sa.BigInteger),
    ("annual_volume_high", sa.BigInteger),
    ("value_per_unit_low_gbp", lambda: sa.Numeric(14, 4)),
    ("value_per_unit_high_gbp", lambda: sa.Numeric(14, 4)),
)
FRACTION = sa.Numeric(5, 4)
CHECKS = {
    "annual_volume_range_around_central": "(annual_volume_low IS NULL AND annual_volume_high IS"
    " NULL) OR (annual_volume_low IS NOT NULL AND annual_volume_high IS NOT NULL"
    " AND annual_volume IS NOT NULL AND annual_volume_low > 0"
    " AND annual_volume_low <= annual_volume AND annual_volume <= annual_volume_high)",
    "value_per_unit_range_around_central": "(value_per_unit_low_gbp IS NULL AND"
    " value_per_unit_high_gbp IS NULL) OR (value_per_unit_low_gbp IS NOT NULL"
    " AND value_per_unit_high_gbp IS NOT NULL AND value_per_unit_gbp IS NOT NULL"
    " AND value_per_unit_low_gbp >= 0 AND value_per_unit_low_gbp <= value_per_unit_gbp"
    " AND value_per_unit_gbp <= value_per_unit_high_gbp)",
    "expected_life_1_to_30": "expected_life_years >= 1 AND expected_life_years <= 30",
    "persistence_0_to_1": "persistence >= 0 AND persistence <= 1",
    "optimism_bias_benefits_0_to_95_percent": "optimism_bias_benefits >= 0"
    " AND optimism_bias_benefits <= 0.95",
    "optimism_bias_costs_0_to_200_percent": "optimism_bias_costs >= 0"
    " AND optimism_bias_costs <= 2",
}
# The approval's money columns: the central terms out of its snapshot, then the new ones.
REVIEW_CENTRAL = (
    ("scale", sa.Integer),
    ("annual_volume", sa.BigInteger),
    ("value_per_unit_gbp", lambda: sa.Numeric(14, 4)),
    ("implementation_cost_pence", sa.BigInteger),
)
REVIEW_NEW = (
    *RANGE_COLUMNS,
    ("expected_life_years", sa.Integer),
    ("persistence", lambda: FRACTION),
    ("health_outcomes", sa.Boolean),
    ("optimism_bias_benefits", lambda: FRACTION),
    ("optimism_bias_costs", lambda: FRACTION),
)


def _batch(table: str):
    # A rebuilt table keeps AUTOINCREMENT on SQLite (migration 0011: ids are never reused).
    return op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": True})


def _appraisal_defaults(kind: str) -> dict:
    life, persistence, health, benefits, costs = KIND_DEFAULTS[kind]
    terms = (life, Decimal(persistence), health, Decimal(benefits), Decimal(costs))
    return dict(zip(APPRAISAL_COLUMNS, terms, strict=True))


def _appraisal_types():
    return (sa.Integer(), FRACTION, sa.Boolean(), FRACTION, FRACTION)


def upgrade():
    with _batch("improvements") as batch:
        for name, type_ in RANGE_COLUMNS:
            batch.add_column(sa.Column(name, type_(), nullable=True))
        for name, type_ in zip(APPRAISAL_COLUMNS, _appraisal_types(), strict=True):
            batch.add_column(sa.Column(name, type_, nullable=True))
    connection = op.get_bind()
    improvements = sa.table(
        "improvements",
        sa.column("kind", sa.String()),
        *(sa.column(n, t) for n, t in zip(APPRAISAL_COLUMNS, _appraisal_types(), strict=True)),
    )
    for kind in KIND_DEFAULTS:
        connection.execute(
            improvements.update()
            .where(improvements.c.kind == kind)
            .values(_appraisal_defaults(kind))
        )
    with _batch("improvements") as batch:
        for name, type_ in zip(APPRAISAL_COLUMNS, _appraisal_types(), strict=True):
            batch.alter_column(name, existing_type=type_, nullable=False)
        for name, sql in CHECKS.items():
            batch.create_check_constraint(op.f(f"ck_improvements_{name}"), sql)

    with _batch("reviews") as batch:
        for name, type_ in (*REVIEW_CENTRAL, *REVIEW_NEW):
            batch.add_column(sa.Column(name, type_(), nullable=True))
    _backfill_approvals(connection)

    with op.batch_alter_table("estimates") as batch:
        batch.add_column(sa.Column("evidence_level", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_estimates_evidence_level_2_to_5"),
            "evidence_level IS NULL OR (evidence_level >= 2 AND evidence_level <= 5)",
        )
    _backfill_estimate_levels(connection)


def _backfill_approvals(connection) -> None:
    reviews = sa.table(
        "reviews",
        sa.column("id", sa.Integer()),
        sa.column("improvement_id", sa.Integer()),
        sa.column("decision", sa.String()),
        sa.column("snapshot", sa.JSON()),
        *(sa.column(name, type_()) for name, type_ in (*REVIEW_CENTRAL, *REVIEW_NEW)),
    )
    kinds = sa.table("improvements", sa.column("id", sa.Integer()), sa.column("kind", sa.String()))
    approvals = connection.execute(
        sa.select(reviews.c.id, reviews.c.snapshot, kinds.c.kind)
        .join(kinds, kinds.c.id == reviews.c.improvement_id)
        .where(reviews.c.decision == "approved", reviews.c.snapshot.is_not(None))
    ).all()
    for review_id, snapshot, kind in approvals:
        money = snapshot.get("money") or {}
        values = {name: money.get(name) for name, _ in REVIEW_CENTRAL}
        if values["value_per_unit_gbp"] is not None:  # kept exact in JSON as a string
            values["value_per_unit_gbp"] = Decimal(values["value_per_unit_gbp"])
        values |= _appraisal_defaults(kind)
        connection.execute(reviews.update().where(reviews.c.id == review_id).values(values))


def _backfill_estimate_levels(connection) -> None:
    """The level `gains.stats.evidence.level_of_document` reads: the document's own, or 2 for
    a document from before levels whose method had no comparison group."""
    estimates = sa.table(
        "estimates",
        sa.column("id", sa.Integer()),
        sa.column("result", sa.JSON()),
        sa.column("evidence_level", sa.Integer()),
    )
    for estimate_id, result in connection.execute(sa.select(estimates.c.id, estimates.c.result)):
        level = result.get("evidence_level")
        if level is None and result.get("method") in ("welch", "paired"):
            level = 2
        if level is not None:
            connection.execute(
                estimates.update().where(estimates.c.id == estimate_id).values(evidence_level=level)
            )


def downgrade():
    with op.batch_alter_table("estimates") as batch:
        batch.drop_constraint(op.f("ck_estimates_evidence_level_2_to_5"), type_="check")
        batch.drop_column("evidence_level")
    with _batch("reviews") as batch:
        for name, _ in (*REVIEW_CENTRAL, *REVIEW_NEW):
            batch.drop_column(name)
    with _batch("improvements") as batch:
        for name in CHECKS:
            batch.drop_constraint(op.f(f"ck_improvements_{name}"), type_="check")
        for name in (*APPRAISAL_COLUMNS, *(name for name, _ in RANGE_COLUMNS)):
            batch.drop_column(name)
