"""What the measurements partials need, built in one place for every page that shows them.

`measurements_section(improvement, user, page)` is what the improvement page calls before it
includes `measurements/partials/section.html`; the measurements blueprint uses it too.
Every query goes through `gains.access.scoped`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from gains.access import scoped
from gains.extensions import db
from gains.measurements.forms import MeasurementForm, WithdrawBatchForm
from gains.models import AuditEvent, BatchStatus, Improvement, Measurement, UploadBatch
from gains.models.base import utcnow
from gains.paging import paginate
from gains.services.estimates.summaries import CellSummary, cell_summaries
from gains.services.improvements.workflow import may_change
from gains.services.measurements.active import active_measurements
from gains.services.measurements.recording import OPEN_FOR_DATA
from gains.services.public.publication import ChangeWarning, change_warning

PAGE_SIZE = 25
PREVIEW_ROWS = 10


@dataclass
class MeasurementsSection:
    improvement: Improvement
    listed: Pagination  # a page of the active rows, newest first
    cells: list[CellSummary]
    batches: list[UploadBatch]
    may_change: bool
    add_form: MeasurementForm | None = None
    # Said above the forms when a change would reopen review (and leave the register).
    change_warning: ChangeWarning | None = None
    # The row being edited inline (its id) and its form, when one is.
    editing: dict[int, MeasurementForm] = field(default_factory=dict)


def may_change_measurements(user: Any, improvement: Improvement) -> bool:
    return may_change(user, improvement) and improvement.status in OPEN_FOR_DATA


def _active_rows(improvement: Improvement, user: Any):
    return scoped(active_measurements(), user).where(Measurement.improvement_id == improvement.id)


def _batches(improvement: Improvement, user: Any) -> list[UploadBatch]:
    """Newest first; pending uploads past their hour are left out (expiry deletes them)."""
    stmt = (
        scoped(select(UploadBatch), user)
        .where(
            UploadBatch.improvement_id == improvement.id,
            or_(
                UploadBatch.status != BatchStatus.PENDING,
                UploadBatch.expires_at > utcnow(),
            ),
        )
        .order_by(UploadBatch.created_at.desc(), UploadBatch.id.desc())
        # Each row says who added it, and in which PDSA cycle (decision 0048).
        .options(joinedload(UploadBatch.created_by), joinedload(UploadBatch.cycle))
    )
    return list(db.session.scalars(stmt))


def measurements_section(
    improvement: Improvement,
    user: Any,
    page: int = 1,
    *,
    add_form: MeasurementForm | None = None,
) -> dict[str, Any]:
    """Everything `measurements/partials/section.html` needs, under one name."""
    rows = _active_rows(improvement, user)
    cells = cell_summaries([improvement.id])
    # Every active row is in one (phase, group) cell: no second pass over them to count.
    total = sum(cell.n for cell in cells)
    allowed = may_change_measurements(user, improvement)
    section = MeasurementsSection(
        improvement=improvement,
        listed=paginate(rows.order_by(Measurement.id.desc()), page, PAGE_SIZE, total=total),
        cells=cells,
        batches=_batches(improvement, user),
        may_change=allowed,
        add_form=(add_form or MeasurementForm(prefix="new", formdata=None)) if allowed else None,
        change_warning=change_warning(improvement) if allowed else None,
    )
    return {"measurements_section": section}


def batch_page(batch: UploadBatch, user: Any) -> dict[str, Any]:
    """A batch's page: the preview of a pending upload, or the record of any batch."""
    recorded = db.session.scalars(
        scoped(select(AuditEvent), user).where(
            AuditEvent.entity_type == UploadBatch.__tablename__,
            AuditEvent.entity_id == batch.id,
            AuditEvent.action == "batch.recorded",
        )
    ).first()
    first_rows = db.session.scalars(
        scoped(select(Measurement), user)
        .where(Measurement.improvement_id == batch.improvement_id, Measurement.batch_id == batch.id)
        .order_by(Measurement.id)
        .limit(PREVIEW_ROWS)
    ).all()
    columns = ((recorded.after or {}).get("columns") or {}) if recorded else {}
    return {
        "batch": batch,
        "improvement": batch.improvement,
        "columns_text": ", ".join(
            name if heading.lower() == name else f"{name} (headed “{heading}”)"
            for name, heading in columns.items()
        ),
        "first_rows": first_rows,
        "may_change": may_change(user, batch.improvement),
        "change_warning": change_warning(batch.improvement),
        "form": WithdrawBatchForm(prefix=f"b{batch.id}"),
    }
