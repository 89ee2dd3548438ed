"""Cached estimates and the reviews that approve, reject or send them back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains.models.base import NEVER_REUSED_IDS, Base, UTCDateTime, enum_column_type, utcnow
from gains.models.enums import Decision

if TYPE_CHECKING:
    from gains.models.improvement import Improvement
    from gains.models.org import User


class Estimate(Base):
    """The statistics for one improvement at one data version (a cache, safe to rebuild)."""

    __tablename__ = "estimates"
    __table_args__ = (
        UniqueConstraint("improvement_id", "data_version"),
        CheckConstraint("p_value IS NULL OR (p_value >= 0 AND p_value <= 1)", name="p_in_0_1"),
        CheckConstraint(
            "evidence_level IS NULL OR (evidence_level >= 2 AND evidence_level <= 5)",
            name="evidence_level_2_to_5",
        ),
        # The newest computation is part of the dashboards' figures version (figures_cache).
        Index("ix_estimates_computed_at", "computed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"))
    data_version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The headline figures as columns, so dashboards can sum and filter in SQL ...
    effect: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    gain: Mapped[float | None] = mapped_column(Float)
    # The gain's interval (the effect's, turned the better way), for claimed savings.
    gain_ci_low: Mapped[float | None] = mapped_column(Float)
    gain_ci_high: Mapped[float | None] = mapped_column(Float)
    hedges_g: Mapped[float | None] = mapped_column(Float)
    hedges_g_variance: Mapped[float | None] = mapped_column(Float)
    n_before: Mapped[int] = mapped_column(Integer, default=0)
    n_after: Mapped[int] = mapped_column(Integer, default=0)
    # The result's evidence level (2-5; `gains.stats.evidence.level_of_document`), a column
    # so that the dashboards filter on it in SQL.
    evidence_level: Mapped[int | None] = mapped_column(Integer)
    # ... and the whole result (warnings, relative change, per-group n) as a document.
    result: Mapped[dict[str, Any]] = mapped_column(JSON)

    improvement: Mapped[Improvement] = relationship(back_populates="estimates")


class MissingEstimate(Base):
    """Why an improvement has no estimate at one data version ("Not enough data ..."), kept
    by the write that found it, so that pages can say why without computing (a cache too)."""

    __tablename__ = "missing_estimates"
    __table_args__ = (UniqueConstraint("improvement_id", "data_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"))
    data_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    """A manager's decision. An approval freezes what it approved in `snapshot`."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(
            "decision = 'approved' OR (comment IS NOT NULL AND length(comment) > 0)",
            name="comment_required_unless_approved",
        ),
        CheckConstraint(
            "decision <> 'approved' OR snapshot IS NOT NULL", name="approval_has_snapshot"
        ),
        CheckConstraint(
            "bh_adjusted_p IS NULL OR (bh_adjusted_p >= 0 AND bh_adjusted_p <= 1)",
            name="bh_p_in_0_1",
        ),
        Index("ix_reviews_improvement_decided", "improvement_id", "decided_at"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[Decision] = mapped_column(enum_column_type(Decision, "decision"))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data_version: Mapped[int] = mapped_column(Integer)
    bh_adjusted_p: Mapped[float | None] = mapped_column(Float)
    # What was approved: the estimate and the money parameters, as they were.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The validated figures from the snapshot, as columns for the Treasury sums and the
    # department's pooling (reading them out of thousands of JSON documents is slow).
    gain: Mapped[float | None] = mapped_column(Float)
    gain_se: Mapped[float | None] = mapped_column(Float)
    annual_saving_gbp: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    annual_saving_se_gbp: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    saving_ci_excludes_zero: Mapped[bool | None] = mapped_column(Boolean)
    cashable: Mapped[bool | None] = mapped_column(Boolean)
    hedges_g: Mapped[float | None] = mapped_column(Float)
    hedges_g_variance: Mapped[float | None] = mapped_column(Float)
    # The approved estimate's evidence level (2-5): department pooling leaves out level 2
    # unless asked.
    evidence_level: Mapped[int | None] = mapped_column(Integer)
    # The money terms the approval priced (the snapshot's "money"), as columns, so Treasury
    # computes present values and ranges without reading JSON and without terms amended
    # since. Only approvals fill them.
    scale: Mapped[int | None] = mapped_column(Integer)
    annual_volume: Mapped[int | None] = mapped_column(BigInteger)
    annual_volume_low: Mapped[int | None] = mapped_column(BigInteger)
    annual_volume_high: Mapped[int | None] = mapped_column(BigInteger)
    value_per_unit_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    value_per_unit_low_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    value_per_unit_high_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    implementation_cost_pence: Mapped[int | None] = mapped_column(BigInteger)
    expected_life_years: Mapped[int | None] = mapped_column(Integer)
    persistence: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    health_outcomes: Mapped[bool | None] = mapped_column(Boolean)
    optimism_bias_benefits: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    optimism_bias_costs: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))

    improvement: Mapped[Improvement] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()
