"""A PDSA cycle (Plan, Do, Study, Act): one numbered try of an improvement's change.

An improvement has no cycles until its team starts one (docs/decisions/0048): then each cycle
keeps its plan and prediction, its dates, what happened, its act decision and the upload
batches recorded while it was open (`UploadBatch.cycle_id`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains.models.base import NEVER_REUSED_IDS, Base, UTCDateTime, enum_column_type, utcnow
from gains.models.enums import ActDecision

if TYPE_CHECKING:
    from gains.models.improvement import Improvement
    from gains.models.org import User


class Cycle(Base):
    __tablename__ = "cycles"
    __table_args__ = (
        UniqueConstraint("improvement_id", "number"),
        # What a batch's (cycle, improvement) foreign key refers to: a batch's cycle is one of
        # its own improvement's (as a measurement's batch is, models/measurement.py).
        UniqueConstraint("id", "improvement_id"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("length(plan) > 0", name="plan_not_empty"),
        CheckConstraint("length(prediction) > 0", name="prediction_not_empty"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        # Act comes after Study: a cycle is decided once it has ended.
        CheckConstraint("act_decision IS NULL OR ended_on IS NOT NULL", name="decided_once_ended"),
        # One open cycle at a time: the batches recorded now belong to exactly one.
        Index(
            "uq_cycles_one_open",
            "improvement_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"))
    number: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(Text)  # what we will try
    prediction: Mapped[str] = mapped_column(Text)  # what we predict will happen
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)  # what happened (Study)
    act_decision: Mapped[ActDecision | None] = mapped_column(
        enum_column_type(ActDecision, "act_decision")
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The cycle's own estimate (baseline rows against this cycle's after-rows), stored by the
    # write that changed the data, as the improvement's is (services/estimates/cycles.py): the
    # result document, or why there is none, at the data version it was computed for.
    estimate_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    estimate_missing_reason: Mapped[str | None] = mapped_column(Text)
    estimate_data_version: Mapped[int | None] = mapped_column(Integer)

    improvement: Mapped[Improvement] = relationship(back_populates="cycles")
    created_by: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    @property
    def described(self) -> str:
        """How pages and the audit trail name it: "Cycle 2"."""
        return f"Cycle {self.number}"
