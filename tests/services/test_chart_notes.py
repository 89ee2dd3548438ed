"""Chart notes: who may write them, their bounds, and that a note is not a reviewed change
(docs/decisions/0043)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gains.models import AuditEvent, ChartNote, Decision, Role, Status, User
from gains.services.audit import log as audit_log
from gains.services.improvements import chart_notes, workflow
from gains.services.improvements.chart_notes import ChartNoteError, add_note, delete_note
from gains.services.review.decisions import decide
from tests.support.factories import person, plan, submitted_by


def test_a_note_on_an_approved_improvement_does_not_reopen_review(session):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Noted after approval")
    decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    session.commit()
    version = improvement.data_version

    note = add_note(member, improvement, date(2026, 3, 1), "New script from 1 March")
    session.commit()
    delete_note(member, note)
    session.commit()

    session.refresh(improvement)
    assert improvement.status is Status.APPROVED
    assert improvement.data_version == version


@pytest.mark.parametrize(
    ("on_date", "text", "field", "message"),
    [
        (None, "A note", "on_date", "Enter the date of the note"),
        (date(1, 1, 1), "A note", "on_date", "Enter a date between 1 January 1990 and"),
        (date(2101, 1, 1), "A note", "on_date", "Enter a date between"),
        (date(2026, 3, 1), "   ", "text", "Enter the note"),
        (date(2026, 3, 1), "x" * 201, "text", "Note must be 200 characters or fewer"),
        (date(2026, 3, 1), "a\x00b", "text", "Remove the invisible control characters"),
    ],
)
def test_notes_outside_the_bounds_are_refused(session, on_date, text, field, message):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="Bounded notes"))
    with pytest.raises(ChartNoteError) as refused:
        add_note(member, improvement, on_date, text)
    assert refused.value.field == field
    assert str(refused.value).startswith(message)
    session.rollback()
    assert chart_notes.notes_for(improvement.id) == []


def test_only_people_who_may_change_the_improvement_write_notes(session):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="Whose notes"))
    other_team = session.scalars(
        select(User).where(User.role == Role.MEMBER, User.team_id != member.team_id)
    ).first()
    for outsider in (person(session, "treasury"), other_team):
        with pytest.raises(workflow.PermissionDenied):
            add_note(outsider, improvement, date(2026, 3, 1), "Not mine")
    note = add_note(person(session, "manager"), improvement, date(2026, 3, 1), "Manager's")
    with pytest.raises(workflow.PermissionDenied):
        delete_note(person(session, "treasury"), note)


def test_a_withdrawn_improvement_takes_no_new_notes(session):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="Gone"))
    workflow.start(member, improvement)
    workflow.withdraw(member, improvement, "Superseded")
    assert not chart_notes.may_add_notes(member, improvement)
    with pytest.raises(workflow.WorkflowError, match="withdrawn"):
        add_note(member, improvement, date(2026, 3, 1), "Too late")


def test_notes_come_by_date_and_go_with_a_deleted_draft(session):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="Ordered notes"))
    add_note(member, improvement, date(2026, 5, 1), "Second")
    add_note(member, improvement, date(2026, 3, 1), "First")
    add_note(member, improvement, date(2026, 5, 1), "Third")
    session.flush()
    notes = chart_notes.notes_for(improvement.id)
    assert [n.text for n in notes] == ["First", "Second", "Third"]

    workflow.delete_draft(member, improvement)
    session.flush()
    left = select(ChartNote).where(ChartNote.improvement_id == improvement.id)
    assert session.scalars(left).all() == []


def test_the_audit_trail_names_a_note_in_words(session):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="Worded notes"))
    note = add_note(member, improvement, date(2026, 3, 1), "New script")
    session.flush()
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "chart_note.added", AuditEvent.entity_id == note.id
        )
    ).one()
    names = audit_log.record_names([event])
    assert names[("chart_notes", note.id)] == "Chart note of 1 March 2026, for “Worded notes”"
    assert audit_log.action_words(event.action) == "Note added to the charts"
    words = audit_log.changes_in_words(audit_log.field_changes(event, {}))
    assert words == "Date: 1 March 2026; Note: New script"
