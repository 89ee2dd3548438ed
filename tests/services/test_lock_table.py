"""The lock table through the services, generated from it: every plan field × every status,
by edit (`update_plan`) and by amendment (`amend`). The web and API paths run the same cases
in tests/web/test_lock_table_paths.py."""

from __future__ import annotations

import pytest

from gains.models import Amendment, Status
from gains.services.audit.events import jsonable
from gains.services.improvements import plan_changes
from gains.services.improvements.locking import LOCK_TABLE, LocksFrom, locked_in
from gains.services.improvements.plan_changes import LockedFieldError
from gains.services.improvements.workflow import PLAN_FIELDS, ImprovementWithdrawn, WorkflowError
from gains.services.public.publication import is_public
from tests.support.lock_table import (
    CASES,
    actions,
    counts,
    improvement_in,
    is_locked,
    member,
    new_value,
)


def test_the_table_has_one_row_for_every_plan_field_and_nothing_else():
    assert set(LOCK_TABLE) == set(PLAN_FIELDS)


def test_the_table_follows_design():
    """docs/DESIGN.md "Locking" and issue 17: the design locks from running, the money
    (scale, unit and go-live included) from submission at the latest, and after approval
    every field does."""
    design = {"hypothesis", "metric_name", "direction", "unit_of_observation", "design"}
    money = {"annual_volume", "value_per_unit_gbp", "implementation_cost_pence", "cashable"}
    money |= {"scale", "metric_unit", "go_live_on"}
    # Issue 20: the ranges and the appraisal terms price the claim too.
    money |= {"annual_volume_low", "annual_volume_high", "value_per_unit_low_gbp"}
    money |= {"value_per_unit_high_gbp", "expected_life_years", "persistence"}
    money |= {"health_outcomes", "optimism_bias_benefits", "optimism_bias_costs"}
    assert locked_in(Status.DRAFT) == frozenset()
    assert design | {"expected_effect"} <= locked_in(Status.RUNNING)
    assert design | money <= locked_in(Status.SUBMITTED)
    assert locked_in(Status.CHANGES_REQUESTED) == locked_in(Status.SUBMITTED)
    assert locked_in(Status.APPROVED) == set(PLAN_FIELDS)
    assert {lock.locks_from for lock in LOCK_TABLE.values()} == set(LocksFrom)


def refused_as_withdrawn(session, improvement, field, before, written_before, change) -> None:
    """Withdrawal is final (issue 21): every field refuses an edit and an amendment alike,
    and nothing is written."""
    with pytest.raises(ImprovementWithdrawn, match="withdrawn"):
        change()
    session.rollback()
    assert getattr(improvement, field) == before
    assert counts(session, improvement.id) == written_before


@pytest.mark.parametrize(("field", "status"), CASES)
def test_edit(session, field, status):
    improvement = improvement_in(session, status)
    value, before = new_value(improvement, field), getattr(improvement, field)
    events, amendments = counts(session, improvement.id)
    if status is Status.WITHDRAWN:
        refused_as_withdrawn(
            session,
            improvement,
            field,
            before,
            (events, amendments),
            lambda: plan_changes.update_plan(member(session), improvement, {field: value}),
        )
    elif is_locked(field, status):
        with pytest.raises(LockedFieldError, match="locked"):
            plan_changes.update_plan(member(session), improvement, {field: value})
        session.rollback()
        assert getattr(improvement, field) == before
        assert counts(session, improvement.id) == (events, amendments)
    else:
        changed = plan_changes.update_plan(member(session), improvement, {field: value})
        session.commit()
        assert changed == {field: value} and getattr(improvement, field) == value
        assert actions(session, improvement.id)[-1] == "improvement.updated"
        assert counts(session, improvement.id) == (events + 1, amendments)


@pytest.mark.parametrize(("field", "status"), CASES)
def test_amend(session, field, status):
    improvement = improvement_in(session, status)
    value, before = new_value(improvement, field), getattr(improvement, field)
    version = improvement.data_version
    events, amendments = counts(session, improvement.id)
    if status is Status.WITHDRAWN:
        refused_as_withdrawn(
            session,
            improvement,
            field,
            before,
            (events, amendments),
            lambda: plan_changes.amend(member(session), improvement, field, value, "Agreed"),
        )
        return
    if not is_locked(field, status):
        with pytest.raises(WorkflowError, match="not locked"):
            plan_changes.amend(member(session), improvement, field, value, "Agreed")
        session.rollback()
        assert getattr(improvement, field) == before
        assert counts(session, improvement.id) == (events, amendments)
        return
    amendment = plan_changes.amend(member(session), improvement, field, value, "Agreed")
    session.commit()
    assert isinstance(amendment, Amendment)
    assert (amendment.field_name, amendment.reason) == (field, "Agreed")
    assert (amendment.old_value, amendment.new_value) == (jsonable(before), jsonable(value))
    assert getattr(improvement, field) == value
    assert improvement.data_version == version + 1
    assert "improvement.amended" in actions(session, improvement.id)
    assert counts(session, improvement.id)[1] == amendments + 1
    if status is Status.APPROVED:
        assert improvement.status is Status.SUBMITTED
        assert actions(session, improvement.id)[-1] == "improvement.reopened"
        assert not is_public(improvement)
    else:
        assert improvement.status is status
