"""The database itself refuses a measurement whose batch or improvement is wrong, on both
backends: the one (batch_id, improvement_id) foreign key (migration 0006) protects what the
two single-column keys did, and also that a row's improvement is its batch's."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from gains.models import BatchSource, Measurement, UploadBatch
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from tests.support.factories import person, plan

ROW = {"phase": "before", "study_group": "treatment", "value": 1.0}


@pytest.fixture
def two_batches(session):
    """Two improvements, each with one active batch."""
    member = person(session, "member")
    batches = []
    for title in ("First", "Second"):
        improvement = workflow.create_improvement(member, member.team, plan(title=title))
        workflow.start(member, improvement)
        batches.append(
            record_batch(
                member, improvement, [{"phase": "before", "value": "1"}], source=BatchSource.FORM
            )
        )
    session.flush()
    return batches


def refused(session, **columns) -> bool:
    """Whether inserting a row with these ids is refused by the database."""
    try:
        with session.begin_nested():  # rolled back to here when refused
            session.execute(insert(Measurement.__table__).values(**ROW, **columns))
    except IntegrityError:
        return True
    return False


def test_a_row_must_name_its_own_batchs_improvement(session, two_batches):
    first, second = two_batches
    assert not refused(session, batch_id=first.id, improvement_id=first.improvement_id)
    # The batch exists and so does the improvement, but the row would sit in the wrong place.
    assert refused(session, batch_id=first.id, improvement_id=second.improvement_id)
    assert refused(
        session, batch_id=first.id + second.id + 1000, improvement_id=first.improvement_id
    )
    assert refused(session, batch_id=first.id, improvement_id=first.improvement_id + 1000)


def test_a_batch_with_rows_cannot_be_deleted_or_moved(session, two_batches):
    first, second = two_batches
    table = UploadBatch.__table__
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(delete(table).where(table.c.id == first.id))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            table.update()
            .where(table.c.id == first.id)
            .values(improvement_id=second.improvement_id)
        )
    assert session.scalar(select(UploadBatch.improvement_id).where(UploadBatch.id == first.id)) == (
        first.improvement_id
    )
