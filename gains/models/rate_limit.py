"""The rate limiter's counters when they live in the database (`database://`, the default).

A plain table rather than a mapped class: only `gains.ratelimit_storage` reads and writes it,
through its own connection, so no page, form or API ever sees a row of it. One row is one
attempt that a limit let through; refused attempts leave no row, as in the `limits` library's
own moving window. Times are Unix seconds, the clock the `limits` library works in.

On PostgreSQL the rows live in this table of the app's database. On SQLite they live in the
same table in a file of their own beside the database (see `gains.ratelimit_storage`), so the
table the migrations make in the main SQLite file stays empty.
"""

from sqlalchemy import Column, Float, Index, Integer, String, Table

from gains.models.base import Base

rate_limit_hits = Table(
    "rate_limit_hits",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    # SHA-256 of the limiter's key: the key holds an email address as typed or an IP address,
    # neither of which needs keeping, and any length or character typed fits in 64.
    Column("key_hash", String(64), nullable=False),
    Column("hit_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_rate_limit_hits_key_hash_hit_at", "key_hash", "hit_at"),
    Index("ix_rate_limit_hits_expires_at", "expires_at"),
)
