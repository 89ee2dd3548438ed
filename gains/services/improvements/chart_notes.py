"""Notes a team pins to dates on its improvement's charts ("new script from 1 March").

A note is neither plan nor data: adding or deleting one changes no estimate, no data
version and no review (docs/decisions/0043). Only people who may change the improvement
write them, and each write is audited with the note's date and words.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from gains.bounds import CHART_NOTE, DATE
from gains.extensions import db
from gains.models import ChartNote, Improvement, Status
from gains.services.audit.events import record_event, snapshot
from gains.services.improvements.workflow import WorkflowError, may_change, require_change_rights

NOTE_FIELDS = ("on_date", "text")


class ChartNoteError(WorkflowError):
    """A note refused; ``field`` names the input at fault ("on_date" or "text")."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def note_problem(on_date: date | None, text: str) -> ChartNoteError | None:
    """What is wrong with a note's date and words, by the bounds every path applies."""
    if on_date is None:
        return ChartNoteError("Enter the date of the note", "on_date")
    if problem := DATE.problem(on_date):
        return ChartNoteError(problem, "on_date")
    if not text.strip():
        return ChartNoteError("Enter the note", "text")
    if problem := CHART_NOTE.problem(text):
        return ChartNoteError(problem, "text")
    return None


def may_add_notes(user: Any, improvement: Improvement) -> bool:
    """A withdrawn improvement's page is a record and offers no changes (decision 0037)."""
    return improvement.status is not Status.WITHDRAWN and may_change(user, improvement)


def add_note(actor: Any, improvement: Improvement, on_date: date | None, text: str) -> ChartNote:
    require_change_rights(actor, improvement)
    if improvement.status is Status.WITHDRAWN:
        raise WorkflowError("A withdrawn improvement takes no new notes")
    problem = note_problem(on_date, text)
    if problem:
        raise problem
    note = ChartNote(
        improvement=improvement, on_date=on_date, text=text.strip(), created_by_id=actor.id
    )
    db.session.add(note)
    record_event(
        actor,
        "chart_note.added",
        note,
        department_id=improvement.department_id,
        after=snapshot(note, NOTE_FIELDS),
    )
    return note


def delete_note(actor: Any, note: ChartNote) -> None:
    require_change_rights(actor, note.improvement)
    record_event(
        actor,
        "chart_note.deleted",
        note,
        department_id=note.improvement.department_id,
        before=snapshot(note, NOTE_FIELDS),
    )
    db.session.delete(note)


def notes_for(improvement_id: int) -> list[ChartNote]:
    """The improvement's notes by date (then as added), as the charts and the list show them."""
    return list(
        db.session.scalars(
            select(ChartNote)
            .where(ChartNote.improvement_id == improvement_id)
            .order_by(ChartNote.on_date, ChartNote.id)
        )
    )


def notes_key(notes: list[ChartNote]) -> str:
    """Changes whenever a note is added or deleted: in each weekly chart's URL, so a browser
    fetches the drawing again with the new lines rather than reuse the one it has."""
    return f"{len(notes)}-{max((note.id for note in notes), default=0)}"
