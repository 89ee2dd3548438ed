"""Importing a large measurements file in one go: `gains import` (no Flask request here).

The file is streamed: `csv_upload.MeasurementCsv` reads and checks it a chunk of rows at a
time with the web upload's rules and messages, and each clean chunk is written at once with
the database's bulk path (`COPY` on PostgreSQL, `executemany` on SQLite), so memory stays
flat whatever the file's size. Everything happens in the caller's one transaction: the batch
row, its measurements, the audit event, the new data version, the cell summaries (from the
rows as they are written, `cells.RowsKept`) and the refreshed estimate. A
file with any problem raises `RowsRejected` after reading to the end (every problem counted)
and the caller rolls back, so nothing is written; a dry run checks the same and writes
nothing at all.

Locking (docs/DESIGN.md "Locking"): the improvement must take data when the import starts and again
at the end, when its row is locked (`lock_improvement`) for the new data version; reading
the file does not hold that lock, so a long import blocks nobody's page.

The actor is whoever runs the command: `actor=None` is the server's operator (like
`gains create-user` and `gains seed-demo`), recorded as "command-line import" with the
`source_name` the sender gives; the batch has no person.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from queue import Queue
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import select

from gains.extensions import db
from gains.models import BatchSource, BatchStatus, Improvement, UploadBatch
from gains.models.base import utcnow
from gains.services.audit.events import record_event
from gains.services.estimates.cells import RowsKept
from gains.services.estimates.current import active_row_count, measurements_frame
from gains.services.estimates.cycles import open_cycle
from gains.services.improvements.workflow import lock_improvement
from gains.services.measurements.csv_upload import (
    CHUNK_ROWS,
    MeasurementCsv,
    UploadLimits,
    display_filename,
)
from gains.services.measurements.recording import (
    data_changed,
    require_open_for_data,
    require_rights,
)

logger = logging.getLogger(__name__)

# The problems a rejected import lists (all are counted); a terminal shows them all.
LISTED_PROBLEMS = 100
# Rows an improvement may have already for an import to keep them in memory with its own
# (`cells.RowsKept`); past this its cell summaries are read back from the database.
KEPT_EXISTING_ROWS = 100_000
COLUMNS = ("improvement_id", "batch_id", "phase", "study_group", "unit_ref", "observed_on", "value")
INSERT_SQL = (
    f"INSERT INTO measurements ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)
COPY_SQL = f"COPY measurements ({', '.join(COLUMNS)}) FROM STDIN (FORMAT binary)"
# PostgreSQL's binary COPY: a signature, flags and header extension; each row its number of
# fields, then each field's length (-1: NULL) and bytes, big-endian; -1 ends the data.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"
NULL_FIELD = b"\xff\xff\xff\xff"
EPOCH_2000 = date(2000, 1, 1)  # binary dates count days from here
COPY_QUEUE_BLOCKS = 96  # at most about 12 MB of rows waiting for the server

Progress = Callable[[int, int], None]  # (bytes read so far, good rows so far)


@dataclass(frozen=True)
class ImportResult:
    batch: UploadBatch | None  # None after a dry run
    row_count: int
    byte_count: int
    checksum_sha256: str
    columns: dict[str, str]


def _iso_dates(observed_on: np.ndarray) -> np.ndarray:
    """Dates as the ISO text both databases store (once per distinct date)."""
    codes, distinct = pd.factorize(observed_on)  # a missing date has code -1
    text_of = np.array([*(day.isoformat() for day in distinct), None], dtype=object)
    return text_of[codes]


def _columns(frame: pd.DataFrame, improvement_id: int, batch_id: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "improvement_id": np.full(len(frame), improvement_id),
            "batch_id": np.full(len(frame), batch_id),
            "phase": frame["phase"].to_numpy(),
            "study_group": frame["group"].to_numpy(),
            "unit_ref": frame["unit_ref"].to_numpy(),
            "observed_on": _iso_dates(frame["observed_on"].to_numpy()),
            "value": frame["value"].to_numpy(),
        }
    )


def _field(data: bytes | None) -> bytes:
    """One field of a binary COPY row: its length and bytes, or NULL."""
    return NULL_FIELD if data is None else struct.pack("!i", len(data)) + data


def _text_field(text: str | None) -> bytes:
    return _field(None if text is None else text.encode("utf-8"))


def _date_field(day: date | None) -> bytes:
    return _field(None if day is None else struct.pack("!i", (day - EPOCH_2000).days))


def _by_distinct(
    values: np.ndarray, encode: Callable[[Any], bytes]
) -> tuple[np.ndarray, np.ndarray]:
    """A column's fields as rows of bytes padded to the longest (rows × width, uint8) and
    each row's length: each distinct value encoded once."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    fields = [encode(value) for value in distinct] + [encode(None)]  # code -1: missing
    width = max(map(len, fields))
    table = np.zeros((len(fields), width), dtype=np.uint8)
    for row, data in enumerate(fields):
        table[row, : len(data)] = np.frombuffer(data, dtype=np.uint8)
    lengths = np.fromiter(map(len, fields), dtype=np.int64, count=len(fields))
    return table[codes], lengths[codes]


