"""Reading the audit trail: the improvement each event belongs to, filters, readable changes
and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy import select

from gains.access import scoped
from gains.exports import table_to_csv
from gains.models import AuditEvent, BatchSource, Department, Role, Team
from gains.services.audit import log as audit_log
from gains.services.audit.log import AuditFilters
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from gains.services.people import accounts
from tests.support.factories import person, plan, rows


def started_with_a_batch(session, title: str):
    """A started improvement with one batch of three rows, and its audit trail in order."""
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title=title))
    workflow.start(member, improvement)
    batch = record_batch(member, improvement, rows("before", [1, 2, 3]), source=BatchSource.FORM)
    session.flush()
    trail = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.improvement_id == improvement.id)
        .order_by(AuditEvent.id)
    ).all()
    return improvement, batch, trail


def test_events_about_an_improvement_and_its_batches_carry_its_id(session):
    _improvement, batch, trail = started_with_a_batch(session, "Audit me")
    assert [(e.entity_type, e.action) for e in trail] == [
        ("improvements", "improvement.created"),
        ("improvements", "improvement.start"),
        ("upload_batches", "batch.recorded"),
    ]
    assert trail[-1].entity_id == batch.id
    member = person(session, "member")
    account_event = accounts.sign_out_everywhere(member, member)
    session.flush()
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.improvement_id is None and account_event is member


def _filtered(session, **filters) -> list[AuditEvent]:
    admin = person(session, "admin")
    stmt = audit_log.filtered(scoped(select(AuditEvent), admin), AuditFilters(**filters))
    return audit_log.all_of(stmt)


def test_filters_narrow_the_trail(session):
    admin = person(session, "admin")
    member = person(session, "member")
    accounts.sign_out_everywhere(admin, member)
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    event.occurred_at = datetime(2020, 3, 15, 23, 59, tzinfo=UTC)
    session.flush()
    everything = _filtered(session)
    assert event in everything
    by_actor = _filtered(session, actor=admin.id)
    assert event in by_actor and all(e.actor_id == admin.id for e in by_actor)
    assert all(e.actor_id is None for e in _filtered(session, actor="system"))
    assert event not in _filtered(session, actor="system")
    by_department = _filtered(session, department_id=member.department_id)
    assert event in by_department
    assert all(e.department_id == member.department_id for e in by_department)
    assert event in _filtered(session, entity_type="users", action="user.signed_out_everywhere")
    assert event not in _filtered(session, entity_type="improvements")
    assert _filtered(session, date_from=date(2020, 3, 15), date_to=date(2020, 3, 15)) == [event]
    assert event not in _filtered(session, date_from=date(2020, 3, 16))
    assert event not in _filtered(session, date_to=date(2020, 3, 14))


def test_changes_read_as_fields_with_names_for_ids(session):
    admin = person(session, "admin")
    member = person(session, "member")
    old_team = member.team
    casework = session.scalars(select(Team).where(Team.name == "Casework")).one()
    accounts.update_user(admin, member, name=member.name, role=Role.MANAGER, team=casework)
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    names = audit_log.reference_names([event])
    changes = audit_log.field_changes(event, names)
    assert [(c.label, c.before, c.after) for c in changes] == [
        ("Role", "Service team member", "Manager"),
        ("Team", old_team.name, "Casework"),
    ]
    words = audit_log.changes_in_words(changes)
    assert words == (f"Role: Service team member → Manager; Team: {old_team.name} → Casework")


def test_creations_and_deletions_read_as_set_and_was(session):
    event = AuditEvent(
        entity_type="measurements", action="x", before={"value": "3", "ok": True}, after=None
    )
    assert audit_log.changes_in_words(audit_log.field_changes(event, {})) == (
        "Value: was 3; Ok: was Yes"
    )
    created = AuditEvent(entity_type="teams", action="y", before=None, after={"name": None})
    assert audit_log.changes_in_words(audit_log.field_changes(created, {})) == "Name: (none)"


def test_the_export_is_spreadsheet_safe_and_complete(session):
    admin = person(session, "admin")
    department = session.scalars(select(Department).where(Department.code == "WKP")).one()
    # A hostile name must arrive in the spreadsheet as text, not as a formula.
    from gains.services.people import organisation

    organisation.update_department(admin, department, name='=HYPERLINK("x")', code="WKP")
    session.flush()
    events = _filtered(session, action="department.updated")
    text = table_to_csv(audit_log.events_table(events), [("Action", "department.updated")])
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["Gains audit trail"] and lines[1] == ["Action", "department.updated"]
    header = lines[3]
    assert header[:3] == ["When (UTC)", "Actor", "Actor email"]
    row = dict(zip(header, lines[4], strict=True))
    assert row["Actor"] == admin.name and row["Action"] == "Department changed"
    assert row["Changes"].startswith("Name: ")
    assert row["After (JSON)"] == '{"name": "=HYPERLINK(\\"x\\")"}'
    assert len(lines) == 4 + len(events)


def test_export_cells_that_look_like_formulas_become_text(session):
    event = AuditEvent(
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        entity_type="upload_batches",
        entity_id=7,
        action="batch.withdrawn",
        before={"status": "active"},
        after={"status": "withdrawn"},
        note="=1+1 wrong file",
    )
    lines = list(csv.reader(io.StringIO(table_to_csv(audit_log.events_table([event]), []))))
    row = dict(zip(lines[2], lines[3], strict=True))
    assert row["Note"] == "'=1+1 wrong file"
    assert row["Actor"] == "System" and row["When (UTC)"] == "2026-01-02T03:04:05+00:00"
    assert row["Changes"] == "Status: Active → Withdrawn"  # labels, not stored values


def test_stored_values_read_as_their_labels_by_record(session):
    improvement = AuditEvent(
        entity_type="improvements",
        action="improvement.submit",
        before={"status": "running", "pillar": "engaging_users"},
        after={"status": "submitted", "pillar": "no_such_pillar"},
    )
    assert audit_log.changes_in_words(audit_log.field_changes(improvement, {})) == (
        "Status: Running → Submitted for review; "
        "Pillar: Engaging users and citizens → no_such_pillar"
    )
    batch = AuditEvent(entity_type="upload_batches", action="x", after={"status": "pending"})
    words = audit_log.changes_in_words(audit_log.field_changes(batch, {}))
    assert words == "Status: Awaiting confirmation"


def test_records_are_named_by_what_they_are(session):
    improvement, batch, events = started_with_a_batch(session, "Name me")
    names = audit_log.record_names(events)
    day = f"{batch.created_at.day} {batch.created_at:%B %Y}"
    assert names[("improvements", improvement.id)] == "Name me"
    assert names[("upload_batches", batch.id)] == f"Upload of 3 rows on {day}, for “Name me”"
    actions = {audit_log.action_words(event.action) for event in events}
    assert {"Registered", "Started: plan locked", "Measurements added"} <= actions


def test_values_read_as_the_forms_show_them():
    event = AuditEvent(
        entity_type="improvements",
        action="improvement.updated",
        before={"implementation_cost_pence": 2200000, "go_live_on": "2026-03-03"},
        after={
            "implementation_cost_pence": 2250050,
            "go_live_on": "2026-04-01",
            "value_per_unit_gbp": "0.0075",
            "persistence": "0.8",
        },
    )
    changes = audit_log.changes_in_words(audit_log.field_changes(event, {}))
    assert changes == (
        "Implementation cost: £22,000.00 → £22,500.50; Go-live date: 3 March 2026 → 1 April "
        "2026; Value of one unit of the metric: £0.0075; Share of the gain that remains each "
        "year: 80%"
    )


def test_times_read_as_govuk_writes_them_in_utc():
    assert audit_log.when(datetime(2026, 12, 3, 14, 5, 59, 123456, tzinfo=UTC)) == (
        "3 December 2026 at 14:05"
    )
    assert audit_log.action_words("improvement.published") == "Published on the register"
    assert audit_log.action_words("something.new_here") == "Something: new here"


def test_measurements_and_uploads_are_described_without_their_ids():
    from gains.models import Measurement, Phase, UploadBatch

    assert Measurement(observed_on=date(2026, 3, 3)).described == "the measurement of 3 March 2026"
    assert Measurement(unit_ref="case 7").described == "the measurement of case 7"
    assert Measurement(phase=Phase.BEFORE, value=2.5).described == "the before measurement of 2.5"
    upload = UploadBatch(row_count=12, created_at=datetime(2026, 12, 3, 14, 5, tzinfo=UTC))
    assert upload.described == "Upload of 12 rows on 3 December 2026"
    assert UploadBatch(row_count=1, created_at=datetime(2026, 1, 2)).described == (
        "Upload of 1 row on 2 January 2026"
    )
