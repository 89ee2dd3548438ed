"""Rate-limit counters in the app's database: the `database://` storage for the `limits`
library (what Flask-Limiter counts with), and Gains' default.

Every worker and every host of a deployment already shares its database, so counters kept
there hold across all of them with nothing more to run: `memory://` counts per process, so
with gunicorn's several workers each one let through the whole limit (issue 17: 28 guesses at
one account instead of 10). A configured `redis://` or `memcached://` store still works.

How (docs/decisions/0003-sessions-and-rate-limits.md):
- one row per attempt a limit let through, in `rate_limit_hits`; the moving window counts the
  rows of a key younger than the window, so "10 per 15 minutes" means exactly that;
- each attempt is one short transaction of its own, on its own connection, committed before
  the request goes on: a refused sign-in's request rolls back, and its attempt must still count;
- attempts at the same key take turns (a PostgreSQL advisory lock on the key; on SQLite the
  file's write lock, held from the transaction's first statement), so concurrent attempts
  cannot both see room for one more;
- on SQLite the counters are a file of their own beside the database (`gains.db-ratelimits`):
  SQLite has one write lock per file, and a request that may write holds the database's from
  its first query (gains/database.py): a signed-in person changing their password has read
  their session before the attempt is counted, and the counter's own connection would wait
  for its own request until the busy timeout. The file is as shared as the database it sits
  beside: every process that opens one can open the other.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlsplit

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import create_engine, delete, func, insert, select
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateIndex, CreateTable

from gains.config import ConfigError
from gains.models.rate_limit import rate_limit_hits as hits

SCHEME = "database"
SQLITE_SUFFIX = "-ratelimits"


def _in_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def storage_settings(storage_uri: str, database_url: str) -> tuple[str, dict[str, str]]:
    """The storage URI and options Flask-Limiter needs for `GAINS_RATELIMIT_STORAGE_URI`.

    An in-memory SQLite database lives in one process, so its counters may too: `memory://`.
    """
    if urlsplit(storage_uri).scheme != SCHEME:
        return storage_uri, {}
    if _in_memory(make_url(database_url)):
        return "memory://", {}
    return storage_uri, {"database_url": database_url}


def counters_url(database_url: str) -> URL:
    """Where the counters of the app's database `database_url` live (see the module doc)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return url
    if _in_memory(url):
        raise ConfigError("The database:// rate-limit store needs a database file.")
    return url.set(database=url.database + SQLITE_SUFFIX)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _advisory_lock_id(key_hash: str) -> int:
    return int.from_bytes(bytes.fromhex(key_hash)[:8], "big", signed=True)


class DatabaseStorage(Storage, MovingWindowSupport):
    """The moving window only (the strategy gains.ratelimit uses); a limit with another
    strategy fails loudly rather than counting wrongly."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        database_url: str | None = None,
        **options,
    ) -> None:
        if not database_url:
            raise ConfigError("The database:// rate-limit store needs the app's database URL.")
        url = counters_url(database_url)
        # No pool: a connection per attempt costs little beside the password hash a sign-in
        # checks, and no connection is made before a worker forks or kept between attempts.
        self.engine = create_engine(url, poolclass=NullPool)
        # The migrations make the table in the app's database; the SQLite counters' own file
        # gets it on first use.
        self._table_ready = url.get_backend_name() != "sqlite"
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _connect(self, *, write: bool) -> Connection:
        if not self._table_ready:
            with self.engine.begin() as connection:
                connection.execute(CreateTable(hits, if_not_exists=True))
                for index in hits.indexes:
                    connection.execute(CreateIndex(index, if_not_exists=True))
            self._table_ready = True
        return self.engine.begin() if write else self.engine.connect()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count `amount` attempts at `key` if the last `expiry` seconds leave room for them."""
        if amount > limit:
            return False
        key_hash = _digest(key)
        with self._connect(write=True) as connection:
            if connection.dialect.name == "postgresql":
                lock = func.pg_advisory_xact_lock(_advisory_lock_id(key_hash))
                connection.execute(select(lock))
            now = time.time()
            # The expired rows of every key go first; on SQLite the transaction holds the
            # write lock by the end of this statement at the latest, so attempts take turns.
            # SKIP LOCKED (PostgreSQL): two attempts tidying the same rows never wait on
            # each other; SQLite ignores it.
            expired = select(hits.c.id).where(hits.c.expires_at <= now)
            connection.execute(
                delete(hits).where(hits.c.id.in_(expired.with_for_update(skip_locked=True)))
            )
            in_window = connection.scalar(
                select(func.count())
                .select_from(hits)
                .where(hits.c.key_hash == key_hash, hits.c.hit_at >= now - expiry)
            )
            if in_window + amount > limit:
                return False
            row = {"key_hash": key_hash, "hit_at": now, "expires_at": now + expiry}
            connection.execute(insert(hits), [row] * amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(when the oldest attempt in the window was made, how many there are)."""
        now = time.time()
        with self._connect(write=False) as connection:
            oldest, count = connection.execute(
                select(func.min(hits.c.hit_at), func.count()).where(
                    hits.c.key_hash == _digest(key), hits.c.hit_at >= now - expiry
                )
            ).one()
        return (oldest, count) if count else (now, 0)

    def clear(self, key: str) -> None:
        with self._connect(write=True) as connection:
            connection.execute(delete(hits).where(hits.c.key_hash == _digest(key)))

    def reset(self) -> int | None:
        with self._connect(write=True) as connection:
            return connection.execute(delete(hits)).rowcount

    def check(self) -> bool:
        try:
            with self._connect(write=False) as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    # The fixed-window counters `limits` also defines: not used by Gains.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("The database:// store counts with the moving window only")

    def get(self, key: str) -> int:
        raise NotImplementedError("The database:// store counts with the moving window only")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("The database:// store counts with the moving window only")