def copy_rows(frame: pd.DataFrame, improvement_id: int, batch_id: int) -> bytes:
    """Checked rows as binary COPY rows (without the signature), built column by column with
    numpy rather than a Python call per row. Values go as their 8 IEEE bytes, so every float
    arrives exactly as read; dates as days since 2000-01-01; text as UTF-8."""
    count = len(frame)
    head = struct.pack("!h", len(COLUMNS)) + _field(struct.pack("!i", improvement_id))
    head += _field(struct.pack("!i", batch_id))
    value = np.empty((count, 12), dtype=np.uint8)
    value[:, :4] = np.frombuffer(struct.pack("!i", 8), dtype=np.uint8)
    value[:, 4:] = frame["value"].to_numpy(dtype=">f8").view(np.uint8).reshape(count, 8)
    parts = [
        (np.broadcast_to(np.frombuffer(head, dtype=np.uint8), (count, len(head))), None),
        _by_distinct(frame["phase"].to_numpy(), _text_field),
        _by_distinct(frame["group"].to_numpy(), _text_field),
        _by_distinct(frame["unit_ref"].to_numpy(), _text_field),
        _by_distinct(frame["observed_on"].to_numpy(), _date_field),
        (value, None),
    ]
    # Side by side, padding included; then the padding dropped, row by row.
    cells = np.concatenate([table for table, _ in parts], axis=1)
    keep = np.concatenate(
        [
            np.ones(table.shape, dtype=bool)
            if lengths is None
            else np.arange(table.shape[1]) < lengths[:, None]
            for table, lengths in parts
        ],
        axis=1,
    )
    return cells[keep].tobytes()


class _BoundedQueueWriter(QueuedLibpqWriter):
    """psycopg's queued COPY writer, holding at most `COPY_QUEUE_BLOCKS` blocks (of up to
    128 KB) not yet sent, instead of up to 1,024: the server stores keyed rows slower than
    we check and encode them, and the backlog would otherwise be most of the file in memory
    (about 45 MB at a million rows). Enough stays queued to keep the server busy while the
    cell summaries are computed."""

    def __init__(self, cursor):
        super().__init__(cursor)
        self._queue = Queue(maxsize=COPY_QUEUE_BLOCKS)


@contextmanager
def bulk_writer(improvement_id: int, batch_id: int) -> Iterator[Callable[[pd.DataFrame], None]]:
    """A function that inserts one chunk of checked rows with the database's bulk path, in
    the session's transaction.

    PostgreSQL: one binary `COPY` (`copy_rows`) for the whole file, fed by a background thread
    (`QueuedLibpqWriter`), so the server stores one chunk while we check the next; leaving
    the block ends the COPY (or aborts it, on an exception). SQLite: `executemany` per chunk.
    """
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name != "postgresql":
        cursor = driver.cursor()

        def insert(frame: pd.DataFrame) -> None:
            rows = _columns(frame, improvement_id, batch_id)
            columns = (rows[column].tolist() for column in COLUMNS)
            cursor.executemany(INSERT_SQL, zip(*columns, strict=True))

        try:
            yield insert
        finally:
            cursor.close()
        return
    cursor = driver.cursor()
    with cursor, cursor.copy(COPY_SQL, writer=_BoundedQueueWriter(cursor)) as copy:
        copy.write(COPY_SIGNATURE)
        yield lambda frame: copy.write(copy_rows(frame, improvement_id, batch_id))
        copy.write(COPY_TRAILER)


