"""One CSV file with rows for many improvements (an `improvement` column), all or nothing.

The file is read by `csv_upload.MeasurementCsv` with the web upload's rules and limits; the
`improvement` column is checked per row in the same pass, so a row for an improvement the
person cannot write to is a row problem on its line (never a silent skip). The improvement is
named by its reference ("WKP-0042", shown on its page and in the register) or its number
alone; a reference whose department code is not the improvement's is a row problem
(`bounds.read_reference`, decision 0042).

A clean file becomes one *pending* batch per improvement (source CSV, one audit event each),
confirmed or cancelled together: `confirm_batches` makes them all active in one transaction
or none, exactly like a single upload's confirm (each improvement locked, each still taking
data, each batch unexpired).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, BinaryIO

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gains.access import scoped
from gains.bounds import TypedReference, read_reference, reference_problem
from gains.extensions import db
from gains.models import BatchSource, BatchStatus, Improvement, UploadBatch
from gains.services.measurements.csv_upload import (
    MeasurementCsv,
    UploadLimits,
    chunk_as_rows,
    display_filename,
)
from gains.services.measurements.recording import (
    OPEN_FOR_DATA,
    cancel_batch,
    confirm_batch,
    expire_pending_batches,
    require_open,
    store_batch,
)

IMPROVEMENT_COLUMN = "improvement"


class _ImprovementColumn:
    """Per-row problems of the improvement column, looking up each distinct number once."""

    def __init__(self, actor: Any):
        self.actor = actor
        self.problem_for: dict[str, str | None] = {}
        self.id_for: dict[str, int] = {}

    def __call__(self, extras: dict[str, np.ndarray]) -> np.ndarray:
        cells = extras[IMPROVEMENT_COLUMN]
        new = {cell for cell in set(cells.tolist()) if cell not in self.problem_for}
        self._look_up(new)
        return np.array([self.problem_for[cell] for cell in cells.tolist()], dtype=object)

    def _look_up(self, cells: set[str]) -> None:
        typed: dict[str, TypedReference] = {}
        for cell in cells:
            problem = reference_problem(cell)
            if problem:
                self.problem_for[cell] = problem
            else:
                typed[cell] = read_reference(cell)
        if not typed:
            return
        ids = {reference.number for reference in typed.values()}
        readable = {
            i.id: i
            for i in db.session.scalars(
                scoped(select(Improvement), self.actor)
                .where(Improvement.id.in_(ids))
                .options(joinedload(Improvement.department))
            )
        }
        writable = set(
            db.session.scalars(
                scoped(select(Improvement.id), self.actor, write=True).where(
                    Improvement.id.in_(ids)
                )
            )
        )
        for cell, reference in typed.items():
            number, named = reference.number, cell.strip()
            improvement = readable.get(number)
            if improvement is None:
                self.problem_for[cell] = f"There is no improvement {named} that you can see"
            elif wrong_code := reference.problem_with(improvement.department.code, number):
                self.problem_for[cell] = wrong_code
            elif number not in writable:
                self.problem_for[cell] = f"You cannot add measurements to improvement {named}"
            elif improvement.status not in OPEN_FOR_DATA:
                self.problem_for[cell] = (
                    f"Improvement {named} is {improvement.status.label.lower()}: "
                    "it takes no measurements now"
                )
            else:
                self.problem_for[cell] = None
                self.id_for[cell] = number


def upload_many(
    actor: Any,
    stream: BinaryIO,
    *,
    filename: str | None,
    limits: UploadLimits | None = None,
) -> list[UploadBatch]:
    """Check the whole file, then keep one pending batch per improvement (in number order).

    Raises `RowsRejected` (every problem, the improvement column's included) or
    `UploadTooLarge`, and writes nothing; the caller commits.
    """
    improvement_column = _ImprovementColumn(actor)
    reading = MeasurementCsv(
        stream,
        limits,
        extra_columns=(IMPROVEMENT_COLUMN,),
        extra_check=improvement_column,
    )
    rows_for: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in reading.chunks():
        cells = chunk.extras[IMPROVEMENT_COLUMN].tolist()
        for cell, row in zip(cells, chunk_as_rows(chunk.rows), strict=True):
            rows_for[improvement_column.id_for[cell]].append(row)
    rejection = reading.rejection()
    if rejection is not None:
        raise rejection
    columns = {k: v for k, v in reading.columns.items() if k != IMPROVEMENT_COLUMN}
    batches = []
    for improvement_id in sorted(rows_for):
        improvement = db.session.get(Improvement, improvement_id)
        require_open(actor, improvement)  # locked, and re-checked under the lock
        expire_pending_batches(improvement)
        batches.append(
            store_batch(
                actor,
                improvement,
                rows_for[improvement_id],
                source=BatchSource.CSV,
                filename=display_filename(filename),
                checksum_sha256=reading.checksum_sha256,
                pending=True,
                columns=columns,
            )
        )
    return batches


def pending_batches(actor: Any, batch_ids: list[int]) -> list[UploadBatch]:
    """The pending batches among these that the person may change, in number order."""
    if not batch_ids:
        return []
    return list(
        db.session.scalars(
            scoped(select(UploadBatch), actor, write=True)
            .where(UploadBatch.id.in_(batch_ids), UploadBatch.status == BatchStatus.PENDING)
            .order_by(UploadBatch.id)
        )
    )


def confirm_batches(actor: Any, batches: list[UploadBatch]) -> None:
    """Confirm every batch or none (the caller rolls back on `WorkflowError`)."""
    for batch in batches:
        confirm_batch(actor, batch)


def cancel_batches(actor: Any, batches: list[UploadBatch]) -> None:
    for batch in batches:
        cancel_batch(actor, batch)
