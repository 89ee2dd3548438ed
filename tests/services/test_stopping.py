"""When the live estimate gives way to the final one, and recording why a team stopped early."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gains.models import Direction, Status
from gains.services.improvements import workflow
from gains.services.improvements.stopping import (
    NO_INTERVAL_FOR_TIME_SERIES,
    TOO_FEW_FOR_AN_INTERVAL,
    live_estimate,
    record_stop_reason,
)
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from tests.support.factories import person, plan, start_with_data


def improvement(planned=60, status=Status.RUNNING, direction=Direction.HIGHER, stopped=None):
    return SimpleNamespace(
        status=status,
        planned_sample_size=planned,
        direction=direction,
        stopped_early_reason=stopped,
    )


WELCH = {"method": "welch", "n_before": 60, "n_after": 38, "cs_low": -1.5, "cs_high": 4.0}


@pytest.mark.parametrize(
    ("result", "so_far", "counted"),
    [
        (WELCH, 38, "measurements in each phase"),
        (
            {"method": "treatment_vs_control", "n_treatment_after": 41, "n_control_after": 39},
            39,
            "measurements in each group",
        ),
        ({"method": "paired", "n_units": 25, "n_before": 75}, 25, "units measured in both phases"),
        (
            {
                "method": "did",
                "n_treatment_before": 60,
                "n_treatment_after": 30,
                "n_control_before": 58,
                "n_control_after": 33,
            },
            30,
            "measurements in each phase and group",
        ),
    ],
)
def test_progress_is_the_smallest_compared_sample(result, so_far, counted):
    live = live_estimate(improvement(), result)
    assert (live.progress.so_far, live.progress.planned, live.progress.counted) == (
        so_far,
        60,
        counted,
    )


def test_the_interval_is_turned_as_the_gain_is():
    assert (
        live_estimate(improvement(), WELCH).gain_low,
        live_estimate(improvement(), WELCH).gain_high,
    ) == (-1.5, 4.0)
    lower = live_estimate(improvement(direction=Direction.LOWER), WELCH)
    assert (lower.gain_low, lower.gain_high) == (-4.0, 1.5)


def test_final_at_the_planned_size_once_stopped_or_not_running():
    assert live_estimate(improvement(planned=38), WELCH) is None
    assert live_estimate(improvement(planned=39), WELCH) is not None
    assert live_estimate(improvement(stopped="Data source ended"), WELCH) is None
    assert live_estimate(improvement(status=Status.SUBMITTED), WELCH) is None
    no_plan = live_estimate(improvement(planned=None), WELCH)
    assert no_plan.progress.planned is None and not no_plan.progress.reached


def test_says_why_there_is_no_interval():
    too_few = live_estimate(improvement(), {**WELCH, "cs_low": None, "cs_high": None})
    assert too_few.why_no_interval == TOO_FEW_FOR_AN_INTERVAL and too_few.gain_low is None
    its = live_estimate(improvement(), {"method": "its", "n_before": 12, "n_after": 9})
    assert its.why_no_interval == NO_INTERVAL_FOR_TIME_SERIES and its.progress is None


@pytest.fixture
def running(session):
    member = person(session, "member")
    made = workflow.create_improvement(member, member.team, plan(planned_sample_size=60))
    session.flush()
    return start_with_data(member, made, [12, 11, 13], [9, 8, 10])


def test_recorded_once_while_running(session, running):
    member = person(session, "member")
    recorded = record_stop_reason(member, running, "  The data source ended.  ")
    assert recorded.stopped_early_reason == "The data source ended."
    assert recorded.stopped_early_at is not None
    with pytest.raises(WorkflowError, match="recorded already"):
        record_stop_reason(member, running, "Another reason")


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (" ", "Say why you stopped early"),
        ("x" * 2001, "Reason for stopping must be 2,000 characters or fewer"),
    ],
)
def test_a_reason_is_required_within_its_bound(session, running, reason, message):
    with pytest.raises(WorkflowError, match=message):
        record_stop_reason(person(session, "member"), running, reason)
    assert running.stopped_early_reason is None


def test_only_a_running_improvement_of_ones_own_team(session, running):
    member = person(session, "member")
    draft = workflow.create_improvement(member, member.team, plan(title="Still a draft"))
    session.flush()
    with pytest.raises(WorkflowError, match="not running"):
        record_stop_reason(member, draft, "Too early")
    with pytest.raises(PermissionDenied):
        record_stop_reason(person(session, "treasury"), running, "Not mine")
