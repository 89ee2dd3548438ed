"""The figures version: one row, one number that each committed write behind the figures
moves on (gains/figures_cache.py, docs/decisions/0010)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from gains.models.base import Base


class FiguresVersion(Base):
    __tablename__ = "figures_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the one row is id 1
    number: Mapped[int] = mapped_column(BigInteger, default=0)
