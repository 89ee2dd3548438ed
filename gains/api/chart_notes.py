"""Notes an improvement's team pins to dates on its charts: read them, add one. A note is not
a reviewed field: adding one changes no estimate and does not reopen review
(docs/decisions/0043)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from gains.access import get_scoped_or_404
from gains.api.pagination import ID, LINK_HEADER_DOC, paginate
from gains.api.schemas import ChartNoteCreateSchema, ChartNoteSchema, PageArgsSchema, page_of
from gains.api.writes import refuse
from gains.extensions import db
from gains.models import ChartNote, Improvement
from gains.services.improvements.chart_notes import ChartNoteError, add_note
from gains.services.improvements.workflow import WorkflowError

blueprint = Blueprint("api_chart_notes", __name__, description="Notes on an improvement's charts")

NOTES = f"/improvements/<{ID}:improvement_id>/chart-notes"


@blueprint.get(NOTES)
@blueprint.arguments(PageArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(ChartNoteSchema), headers=LINK_HEADER_DOC)
def list_chart_notes(improvement_id: int, page: int, per_page: int):
    """An improvement's chart notes by date (then as added)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    stmt = (
        select(ChartNote)
        .where(ChartNote.improvement_id == improvement.id)
        .order_by(ChartNote.on_date, ChartNote.id)
    )
    return paginate(stmt, page, per_page)


@blueprint.post(NOTES)
@blueprint.arguments(ChartNoteCreateSchema)
@blueprint.response(201, ChartNoteSchema)
@blueprint.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_chart_note(data: dict[str, Any], improvement_id: int):
    """Add a note at a date, drawn on the XmR and run charts. For people who may change the
    improvement; a withdrawn improvement takes none (409)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    try:
        note = add_note(current_user, improvement, data["on_date"], data["text"])
    except WorkflowError as error:
        db.session.rollback()
        # A blank note is a wrong value (422); a withdrawn improvement, its state (409).
        refuse(error, validation=isinstance(error, ChartNoteError))
    db.session.commit()
    return note
