"""Measurements and the upload batches they arrive in."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains import numbers
from gains.models.base import NEVER_REUSED_IDS, Base, UTCDateTime, enum_column_type, utcnow
from gains.models.enums import BatchSource, BatchStatus, Phase, StudyGroup

if TYPE_CHECKING:
    from gains.models.cycle import Cycle
    from gains.models.improvement import Improvement
    from gains.models.org import User

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigIntegerKey = BigInteger().with_variant(Integer, "sqlite")


class UploadBatch(Base):
    """Rows that arrived together: a form, a CSV file, an API call or a CLI import.

    Only *active* batches count in estimates; *pending* ones await confirmation of a CSV
    preview and expire; *withdrawn* ones are kept for the record and excluded.
    """

    __tablename__ = "upload_batches"
    __table_args__ = (
        CheckConstraint("row_count >= 0", name="row_count_not_negative"),
        CheckConstraint(
            "status <> 'withdrawn' OR withdrawn_at IS NOT NULL", name="withdrawal_has_time"
        ),
        # Only a command-line import (run by whoever operates the server) has no person.
        CheckConstraint("created_by_id IS NOT NULL OR source = 'cli'", name="person_unless_cli"),
        Index("ix_upload_batches_improvement_status", "improvement_id", "status"),
        # What a measurement's (batch, improvement) foreign key refers to (see Measurement).
        UniqueConstraint("id", "improvement_id"),
        # A batch's PDSA cycle is one of its own improvement's (no cycle: not checked).
        ForeignKeyConstraint(
            ["cycle_id", "improvement_id"], ["cycles.id", "cycles.improvement_id"]
        ),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"))
    # None for a command-line import: the server's operator, not a person with an account.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[BatchSource] = mapped_column(enum_column_type(BatchSource, "source"))
    # Where the rows came from, as the sender names it (`gains import --source`), e.g. the
    # system that exported them.
    source_name: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[BatchStatus] = mapped_column(
        enum_column_type(BatchStatus, "batch_status"), default=BatchStatus.ACTIVE
    )
    # The uploader's file name, for display only: never used as a path.
    filename: Mapped[str | None] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    checksum_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    # The PDSA cycle open when the rows arrived; None outside cycles (models/cycle.py).
    cycle_id: Mapped[int | None] = mapped_column(Integer)

    improvement: Mapped[Improvement] = relationship(back_populates="batches")
    cycle: Mapped[Cycle | None] = relationship(
        primaryjoin="Cycle.id == foreign(UploadBatch.cycle_id)", viewonly=True
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="batch",
        primaryjoin="UploadBatch.id == foreign(Measurement.batch_id)",
    )

    @property
    def added_by(self) -> str:
        """Who added the rows, in words for pages."""
        if self.created_by is not None:
            return self.created_by.name
        return (
            f"command-line import ({self.source_name})"
            if self.source_name
            else ("command-line import")
        )

    @property
    def described(self) -> str:
        """What people call the batch, in place of its id: "Upload of 12 rows on 3 December
        2026" (the day it was added, UTC)."""
        rows = f"{self.row_count:,} row{'' if self.row_count == 1 else 's'}"
        return f"Upload of {rows} on {_day(self.created_at)}"


class Measurement(Base):
    __tablename__ = "measurements"
    __table_args__ = (
        # The one secondary index: an improvement's rows (every page and estimate reads by
        # improvement) and a batch's rows within it (queries by batch name its improvement
        # too, as does the foreign key's check when a batch is deleted). Each index costs
        # every stored row: two (by cell and by batch) took 1 s more of a million-row COPY.
        Index("ix_measurements_improvement_batch", "improvement_id", "batch_id"),
        # One foreign key for both columns: a row's batch exists and belongs to the row's
        # improvement (which the batch's own key says exists). One check per row instead of
        # two, the cost of a bulk import on PostgreSQL, and stronger: the denormalised
        # improvement can no longer disagree with the batch's. ARCHITECTURE "Data model".
        ForeignKeyConstraint(
            ["batch_id", "improvement_id"], ["upload_batches.id", "upload_batches.improvement_id"]
        ),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    # Denormalised from the batch so the estimate's GROUP BY needs one index, not a join.
    improvement_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(Integer)
    phase: Mapped[Phase] = mapped_column(enum_column_type(Phase, "phase"))
    # "group" is an SQL keyword; the column is study_group, the attribute says what it is.
    group: Mapped[StudyGroup] = mapped_column(
        "study_group", enum_column_type(StudyGroup, "study_group"), default=StudyGroup.TREATMENT
    )
    # A case, round or caseworker reference; present on both sides, it makes the data paired.
    unit_ref: Mapped[str | None] = mapped_column(String(100))
    observed_on: Mapped[date | None] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)

    # The joins name their columns: the composite key above would otherwise make both
    # relationships write improvement_id.
    improvement: Mapped[Improvement] = relationship(
        back_populates="measurements",
        primaryjoin="Improvement.id == foreign(Measurement.improvement_id)",
    )
    batch: Mapped[UploadBatch] = relationship(
        back_populates="measurements",
        primaryjoin="UploadBatch.id == foreign(Measurement.batch_id)",
    )

    @property
    def described(self) -> str:
        """What people call the row, in place of its id: "the measurement of 3 March 2026",
        or of its unit when it has no date."""
        if self.observed_on is not None:
            return f"the measurement of {_day(self.observed_on)}"
        if self.unit_ref:
            return f"the measurement of {self.unit_ref}"
        return f"the {self.phase.label.lower()} measurement of {numbers.number(self.value, 6)}"


def _day(value: date | datetime) -> str:
    return f"{value.day} {value:%B %Y}"
