"""Estimates are stored by the write that changed the data (or by recompute-all), never by a
read: docs/decisions/0007-get-never-writes.md."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from gains.models import BatchSource, Decision, Estimate, MissingEstimate, Status
from gains.services.estimates.current import (
    NO_MEASUREMENTS,
    NOT_COMPUTED,
    NoEstimate,
    current_estimate,
    current_estimates,
)
from gains.services.estimates.recompute import recompute_all
from gains.services.improvements import workflow
from gains.services.improvements.workflow import WorkflowError
from gains.services.measurements.recording import record_batch, withdraw_batch
from gains.services.review.decisions import decide
from tests.support.factories import person, plan, rows, start_with_data


@pytest.fixture
def member(session):
    return person(session, "member")


def _new(session, member, title):
    improvement = workflow.create_improvement(member, member.team, plan(title=title))
    session.flush()
    return improvement


def _forget_estimate(session, improvement):
    """As after a refresh that failed, or a statistics change not yet recomputed."""
    session.execute(delete(Estimate).where(Estimate.improvement_id == improvement.id))
    session.expire_all()


def test_reading_an_estimate_that_was_not_stored_computes_nothing(session, member):
    improvement = start_with_data(member, _new(session, member, "Read only"), [5, 6, 7], [3, 4])
    _forget_estimate(session, improvement)

    found = current_estimate(improvement)

    assert found == NoEstimate(NOT_COMPUTED)
    assert not session.new
    assert (
        session.scalars(select(Estimate).where(Estimate.improvement_id == improvement.id)).all()
        == []
    )


def test_the_write_stores_the_estimate_or_why_there_is_none(session, member):
    improvement = _new(session, member, "Too few")
    workflow.start(member, improvement)
    assert current_estimate(improvement) == NoEstimate(NO_MEASUREMENTS)

    record_batch(member, improvement, rows("before", [5]), source=BatchSource.FORM)
    kept = session.scalars(
        select(MissingEstimate).where(MissingEstimate.improvement_id == improvement.id)
    ).one()
    assert kept.data_version == improvement.data_version
    assert kept.reason.startswith("Not enough data for an estimate yet")
    assert current_estimate(improvement).reason == kept.reason

    batch = record_batch(
        member, improvement, rows("before", [6, 7]) + rows("after", [3, 4]), source=BatchSource.FORM
    )
    assert isinstance(current_estimate(improvement), Estimate)
    # The reason of the older version is gone: one row at most per improvement.
    assert (
        session.scalars(
            select(MissingEstimate).where(MissingEstimate.improvement_id == improvement.id)
        ).all()
        == []
    )

    withdraw_batch(member, batch, "Wrong file")
    withdraw_batch(member, improvement.batches[0], "Wrong file")
    assert current_estimate(improvement) == NoEstimate(NO_MEASUREMENTS)


def test_recompute_all_stores_estimates_and_reasons(session, member):
    with_data = start_with_data(member, _new(session, member, "Recomputed"), [5, 6, 7], [3, 4])
    too_few = _new(session, member, "Recomputed, too few")
    workflow.start(member, too_few)
    record_batch(member, too_few, rows("after", [5]), source=BatchSource.FORM)
    _forget_estimate(session, with_data)
    session.execute(delete(MissingEstimate).where(MissingEstimate.improvement_id == too_few.id))
    assert current_estimates([with_data, too_few]) == {
        with_data.id: NoEstimate(NOT_COMPUTED),
        too_few.id: NoEstimate(NOT_COMPUTED),
    }

    recompute_all([with_data.id, too_few.id])

    found = current_estimates([with_data, too_few])
    assert isinstance(found[with_data.id], Estimate)
    assert found[too_few.id].reason.startswith("Not enough data for an estimate yet")


def test_an_approval_needs_the_estimate_the_reviewer_saw(session, member):
    """A decision may not compute the estimate the review page could not show."""
    improvement = start_with_data(
        member, _new(session, member, "Unseen"), [5, 6, 7], [3, 4], submit=True
    )
    _forget_estimate(session, improvement)

    with pytest.raises(WorkflowError, match="has not been computed yet"):
        decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    assert improvement.status is Status.SUBMITTED
    assert not session.new


def test_a_refresh_that_fails_keeps_the_rows_and_says_not_computed(session, member, monkeypatch):
    improvement = _new(session, member, "Refresh fails")
    workflow.start(member, improvement)

    def fails(*args, **kwargs):
        raise RuntimeError("the statistics failed")

    monkeypatch.setattr("gains.services.estimates.current.estimate_document", fails)
    record_batch(
        member, improvement, rows("before", [5, 6]) + rows("after", [3, 4]), source=BatchSource.FORM
    )

    assert improvement.data_version == 1
    assert current_estimate(improvement) == NoEstimate(NOT_COMPUTED)
