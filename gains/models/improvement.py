"""An improvement is one experiment: a change, its pre-registered plan and its money terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains.bounds import improvement_reference
from gains.models.base import NEVER_REUSED_IDS, Base, UTCDateTime, enum_column_type, utcnow
from gains.models.enums import Design, Direction, ImprovementKind, Pillar, Status
from gains.stats.appraisal import discount_rate

if TYPE_CHECKING:
    from gains.models.chart_note import ChartNote
    from gains.models.cycle import Cycle
    from gains.models.measurement import Measurement, UploadBatch
    from gains.models.org import Department, Team, User
    from gains.models.review import Estimate, Review

# The low and high ends of the two uncertain money inputs (optional; both or neither).
RANGE_FIELDS = (
    "annual_volume_low",
    "annual_volume_high",
    "value_per_unit_low_gbp",
    "value_per_unit_high_gbp",
)
# The Green Book appraisal terms (HM Treasury, The Green Book, 2022): always set, from the
# kind's defaults below unless the team says otherwise.
APPRAISAL_FIELDS = (
    "expected_life_years",
    "persistence",
    "health_outcomes",
    "optimism_bias_benefits",
    "optimism_bias_costs",
)
# The money terms an approval's snapshot keeps (beside the scale), and copies into its
# `reviews` columns. Which plan field locks at which status is the lock table,
# gains/services/improvements/locking.py.
MONEY_FIELDS = (
    "annual_volume",
    "value_per_unit_gbp",
    "implementation_cost_pence",
    "cashable",
    *RANGE_FIELDS,
    *APPRAISAL_FIELDS,
)


@dataclass(frozen=True)
class AppraisalTerms:
    """An improvement's appraisal terms: how long the gain lasts and how it is discounted."""

    expected_life_years: int
    persistence: Decimal  # the share of the gain that survives each further year
    health_outcomes: bool  # discounted at the Green Book's 1.5 % health rate, not 3.5 %
    optimism_bias_benefits: Decimal  # a fraction taken off benefits
    optimism_bias_costs: Decimal  # a fraction added to the one-off cost


# The defaults registration fills in, by kind: the one place they are written. Why these
# figures: docs/decisions/0036-appraisal-and-range-terms.md.
APPRAISAL_DEFAULTS: dict[ImprovementKind, AppraisalTerms] = {
    ImprovementKind.MARGINAL_GAIN: AppraisalTerms(
        expected_life_years=3,
        persistence=Decimal("0.80"),
        health_outcomes=False,
        optimism_bias_benefits=Decimal("0.15"),
        optimism_bias_costs=Decimal("0.10"),
    ),
    ImprovementKind.NO_EXTRA_COST: AppraisalTerms(
        expected_life_years=5,
        persistence=Decimal("0.90"),
        health_outcomes=False,
        optimism_bias_benefits=Decimal("0.15"),
        optimism_bias_costs=Decimal("0.10"),
    ),
}