def import_measurements(
    improvement: Improvement,
    stream: BinaryIO,
    *,
    actor: Any = None,
    source_name: str | None = None,
    filename: str | None = None,
    dry_run: bool = False,
    on_progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Check and store a whole measurements file as one active batch, all or nothing.

    Raises `RowsRejected` (the first `LISTED_PROBLEMS` problems listed, all counted) or
    `WorkflowError` (the improvement does not take data, or a named `actor` may not change
    it); the caller rolls back and commits.
    """
    if actor is not None:
        require_rights(actor, improvement)
    require_open_for_data(improvement)
    reading = MeasurementCsv(
        stream,
        UploadLimits(max_bytes=None, max_rows=None, max_errors=LISTED_PROBLEMS),
        chunk_rows=chunk_rows,
    )
    batch = None
    if not dry_run:
        now = utcnow()
        cycle = open_cycle(improvement.id)  # rows arriving in a PDSA cycle are its own
        batch = UploadBatch(
            improvement=improvement,
            cycle_id=None if cycle is None else cycle.id,
            created_by_id=getattr(actor, "id", None),
            source=BatchSource.CLI,
            source_name=(source_name or "")[:100] or None,
            status=BatchStatus.ACTIVE,
            filename=display_filename(filename),
            row_count=0,
            created_at=now,
            confirmed_at=now,
        )
        db.session.add(batch)
        db.session.flush()
    kept = _keep_rows(improvement) if batch else None
    cells = None
    with bulk_writer(improvement.id, batch.id) if batch else nullcontext(None) as write:
        for chunk in reading.chunks():
            if write is not None:
                write(chunk.rows)
            if kept is not None:
                rows = chunk.rows
                kept.add(
                    rows["phase"],
                    rows["group"],
                    rows["unit_ref"],
                    rows["value"],
                    rows["observed_on"],
                )
            if on_progress is not None:
                on_progress(reading.byte_count, reading.row_count)
        if kept is not None and reading.rejection() is None:
            # On PostgreSQL the server is still storing the last chunks meanwhile.
            cells = _cells_of(kept)
    rejection = reading.rejection()
    if rejection is not None:
        raise rejection
    if batch is not None:
        _finish(actor, improvement, batch, reading, cells, kept)
    return ImportResult(
        batch=batch,
        row_count=reading.row_count,
        byte_count=reading.byte_count,
        checksum_sha256=reading.checksum_sha256,
        columns=reading.columns,
    )


def _keep_rows(improvement: Improvement) -> RowsKept | None:
    """Start keeping the improvement's active rows as numbers for its cell summaries
    (`cells.RowsKept`), with the rows it has already, unless it has too many of those to
    hold as well (then the refresh reads them all back, as every other write does)."""
    if active_row_count(improvement.id) > KEPT_EXISTING_ROWS:
        return None
    # The version first: if anything changes the rows after this, the version moves on and
    # `_finish` sees it under the lock.
    version = db.session.scalar(
        select(Improvement.data_version).where(Improvement.id == improvement.id)
    )
    kept = RowsKept(improvement.id, version)
    kept.add_frame(measurements_frame(improvement.id))
    return kept


def _cells_of(kept: RowsKept) -> pd.DataFrame | None:
    """The kept rows' cell summaries; None (read them back) if that fails: a shortcut must
    not cost the import."""
    try:
        return kept.cells()
    except Exception:
        logger.exception("Cell summaries from the imported rows failed; reading them back")
        return None


def _finish(
    actor: Any,
    improvement: Improvement,
    batch: UploadBatch,
    reading,
    cells: pd.DataFrame | None = None,
    kept: RowsKept | None = None,
) -> None:
    """Lock the improvement, check it still takes data, and record the batch; with the cell
    summaries computed from the rows kept if no other write changed its rows meanwhile."""
    improvement = lock_improvement(improvement)
    if kept is None or improvement.data_version != kept.data_version:
        cells = None
    require_open_for_data(improvement)
    batch.row_count = reading.row_count
    batch.checksum_sha256 = reading.checksum_sha256
    record_event(
        actor,
        "batch.recorded",
        batch,
        department_id=improvement.department_id,
        after={
            "source": BatchSource.CLI.value,
            "source_name": batch.source_name,
            "rows": batch.row_count,
            "pending": False,
            "filename": batch.filename,
            "columns": reading.columns,
        },
    )
    # The rows went in beside the ORM: its cached collections are stale.
    db.session.expire(improvement, ["batches", "measurements"])
    data_changed(
        actor, improvement, reason=f"{batch.row_count:,} measurements imported", cells=cells
    )
