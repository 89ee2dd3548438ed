"""The audit trail: who did what to which record, when, with before and after values."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains.models.base import Base, UTCDateTime, utcnow
from gains.models.measurement import BigIntegerKey

if TYPE_CHECKING:
    from gains.models.org import User


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_department_time", "department_id", "occurred_at"),
        Index("ix_audit_events_improvement_time", "improvement_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None for the system itself (seeding, expiry of pending uploads).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The department whose record it is; None for cross-department admin actions.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    # The improvement the record belongs to (the improvement itself, or its batch, row, review
    # or amendment), filled in by `record_event`, so that an improvement's audit page is one
    # indexed query. No foreign key: the trail outlives a deleted draft, batch or row.
    improvement_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()