class Improvement(Base):
    __tablename__ = "improvements"
    __table_args__ = (
        ForeignKeyConstraint(
            ["team_id", "department_id"],
            ["teams.id", "teams.department_id"],
            name="fk_improvements_team_department",
        ),
        UniqueConstraint("department_id", "title"),
        CheckConstraint(
            "kind <> 'no_extra_cost' OR implementation_cost_pence = 0",
            name="no_extra_cost_costs_nothing",
        ),
        CheckConstraint("implementation_cost_pence >= 0", name="cost_not_negative"),
        CheckConstraint("value_per_unit_gbp >= 0", name="value_per_unit_not_negative"),
        CheckConstraint("annual_volume > 0", name="annual_volume_positive"),
        CheckConstraint("planned_sample_size > 0", name="planned_sample_size_positive"),
        # A range is optional, both ends or neither, and lies around its central value.
        CheckConstraint(
            "(annual_volume_low IS NULL AND annual_volume_high IS NULL)"
            " OR (annual_volume_low IS NOT NULL AND annual_volume_high IS NOT NULL"
            " AND annual_volume IS NOT NULL AND annual_volume_low > 0"
            " AND annual_volume_low <= annual_volume AND annual_volume <= annual_volume_high)",
            name="annual_volume_range_around_central",
        ),
        CheckConstraint(
            "(value_per_unit_low_gbp IS NULL AND value_per_unit_high_gbp IS NULL)"
            " OR (value_per_unit_low_gbp IS NOT NULL AND value_per_unit_high_gbp IS NOT NULL"
            " AND value_per_unit_gbp IS NOT NULL AND value_per_unit_low_gbp >= 0"
            " AND value_per_unit_low_gbp <= value_per_unit_gbp"
            " AND value_per_unit_gbp <= value_per_unit_high_gbp)",
            name="value_per_unit_range_around_central",
        ),
        CheckConstraint(
            "expected_life_years >= 1 AND expected_life_years <= 30", name="expected_life_1_to_30"
        ),
        CheckConstraint("persistence >= 0 AND persistence <= 1", name="persistence_0_to_1"),
        CheckConstraint(
            "optimism_bias_benefits >= 0 AND optimism_bias_benefits <= 0.95",
            name="optimism_bias_benefits_0_to_95_percent",
        ),
        CheckConstraint(
            "optimism_bias_costs >= 0 AND optimism_bias_costs <= 2",
            name="optimism_bias_costs_0_to_200_percent",
        ),
        CheckConstraint("planned_sd > 0", name="planned_sd_positive"),
        CheckConstraint("scale > 0", name="scale_positive"),
        CheckConstraint(
            "ended_on IS NULL OR (go_live_on IS NOT NULL AND ended_on > go_live_on)",
            name="ended_after_go_live",
        ),
        CheckConstraint("data_version >= 0", name="data_version_not_negative"),
        CheckConstraint(
            "stopped_early_reason IS NULL"
            " OR (length(stopped_early_reason) > 0 AND stopped_early_at IS NOT NULL)",
            name="stopped_early_with_reason_and_time",
        ),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        # The dashboards group and filter by these.
        Index("ix_improvements_department_status", "department_id", "status"),
        Index("ix_improvements_status_go_live", "status", "go_live_on"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # Its foreign key is the composite one above (team and department together).
    team_id: Mapped[int] = mapped_column(index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The original idea this one tries elsewhere (`services.improvements.adoption`); always
    # the original, never an adoption, so an idea is the original and its direct adoptions.
    # Deleting an adopted draft leaves its adoptions standing on their own.
    adopted_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("improvements.id", ondelete="SET NULL"), index=True
    )

    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ImprovementKind] = mapped_column(enum_column_type(ImprovementKind, "kind"))
    pillar: Mapped[Pillar] = mapped_column(enum_column_type(Pillar, "pillar"))
    hypothesis: Mapped[str] = mapped_column(Text)
    metric_name: Mapped[str] = mapped_column(String(200))
    metric_unit: Mapped[str] = mapped_column(String(50))
    direction: Mapped[Direction] = mapped_column(enum_column_type(Direction, "direction"))
    unit_of_observation: Mapped[str] = mapped_column(String(100))
    # For rates: 1 for a plain number, 100 for a percentage, 1,000 for "per 1,000".
    scale: Mapped[int] = mapped_column(Integer, default=1)
    design: Mapped[Design] = mapped_column(enum_column_type(Design, "design"))
    planned_sample_size: Mapped[int | None] = mapped_column(Integer)
    # In metric units, signed as the raw change (after minus before) the team expects.
    expected_effect: Mapped[float | None] = mapped_column(Float)
    # The metric's standard deviation the team expects (paired: of each unit's change), in
    # metric units, for the minimum detectable effect at registration.
    planned_sd: Mapped[float | None] = mapped_column(Float)
    # Declared at registration and locked with the design: units were assigned to the change
    # or the comparison group at random (evidence level 5; `gains.stats.evidence`).
    randomised: Mapped[bool] = mapped_column(Boolean, default=False)
    # Time series only: the model allows for a yearly cycle (`gains.stats.timeseries`), which
    # needs a year of weekly data before go-live. Locked with the design: choosing it after
    # seeing the estimate would be choosing the model that flatters.
    seasonal: Mapped[bool] = mapped_column(Boolean, default=False)

    # Money: integer pence for sums, a 4-decimal £ rate because per-unit values such as
    # £0.0075 per second of call time are real and must not round to zero.
    implementation_cost_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    annual_volume: Mapped[int | None] = mapped_column(BigInteger)
    value_per_unit_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    cashable: Mapped[bool] = mapped_column(Boolean, default=False)
    # The ranges: how low and how high the annual volume and £ per unit could plausibly be.
    annual_volume_low: Mapped[int | None] = mapped_column(BigInteger)
    annual_volume_high: Mapped[int | None] = mapped_column(BigInteger)
    value_per_unit_low_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    value_per_unit_high_gbp: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    # The appraisal (APPRAISAL_DEFAULTS above): years the gain lasts (the Green Book's flat
    # discount rate holds to year 30), the share of it surviving each further year, the
    # health discount rate, and the optimism bias taken off benefits and added to the cost.
    expected_life_years: Mapped[int] = mapped_column(Integer)
    persistence: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    health_outcomes: Mapped[bool] = mapped_column(Boolean, default=False)
    optimism_bias_benefits: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    optimism_bias_costs: Mapped[Decimal] = mapped_column(Numeric(5, 4))

    go_live_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    # Why the team stopped before the planned sample size, recorded while it was running
    # (`services.improvements.stopping`): from then on the fixed-sample result is final rather
    # than the always-valid interval. A fact about the experiment, not part of the plan.
    stopped_early_reason: Mapped[str | None] = mapped_column(Text)
    stopped_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    status: Mapped[Status] = mapped_column(enum_column_type(Status, "status"), default=Status.DRAFT)
    # Bumped whenever the data behind the estimate changes; estimates are cached per version.
    data_version: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Written through `team` (which sets team_id and department_id together); read-only here.
    department: Mapped[Department] = relationship(viewonly=True)
    team: Mapped[Team] = relationship(back_populates="improvements")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    batches: Mapped[list[UploadBatch]] = relationship(
        back_populates="improvement", order_by="UploadBatch.created_at"
    )
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="improvement",
        viewonly=True,
        primaryjoin="Improvement.id == foreign(Measurement.improvement_id)",
    )
    estimates: Mapped[list[Estimate]] = relationship(back_populates="improvement")
    reviews: Mapped[list[Review]] = relationship(
        back_populates="improvement", order_by="Review.decided_at"
    )
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="improvement", order_by="Amendment.amended_at"
    )
    # Deleted with a deleted draft (the draft's own event records it).
    chart_notes: Mapped[list[ChartNote]] = relationship(
        back_populates="improvement",
        order_by="(ChartNote.on_date, ChartNote.id)",
        cascade="all, delete-orphan",
    )
    # PDSA cycles, none until the team starts one (models/cycle.py).
    cycles: Mapped[list[Cycle]] = relationship(
        back_populates="improvement", order_by="Cycle.number"
    )

    adopted_from: Mapped[Improvement | None] = relationship(
        remote_side=[id], back_populates="adoptions"
    )
    # Not loaded by the delete of a draft: the database sets their link to NULL.
    adoptions: Mapped[list[Improvement]] = relationship(
        back_populates="adopted_from", order_by="Improvement.id", passive_deletes=True
    )

    @property
    def implementation_cost_gbp(self) -> Decimal:
        return Decimal(self.implementation_cost_pence) / 100

    @property
    def discount_rate(self) -> float:
        """The Green Book rate its benefits are discounted at (`stats.appraisal`)."""
        return discount_rate(self.health_outcomes)

    @property
    def reference(self) -> str:
        """How people quote it, "WKP-0042" (`bounds.improvement_reference`; decision 0042)."""
        return improvement_reference(self.department.code, self.id)

    @property
    def is_no_extra_cost(self) -> bool:
        return self.kind is ImprovementKind.NO_EXTRA_COST

    def __repr__(self) -> str:
        return f"<Improvement {self.id} {self.title!r} {self.status}>"


class Amendment(Base):
    """A change to a locked field, kept with its reason and shown in the history."""

    __tablename__ = "amendments"
    __table_args__ = (
        CheckConstraint("length(reason) > 0", name="reason_not_empty"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"), index=True)
    field_name: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[Any] = mapped_column(JSON)
    new_value: Mapped[Any] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    amended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    improvement: Mapped[Improvement] = relationship(back_populates="amendments")
    amended_by: Mapped[User] = relationship()
