"""Recording measurements: one service for the form, CSV, API and command-line paths.

Rows are validated in full before anything is written (`measurement_rows.parse_row`, the one
validation); then the batch and all its rows go in one transaction, so a rejected set writes
nothing and an accepted one lands whole. Every operation here checks its rule, writes an audit
event in the caller's transaction, and calls `data_changed` when active data changed; the
caller commits.

Concurrency: every operation that changes an improvement's data first locks the improvement's
row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite serialises writers itself), so two batches
recorded at the same moment both land and the data version goes up once for each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import delete, insert, select

from gains.extensions import db
from gains.models import (
    BatchSource,
    BatchStatus,
    Improvement,
    Measurement,
    Status,
    UploadBatch,
)
from gains.models.base import utcnow
from gains.services.audit.events import record_event, snapshot
from gains.services.estimates.current import refresh_estimate
from gains.services.estimates.cycles import open_cycle
from gains.services.improvements.workflow import (
    PermissionDenied,
    WorkflowError,
    change_status,
    lock_improvement,
    may_change,
    require_not_withdrawn,
)
from gains.services.measurements.csv_upload import (
    UploadLimits,
    display_filename,
    parse_measurements_csv,
)
from gains.services.measurements.rows import (
    MAX_UNIT_REF_LENGTH,
    RowError,
    RowsRejected,
    parse_row,
    validate_rows,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_UNIT_REF_LENGTH",
    "OPEN_FOR_DATA",
    "PENDING_LIFETIME",
    "RowError",
    "RowsRejected",
    "cancel_batch",
    "confirm_batch",
    "data_changed",
    "delete_measurement",
    "edit_measurement",
    "expire_pending_batches",
    "parse_row",
    "record_batch",
    "record_form_row",
    "require_open",
    "require_open_for_data",
    "store_batch",
    "upload_csv",
    "validate_rows",
    "withdraw_batch",
]

PENDING_LIFETIME = timedelta(hours=1)
# Statuses in which new data may arrive: a draft has no go-live yet; rejected and withdrawn
# improvements are closed.
OPEN_FOR_DATA = {
    Status.RUNNING,
    Status.SUBMITTED,
    Status.CHANGES_REQUESTED,
    Status.APPROVED,
}
MEASUREMENT_FIELDS = ("phase", "group", "unit_ref", "observed_on", "value")


def require_rights(actor: Any, improvement: Improvement) -> None:
    if not may_change(actor, improvement):
        raise PermissionDenied("You cannot change the measurements of this improvement")


def require_open_for_data(improvement: Improvement) -> None:
    """Refuse unless the improvement takes data now (docs/DESIGN.md "Locking"); the caller locks."""
    require_not_withdrawn(improvement)
    if improvement.status not in OPEN_FOR_DATA:
        raise WorkflowError(
            f"Measurements cannot be added or changed while the improvement is "
            f"{improvement.status.label.lower()}"
        )


def require_open(actor: Any, improvement: Improvement) -> None:
    require_rights(actor, improvement)
    lock_improvement(improvement)
    require_open_for_data(improvement)


def store_batch(
    actor: Any,
    improvement: Improvement,
    parsed: list[dict[str, Any]],
    *,
    source: BatchSource,
    filename: str | None,
    checksum_sha256: str | None,
    pending: bool,
    columns: dict[str, str] | None = None,
) -> UploadBatch:
    now = utcnow()
    # Rows recorded while a PDSA cycle is open are that cycle's (decision 0048).
    cycle = open_cycle(improvement.id)
    batch = UploadBatch(
        improvement=improvement,
        cycle_id=None if cycle is None else cycle.id,
        created_by_id=actor.id,
        source=source,
        status=BatchStatus.PENDING if pending else BatchStatus.ACTIVE,
        filename=filename,
        row_count=len(parsed),
        checksum_sha256=checksum_sha256,
        created_at=now,
        confirmed_at=None if pending else now,
        expires_at=now + PENDING_LIFETIME if pending else None,
    )
    db.session.add(batch)
    db.session.flush()
    # One multi-row INSERT (executemany) rather than an ORM object per row.
    db.session.execute(
        insert(Measurement),
        [{"improvement_id": improvement.id, "batch_id": batch.id, **row} for row in parsed],
    )
    after = {"source": source.value, "rows": len(parsed), "pending": pending, "filename": filename}
    if cycle is not None:
        after["cycle"] = cycle.number
    if columns is not None:
        after["columns"] = columns
    record_event(
        actor, "batch.recorded", batch, department_id=improvement.department_id, after=after
    )
    if not pending:
        data_changed(actor, improvement, reason=f"{len(parsed)} measurements added")
    return batch


def record_batch(
    actor: Any,
    improvement: Improvement,
    rows: Iterable[Mapping[str, Any]],
    *,
    source: BatchSource,
    filename: str | None = None,
    checksum_sha256: str | None = None,
    pending: bool = False,
) -> UploadBatch:
    """Validate and store one batch of rows, all or nothing.

    An active batch changes the data version (so the estimate is recomputed) and, after an
    approval, reopens review. A pending batch (CSV preview) changes nothing until confirmed.
    """
    require_open(actor, improvement)
    parsed = validate_rows(rows)
    return store_batch(
        actor,
        improvement,
        parsed,
        source=source,
        filename=filename,
        checksum_sha256=checksum_sha256,
        pending=pending,
    )


def record_form_row(actor: Any, improvement: Improvement, raw: Mapping[str, Any]) -> UploadBatch:
    """One row typed into the page: a one-row active batch (source: form)."""
    return record_batch(actor, improvement, [raw], source=BatchSource.FORM)


def upload_csv(
    actor: Any,
    improvement: Improvement,
    stream: BinaryIO,
    *,
    filename: str | None,
    limits: UploadLimits | None = None,
) -> UploadBatch:
    """Parse a CSV file and keep it as a *pending* batch for the person to confirm.

    A file with any problem raises `RowsRejected` (or `UploadTooLarge`) and writes nothing,
    not even the pending batch. Expired pending uploads of this improvement are cleared.
    The file is parsed before the improvement is locked, so a slow upload blocks nobody.
    """
    require_rights(actor, improvement)
    upload = parse_measurements_csv(stream, limits or UploadLimits())
    require_open(actor, improvement)
    expire_pending_batches(improvement)
    return store_batch(
        actor,
        improvement,
        upload.rows,
        source=BatchSource.CSV,
        filename=display_filename(filename),
        checksum_sha256=upload.checksum_sha256,
        pending=True,
        columns=upload.columns,
    )


def _require_batch(batch: UploadBatch, status: BatchStatus, doing: str) -> None:
    if batch.status is not status:
        raise WorkflowError(f"This upload is {batch.status.label.lower()}, so it cannot be {doing}")


def confirm_batch(actor: Any, batch: UploadBatch, *, now: datetime | None = None) -> UploadBatch:
    """Pending → active, in one transaction: its rows start counting in estimates."""
    improvement = batch.improvement
    require_open(actor, improvement)
    _require_batch(batch, BatchStatus.PENDING, "confirmed")
    now = now or utcnow()
    if batch.expires_at is not None and batch.expires_at <= now:
        raise WorkflowError("This upload expired after an hour: upload the file again")
    batch.status = BatchStatus.ACTIVE
    batch.confirmed_at = now
    batch.expires_at = None
    record_event(
        actor,
        "batch.confirmed",
        batch,
        department_id=improvement.department_id,
        before={"status": BatchStatus.PENDING.value},
        after={"status": batch.status.value, "rows": batch.row_count, "filename": batch.filename},
    )
    data_changed(actor, improvement, reason=f"{batch.row_count} measurements uploaded")
    return batch


def _discard(actor: Any, batch: UploadBatch, action: str) -> None:
    """Delete a pending batch and its rows; the audit trail keeps what it was."""
    record_event(
        actor,
        action,
        batch,
        department_id=batch.improvement.department_id,
        before={
            "rows": batch.row_count,
            "filename": batch.filename,
            "checksum_sha256": batch.checksum_sha256,
        },
    )
    improvement = batch.improvement
    db.session.execute(
        delete(Measurement).where(
            Measurement.improvement_id == batch.improvement_id,  # the index's first column
            Measurement.batch_id == batch.id,
        )
    )
    db.session.execute(delete(UploadBatch).where(UploadBatch.id == batch.id))
    db.session.expire(improvement, ["batches", "measurements"])


def cancel_batch(actor: Any, batch: UploadBatch) -> None:
    """Throw away a pending upload: its rows never counted, so the data version stays."""
    require_rights(actor, batch.improvement)
    _require_batch(batch, BatchStatus.PENDING, "cancelled")
    _discard(actor, batch, "batch.cancelled")


def expire_pending_batches(improvement: Improvement, *, now: datetime | None = None) -> int:
    """Delete this improvement's pending uploads older than an hour; how many went.

    Called by the next upload (a write), since there is no job system. Until then readers
    leave expired uploads out (`measurements/context.py`) and confirming one is refused, so
    listing batches, a GET, deletes nothing (docs/decisions/0007-get-never-writes.md).
    """
    expired = db.session.scalars(
        select(UploadBatch).where(
            UploadBatch.improvement_id == improvement.id,
            UploadBatch.status == BatchStatus.PENDING,
            UploadBatch.expires_at <= (now or utcnow()),
        )
    ).all()
    for batch in expired:
        _discard(None, batch, "batch.expired")
    return len(expired)


def withdraw_batch(actor: Any, batch: UploadBatch, reason: str) -> UploadBatch:
    """Take back an active batch as a whole: kept for the record, excluded from estimates."""
    improvement = batch.improvement
    require_open(actor, improvement)
    if not reason.strip():
        raise WorkflowError("Say why the measurements are withdrawn")
    _require_batch(batch, BatchStatus.ACTIVE, "withdrawn")
    batch.status = BatchStatus.WITHDRAWN
    batch.withdrawn_at = utcnow()
    batch.withdrawn_by_id = actor.id
    batch.withdrawal_reason = reason.strip()
    record_event(
        actor,
        "batch.withdrawn",
        batch,
        department_id=improvement.department_id,
        before={"status": BatchStatus.ACTIVE.value},
        after={"status": BatchStatus.WITHDRAWN.value, "rows": batch.row_count},
        note=reason.strip(),
    )
    data_changed(actor, improvement, reason=f"{batch.row_count} measurements withdrawn")
    return batch


def _require_active_row(actor: Any, measurement: Measurement) -> Improvement:
    improvement = measurement.improvement
    require_open(actor, improvement)
    if measurement.batch.status is not BatchStatus.ACTIVE:
        raise WorkflowError(
            f"This measurement's batch is {measurement.batch.status.label.lower()}: "
            "only active measurements can be changed"
        )
    return improvement


def edit_measurement(actor: Any, measurement: Measurement, raw: Mapping[str, Any]) -> Measurement:
    """Correct one active measurement, through the same validation as every new row."""
    improvement = _require_active_row(actor, measurement)
    row, errors = parse_row(1, raw)
    if errors:
        raise RowsRejected(errors)
    before = snapshot(measurement, MEASUREMENT_FIELDS)
    for name, value in row.items():
        setattr(measurement, name, value)
    after = snapshot(measurement, MEASUREMENT_FIELDS)
    if after == before:
        return measurement
    record_event(
        actor,
        "measurement.edited",
        measurement,
        department_id=improvement.department_id,
        before=before,
        after=after | {"batch_id": measurement.batch_id},
    )
    data_changed(actor, improvement, reason="a measurement was corrected")
    return measurement


def delete_measurement(actor: Any, measurement: Measurement) -> None:
    """Delete one active measurement (a typing mistake); the audit event keeps its values.

    A whole batch is withdrawn instead (kept); a single wrong row is simply removed, and its
    batch's row count follows.
    """
    improvement = _require_active_row(actor, measurement)
    record_event(
        actor,
        "measurement.deleted",
        measurement,
        department_id=improvement.department_id,
        before=snapshot(measurement, MEASUREMENT_FIELDS) | {"batch_id": measurement.batch_id},
    )
    measurement.batch.row_count -= 1
    db.session.delete(measurement)
    db.session.flush()
    data_changed(actor, improvement, reason="a measurement was deleted")


def data_changed(
    actor: Any, improvement: Improvement, *, reason: str, cells: pd.DataFrame | None = None
) -> None:
    """New data version; an approved improvement goes back to review (docs/DESIGN.md "Locking").

    Locks the improvement's row first, so concurrent changes each count once. ``cells``: the
    improvement's cell summaries, computed by the caller from all its active rows
    (`refresh_estimate`).
    """
    lock_improvement(improvement)
    improvement.data_version += 1
    if improvement.status is Status.APPROVED:
        change_status(actor, improvement, Status.SUBMITTED, "improvement.reopened", note=reason)
    refresh_estimate(improvement, cells)
