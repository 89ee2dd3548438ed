"""Recording measurements: one service for the form, CSV, API and command-line paths.

Rows are validated in full before anything is written; then the batch and all its rows go in
one transaction, so a rejected set writes nothing and an accepted one lands whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert

from gains.extensions import db
from gains.models import (
    BatchSource,
    BatchStatus,
    Improvement,
    Measurement,
    Phase,
    Status,
    StudyGroup,
    UploadBatch,
)
from gains.models.base import utcnow
from gains.services.audit import record_event
from gains.services.improvements import WorkflowError, change_status, may_change

MAX_UNIT_REF_LENGTH = 100
PENDING_LIFETIME = timedelta(hours=1)
# Statuses in which new data may arrive: a draft has no go-live yet; rejected and withdrawn
# improvements are closed.
OPEN_FOR_DATA = {
    Status.RUNNING,
    Status.SUBMITTED,
    Status.CHANGES_REQUESTED,
    Status.APPROVED,
}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


class RowsRejected(ValueError):
    """Some rows are invalid; nothing was written. `errors` lists every problem."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the rows; nothing was saved")


def _parse_row(line: int, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []
    row: dict[str, Any] = {}

    phase = str(raw.get("phase") or "").strip().lower()
    if phase not in {p.value for p in Phase}:
        errors.append(RowError(line, "phase", "Enter before or after"))
    else:
        row["phase"] = Phase(phase)

    group = str(raw.get("group") or "treatment").strip().lower()
    if group not in {g.value for g in StudyGroup}:
        errors.append(RowError(line, "group", "Enter treatment or control"))
    else:
        row["group"] = StudyGroup(group)

    value = raw.get("value")
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
        message = "Enter a value" if value in (None, "") else "Enter a number"
        errors.append(RowError(line, "value", message))
    else:
        if not math.isfinite(number):
            errors.append(RowError(line, "value", "Enter a finite number"))
    row["value"] = number

    unit = raw.get("unit_ref")
    unit = str(unit).strip() if unit not in (None, "") else None
    if unit is not None and len(unit) > MAX_UNIT_REF_LENGTH:
        errors.append(RowError(line, "unit", f"Use at most {MAX_UNIT_REF_LENGTH} characters"))
    row["unit_ref"] = unit or None

    observed = raw.get("observed_on")
    if isinstance(observed, str) and observed.strip():
        try:
            observed = date.fromisoformat(observed.strip())
        except ValueError:
            errors.append(RowError(line, "date", "Enter a real date as YYYY-MM-DD"))
            observed = None
    row["observed_on"] = observed if isinstance(observed, date) else None
    return row, errors


def validate_rows(rows: Iterable[Mapping[str, Any]], first_line: int = 1) -> list[dict[str, Any]]:
    """Parse every row; raise `RowsRejected` listing all problems if any row is bad."""
    parsed, errors = [], []
    for offset, raw in enumerate(rows):
        row, row_errors = _parse_row(first_line + offset, raw)
        parsed.append(row)
        errors.extend(row_errors)
    if errors:
        raise RowsRejected(errors)
    if not parsed:
        raise RowsRejected([RowError(first_line, "", "There are no rows")])
    return parsed


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
    if not may_change(actor, improvement):
        raise WorkflowError("You cannot add measurements to this improvement")
    if improvement.status not in OPEN_FOR_DATA:
        raise WorkflowError(
            f"Measurements cannot be added while the improvement is "
            f"{improvement.status.label.lower()}"
        )
    parsed = validate_rows(rows)
    now = utcnow()
    batch = UploadBatch(
        improvement=improvement,
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
        [
            {
                "improvement_id": improvement.id,
                "batch_id": batch.id,
                "phase": row["phase"],
                "group": row["group"],
                "unit_ref": row["unit_ref"],
                "observed_on": row["observed_on"],
                "value": row["value"],
            }
            for row in parsed
        ],
    )
    record_event(
        actor,
        "batch.recorded",
        batch,
        department_id=improvement.department_id,
        after={
            "source": source.value,
            "rows": len(parsed),
            "pending": pending,
            "filename": filename,
        },
    )
    if not pending:
        data_changed(actor, improvement, reason=f"{len(parsed)} measurements added")
    return batch


def data_changed(actor: Any, improvement: Improvement, *, reason: str) -> None:
    """New data version; an approved improvement goes back to review (DESIGN "Locking")."""
    improvement.data_version += 1
    if improvement.status is Status.APPROVED:
        change_status(actor, improvement, Status.SUBMITTED, "improvement.reopened", note=reason)
