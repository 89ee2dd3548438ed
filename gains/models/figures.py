"""The figures version: one row, one number that each committed write behind the figures
moves on (gains/figures_cache.py, docs/decisions/0010).

A plain table rather than a mapped class, like the rate limiter's: only `gains.figures_cache`
reads and writes it, and no page, form or API shows it, so it has no owner to scope by.
"""

from sqlalchemy import BigInteger, Column, Integer, Table

from gains.models.base import Base

figures_version = Table(
    "figures_version",
    Base.metadata,
    Column("id", Integer, primary_key=True),  # the one row is id 1
    Column("number", BigInteger, nullable=False),
)
