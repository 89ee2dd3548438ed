"""An improvement's audit trail: every event about it, its batches, rows, reviews and
amendments, newest first, with each event's changes field by field.

Readable by whoever may read the improvement (`get_scoped_or_404`: another department's
improvement is a 404). The admin-wide view with filters and the CSV export is in `admin`.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from gains.access import get_scoped_or_404, scoped
from gains.models import AuditEvent, Improvement
from gains.services.audit import log as audit_log

blueprint = Blueprint("audit", __name__)


@blueprint.route("/improvements/<int:improvement_id>/audit")
def improvement(improvement_id: int):
    record = get_scoped_or_404(Improvement, improvement_id, current_user)
    stmt = scoped(select(AuditEvent), current_user).where(AuditEvent.improvement_id == record.id)
    page = audit_log.page_of(stmt, request.args.get("page", type=int) or 1)
    return render_template(
        "audit/improvement.html",
        improvement=record,
        page=page,
        page_endpoint="audit.improvement",
        page_arguments={"improvement_id": record.id},
        **audit_log.words_for(page.items),
    )
