"""An improvement's entry on the public register: the approval it publishes and its summary."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from gains.models.improvement import Improvement
    from gains.models.review import Review


class Publication(Base):
    """One row per improvement ever published; `unpublished_at` set while it is taken down.

    It names the approval it publishes (`review_id`), so a later approval of changed figures
    does not inherit a summary written for the earlier ones: the manager publishes again.
    Whether an entry is public is decided by one query (`services/public/publication.py`), never by
    this row alone.
    """

    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint("length(summary) > 0", name="summary_not_empty"),
        CheckConstraint(
            "(unpublished_at IS NULL) = (unpublished_by_id IS NULL)",
            name="unpublished_with_who",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"), unique=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    # Plain English for the public: what changed and what it achieved.
    summary: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unpublished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unpublished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    improvement: Mapped[Improvement] = relationship()
    review: Mapped[Review] = relationship()
