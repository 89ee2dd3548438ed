"""A note a team pins to a date on its improvement's charts ("new script from 1 March")."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gains.bounds import CHART_NOTE
from gains.models.base import NEVER_REUSED_IDS, Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from gains.models.improvement import Improvement
    from gains.models.org import User


class ChartNote(Base):
    """Drawn as a labelled line on the XmR and run charts and listed under them.

    Not part of the plan or the data: adding or deleting one changes no estimate and does not
    reopen review (docs/decisions/0043).
    """

    __tablename__ = "chart_notes"
    __table_args__ = (
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(CHART_NOTE.max_length))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    improvement: Mapped[Improvement] = relationship(back_populates="chart_notes")
    created_by: Mapped[User] = relationship()

    @property
    def described(self) -> str:
        """How the audit trail names it: the note of 1 March 2026."""
        return f"Chart note of {self.on_date.day} {self.on_date:%B %Y}"
