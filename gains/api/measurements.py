"""Measurements and their batches. A POST of rows is one batch (source: API), checked row by
row by the same validation as the web form and CSV upload (`services.measurement_rows`) and
stored all or nothing by the same service (`services.measurements.record_batch`)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import or_, select

from gains.access import get_scoped_or_404
from gains.api.pagination import ID, LINK_HEADER_DOC, paginate
from gains.api.problems import problem
from gains.api.schemas import (
    BatchArgsSchema,
    BatchSchema,
    MeasurementArgsSchema,
    MeasurementBatchCreateSchema,
    MeasurementSchema,
    WithdrawSchema,
    page_of,
)
from gains.api.writes import commit_or_refuse
from gains.extensions import db
from gains.models import BatchSource, BatchStatus, Improvement, Measurement, UploadBatch
from gains.models.base import utcnow
from gains.services.measurements.recording import RowsRejected, record_batch, withdraw_batch

blueprint = Blueprint(
    "api_measurements", __name__, description="Measurements and the batches they came in"
)

IMPROVEMENT = f"/improvements/<{ID}:improvement_id>"
# RowError names the column as a CSV file heads it; the API's rows use these keys.
ROW_KEYS = {"unit": "unit_ref", "date": "observed_on"}


def row_problems(rejected: RowsRejected) -> list[dict[str, Any]]:
    return [
        {
            "location": "body",
            "field": f"rows.{error.line - 1}.{ROW_KEYS.get(error.column, error.column)}"
            if error.column
            else "rows",
            "message": error.message,
            "row": error.line,
            "column": ROW_KEYS.get(error.column, error.column),
        }
        for error in rejected.errors
    ]


@blueprint.get(f"{IMPROVEMENT}/measurements")
@blueprint.arguments(MeasurementArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(MeasurementSchema), headers=LINK_HEADER_DOC)
def list_measurements(
    improvement_id: int, page: int, per_page: int, batch_status: BatchStatus | None = None
):
    """An improvement's measurements, oldest first (every batch unless filtered)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    stmt = select(Measurement).where(Measurement.improvement_id == improvement.id)
    if batch_status is not None:
        stmt = stmt.join(UploadBatch, UploadBatch.id == Measurement.batch_id).where(
            UploadBatch.status == batch_status
        )
    return paginate(stmt.order_by(Measurement.id), page, per_page)


@blueprint.post(f"{IMPROVEMENT}/measurements")
@blueprint.arguments(MeasurementBatchCreateSchema)
@blueprint.response(201, BatchSchema)
@blueprint.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_measurements(data: dict[str, Any], improvement_id: int):
    """Add rows as one active batch: all of them, or (any row wrong) none, with every
    problem listed in the problem's `errors` by row and column."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    try:
        batch = commit_or_refuse(
            lambda: record_batch(
                current_user,
                improvement,
                data["rows"],
                source=BatchSource.API,
                filename=data.get("filename") or None,
            )
        )
    except RowsRejected as rejected:
        db.session.rollback()
        return problem(
            422,
            f"{rejected.total} problem(s) in the rows; nothing was saved.",
            kind="validation",
            errors=row_problems(rejected),
        )
    return batch, {"Location": url_for(".get_batch", batch_id=batch.id, _external=True)}


@blueprint.get(f"{IMPROVEMENT}/batches")
@blueprint.arguments(BatchArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(BatchSchema), headers=LINK_HEADER_DOC)
def list_batches(improvement_id: int, page: int, per_page: int, status: BatchStatus | None = None):
    """An improvement's batches, newest first."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    stmt = select(UploadBatch).where(
        UploadBatch.improvement_id == improvement.id,
        # Expired uploads are deleted lazily by the web; they are gone already for lists.
        or_(UploadBatch.status != BatchStatus.PENDING, UploadBatch.expires_at > utcnow()),
    )
    if status is not None:
        stmt = stmt.where(UploadBatch.status == status)
    return paginate(stmt.order_by(UploadBatch.id.desc()), page, per_page)


@blueprint.get(f"/batches/<{ID}:batch_id>")
@blueprint.response(200, BatchSchema)
def get_batch(batch_id: int):
    """One batch."""
    return get_scoped_or_404(UploadBatch, batch_id, current_user)


@blueprint.post(f"/batches/<{ID}:batch_id>/withdraw")
@blueprint.arguments(WithdrawSchema)
@blueprint.response(200, BatchSchema)
def withdraw(data: dict[str, Any], batch_id: int):
    """Withdraw an active batch: kept for the record, excluded from the estimate; after an
    approval the improvement goes back to review."""
    batch = get_scoped_or_404(UploadBatch, batch_id, current_user, write=True)
    commit_or_refuse(lambda: withdraw_batch(current_user, batch, data["reason"]))
    return batch
