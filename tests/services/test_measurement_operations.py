"""Measurement operations: who may, in which statuses, audit events, data versions, expiry."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gains.models import (
    AuditEvent,
    BatchSource,
    BatchStatus,
    Improvement,
    Measurement,
    Phase,
    Status,
    UploadBatch,
)
from gains.models.base import utcnow
from gains.services.estimates.summaries import cell_summaries
from gains.services.improvements import workflow
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.measurements import recording as service
from gains.services.measurements.rows import RowsRejected
from tests.support.factories import person, plan

GOOD_CSV = b"phase,value\nbefore,10\nbefore,12\nafter,8\n"


@pytest.fixture
def member(session):
    return person(session, "member")


@pytest.fixture
def improvement(session, member):
    created = workflow.create_improvement(member, member.team, plan(title="Operations"))
    workflow.start(member, created)
    session.flush()
    return created


def actions(session, entity_type: str, entity_id: int) -> list[str]:
    return session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)
    ).all()


def cells(improvement) -> dict[Phase, int]:
    return {c.phase: c.n for c in cell_summaries([improvement.id])}


def upload(member, improvement, content: bytes = GOOD_CSV) -> UploadBatch:
    return service.upload_csv(member, improvement, io.BytesIO(content), filename="rows.csv")


def two_rows(member, improvement, first: str, second: str) -> UploadBatch:
    rows = [{"phase": first, "value": 1}, {"phase": second, "value": 2}]
    return service.record_batch(member, improvement, rows, source=BatchSource.FORM)


def test_a_form_row_is_a_one_row_active_batch(session, member, improvement):
    batch = service.record_form_row(member, improvement, {"phase": "after", "value": "4.5"})
    assert (batch.source, batch.status, batch.row_count) == (
        BatchSource.FORM,
        BatchStatus.ACTIVE,
        1,
    )
    assert improvement.data_version == 1
    assert cells(improvement) == {Phase.AFTER: 1}
    assert actions(session, "upload_batches", batch.id) == ["batch.recorded"]


def test_a_bad_form_row_says_which_field(member, improvement):
    with pytest.raises(RowsRejected) as raised:
        service.record_form_row(member, improvement, {"phase": "after", "value": ""})
    assert [(e.column, e.message) for e in raised.value.errors] == [("value", "Enter a value")]
    assert improvement.data_version == 0


@pytest.mark.parametrize("role", ["treasury", "other_department"])
def test_outsiders_cannot_change_measurements(session, improvement, role):

    outsider = person(session, "treasury" if role == "treasury" else "debt@example.org")
    with pytest.raises(PermissionDenied):
        service.record_form_row(outsider, improvement, {"phase": "after", "value": 1})
    with pytest.raises(PermissionDenied):
        upload(outsider, improvement)


def test_a_manager_of_the_department_may_add(session, improvement):
    service.record_form_row(
        person(session, "manager"), improvement, {"phase": "before", "value": 1}
    )
    assert improvement.data_version == 1


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REJECTED, Status.WITHDRAWN])
def test_closed_improvements_take_no_data(member, improvement, status):
    improvement.status = status
    refusal = (
        "was withdrawn, so it cannot be changed"
        if status is Status.WITHDRAWN
        else ("cannot be added or changed")
    )
    with pytest.raises(WorkflowError, match=refusal):
        service.record_form_row(member, improvement, {"phase": "after", "value": 1})
    with pytest.raises(WorkflowError, match=refusal):
        upload(member, improvement)


def test_pending_upload_is_excluded_until_confirmed(session, member, improvement):
    batch = upload(member, improvement)
    assert (batch.status, batch.row_count, batch.source) == (
        BatchStatus.PENDING,
        3,
        BatchSource.CSV,
    )
    assert batch.expires_at is not None and len(batch.checksum_sha256) == 64
    assert improvement.data_version == 0
    assert cells(improvement) == {}
    service.confirm_batch(member, batch)
    assert batch.status is BatchStatus.ACTIVE and batch.expires_at is None
    assert improvement.data_version == 1
    assert cells(improvement) == {Phase.BEFORE: 2, Phase.AFTER: 1}
    assert actions(session, "upload_batches", batch.id) == ["batch.recorded", "batch.confirmed"]
    with pytest.raises(WorkflowError, match="is active, so it cannot be confirmed"):
        service.confirm_batch(member, batch)


def test_the_detected_columns_are_kept_in_the_audit_trail(session, member, improvement):
    batch = upload(member, improvement, b"Period;Value\nbefore;1\n")
    recorded = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_id == batch.id, AuditEvent.action == "batch.recorded"
        )
    ).one()
    assert recorded.after["columns"] == {"phase": "Period", "value": "Value"}


def test_an_expired_upload_cannot_be_confirmed_and_is_cleared_lazily(session, member, improvement):
    batch = upload(member, improvement)
    later = utcnow() + service.PENDING_LIFETIME + timedelta(seconds=1)
    with pytest.raises(WorkflowError, match="expired"):
        service.confirm_batch(member, batch, now=later)
    batch_id = batch.id
    assert service.expire_pending_batches(improvement, now=later) == 1
    assert session.get(UploadBatch, batch_id) is None
    assert (
        session.scalar(
            select(func.count()).select_from(Measurement).where(Measurement.batch_id == batch_id)
        )
        == 0
    )
    assert actions(session, "upload_batches", batch_id) == ["batch.recorded", "batch.expired"]
    assert improvement.data_version == 0


def test_a_fresh_upload_does_not_expire(member, improvement):
    upload(member, improvement)
    assert service.expire_pending_batches(improvement) == 0


def test_cancel_removes_a_pending_upload_only(session, member, improvement):
    batch = upload(member, improvement)
    batch_id = batch.id
    service.cancel_batch(member, batch)
    assert session.get(UploadBatch, batch_id) is None
    assert actions(session, "upload_batches", batch_id) == ["batch.recorded", "batch.cancelled"]
    active = service.record_form_row(member, improvement, {"phase": "after", "value": 1})
    with pytest.raises(WorkflowError, match="is active, so it cannot be cancelled"):
        service.cancel_batch(member, active)
    with pytest.raises(PermissionDenied):
        service.cancel_batch(person(session, "treasury"), upload(member, improvement))


def test_withdraw_keeps_the_batch_and_excludes_it(session, member, improvement):
    batch = two_rows(member, improvement, "before", "before")
    with pytest.raises(WorkflowError, match="Say why"):
        service.withdraw_batch(member, batch, "  ")
    service.withdraw_batch(member, batch, "Entered against the wrong improvement")
    assert batch.status is BatchStatus.WITHDRAWN
    assert batch.withdrawn_by_id == member.id and batch.withdrawal_reason
    assert improvement.data_version == 2
    assert cells(improvement) == {}
    assert (
        session.scalar(
            select(func.count()).select_from(Measurement).where(Measurement.batch_id == batch.id)
        )
        == 2
    )
    assert actions(session, "upload_batches", batch.id) == ["batch.recorded", "batch.withdrawn"]
    with pytest.raises(WorkflowError, match="is withdrawn, so it cannot be withdrawn"):
        service.withdraw_batch(member, batch, "again")
    pending = upload(member, improvement)
    with pytest.raises(WorkflowError, match="awaiting confirmation, so it cannot be withdrawn"):
        service.withdraw_batch(member, pending, "not yet")


def approved_improvement(session) -> Improvement:
    return session.scalars(
        select(Improvement)
        .where(Improvement.status == Status.APPROVED)
        .join(Improvement.team)
        .order_by(Improvement.id)
    ).first()


def test_withdrawing_after_approval_reopens_review(session):
    approved = approved_improvement(session)
    actor = person(session, "admin")
    batch = next(b for b in approved.batches if b.status is BatchStatus.ACTIVE)
    version = approved.data_version
    service.withdraw_batch(actor, batch, "Duplicate of another upload")
    assert approved.status is Status.SUBMITTED
    assert approved.data_version == version + 1
    assert actions(session, "improvements", approved.id)[-1] == "improvement.reopened"


def test_confirming_after_approval_reopens_review(session):
    approved = approved_improvement(session)
    actor = person(session, "admin")
    batch = upload(actor, approved)
    assert approved.status is Status.APPROVED  # pending data changes nothing
    service.confirm_batch(actor, batch)
    assert approved.status is Status.SUBMITTED


def test_edit_validates_audits_and_bumps_the_version(session, member, improvement):
    batch = service.record_form_row(member, improvement, {"phase": "before", "value": 3})
    measurement = batch.measurements[0]
    with pytest.raises(RowsRejected):
        service.edit_measurement(member, measurement, {"phase": "before", "value": "nan"})
    assert improvement.data_version == 1
    service.edit_measurement(
        member, measurement, {"phase": "after", "value": "4", "unit_ref": "Case 9"}
    )
    assert (measurement.phase, measurement.value, measurement.unit_ref) == (
        Phase.AFTER,
        4.0,
        "Case 9",
    )
    assert improvement.data_version == 2
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "measurements", AuditEvent.entity_id == measurement.id
        )
    ).one()
    assert event.action == "measurement.edited"
    assert (event.before["phase"], event.before["value"]) == ("before", 3.0)
    assert (event.after["phase"], event.after["value"]) == ("after", 4.0)
    # Saving the same values changes nothing.
    service.edit_measurement(
        member, measurement, {"phase": "after", "value": "4", "unit_ref": "Case 9"}
    )
    assert improvement.data_version == 2


def test_delete_removes_one_row_with_its_values_in_the_audit(session, member, improvement):
    batch = two_rows(member, improvement, "before", "after")
    doomed = batch.measurements[0]
    doomed_id = doomed.id
    service.delete_measurement(member, doomed)
    assert session.get(Measurement, doomed_id) is None
    assert batch.row_count == 1
    assert improvement.data_version == 2
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "measurements", AuditEvent.entity_id == doomed_id
        )
    ).one()
    assert event.action == "measurement.deleted" and event.before["value"] == 1.0


def test_rows_of_withdrawn_or_pending_batches_cannot_be_edited(session, member, improvement):
    pending = upload(member, improvement)
    row = session.scalars(select(Measurement).where(Measurement.batch_id == pending.id)).first()
    with pytest.raises(WorkflowError, match="only active measurements can be changed"):
        service.delete_measurement(member, row)
    with pytest.raises(PermissionDenied):
        service.edit_measurement(person(session, "treasury"), row, {"phase": "after", "value": 1})
