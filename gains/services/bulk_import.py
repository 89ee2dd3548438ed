"""Importing a large measurements file in one go: `gains import` (no Flask request here).

The file is streamed: `csv_upload.MeasurementCsv` reads and checks it a chunk of rows at a
time with the web upload's rules and messages, and each clean chunk is written at once with
the database's bulk path (`COPY` on PostgreSQL, `executemany` on SQLite), so memory stays
flat whatever the file's size. Everything happens in the caller's one transaction: the batch
row, its measurements, the audit event, the new data version and the refreshed estimate. A
file with any problem raises `RowsRejected` after reading to the end (every problem counted)
and the caller rolls back, so nothing is written; a dry run checks the same and writes
nothing at all.

Locking (DESIGN "Locking"): the improvement must take data when the import starts and again
at the end, when its row is locked (`lock_improvement`) for the new data version; reading
the file does not hold that lock, so a long import blocks nobody's page.

The actor is whoever runs the command: `actor=None` is the server's operator (like
`gains create-user` and `gains seed-demo`), recorded as "command-line import" with the
`source_name` the sender gives; the batch has no person.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import select

from gains.extensions import db
from gains.models import BatchSource, BatchStatus, Improvement, UploadBatch
from gains.models.base import utcnow
from gains.services.audit import record_event
from gains.services.cells import RowsKept
from gains.services.csv_upload import CHUNK_ROWS, MeasurementCsv, UploadLimits, display_filename
from gains.services.estimates import active_row_count, measurements_frame
from gains.services.measurements import (
    data_changed,
    lock_improvement,
    require_open_for_data,
    require_rights,
)

# The problems a rejected import lists (all are counted); a terminal shows them all.
LISTED_PROBLEMS = 100
# Rows an improvement may have already for an import to keep them in memory with its own
# (`cells.RowsKept`); past this its cell summaries are read back from the database.
KEPT_EXISTING_ROWS = 100_000
COLUMNS = ("improvement_id", "batch_id", "phase", "study_group", "unit_ref", "observed_on", "value")
INSERT_SQL = (
    f"INSERT INTO measurements ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)
COPY_SQL = f"COPY measurements ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv)"

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


@contextmanager
def bulk_writer(improvement_id: int, batch_id: int) -> Iterator[Callable[[pd.DataFrame], None]]:
    """A function that inserts one chunk of checked rows with the database's bulk path, in
    the session's transaction.

    PostgreSQL: one `COPY` for the whole file, fed by a background thread
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
    with cursor, cursor.copy(COPY_SQL, writer=QueuedLibpqWriter(cursor)) as copy:

        def send(frame: pd.DataFrame) -> None:
            # CSV text: an unquoted empty field is NULL; floats written with repr, exact.
            buffer = io.StringIO()
            _columns(frame, improvement_id, batch_id).to_csv(
                buffer, header=False, index=False, na_rep="", lineterminator="\n"
            )
            copy.write(buffer.getvalue())

        yield send


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
        batch = UploadBatch(
            improvement=improvement,
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
                kept.add(rows["phase"], rows["group"], rows["unit_ref"], rows["value"])
            if on_progress is not None:
                on_progress(reading.byte_count, reading.row_count)
        if kept is not None and reading.rejection() is None:
            # On PostgreSQL the server is still storing the last chunks meanwhile.
            cells = kept.cells()
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
