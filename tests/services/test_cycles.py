"""PDSA cycles: numbering, one open at a time, batches attached to the open cycle, each
cycle's estimate from the one engine, the adopted change, and review integrity (decision 0048)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gains.models import ActDecision, AuditEvent, BatchSource, Decision, Status
from gains.services.estimates.charts import chart_marks, cycle_weeks, improvement_chart_svg
from gains.services.estimates.current import current_estimate
from gains.services.estimates.cycles import (
    NO_CYCLE_ROWS,
    adopted_cycle,
    cycles_of,
    stored_cycle_estimate,
)
from gains.services.improvements import workflow
from gains.services.improvements.cycles import CycleError, record_outcome, start_cycle
from gains.services.measurements.bulk_import import import_measurements
from gains.services.measurements.recording import confirm_batch, record_batch, upload_csv
from gains.services.review.decisions import DataChanged, decide
from tests.support.factories import person, plan, rows, start_with_data, submitted_by


def _running(session, title="Cycled renewal letter"):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title=title))
    start_with_data(member, improvement, [30, 34, 41], [])
    return member, improvement


def _start(member, improvement, day, plan_text="Try a one-page letter"):
    return start_cycle(
        member, improvement, plan=plan_text, prediction="Fewer minutes", started_on=day
    )


def _after(member, improvement, values):
    return record_batch(member, improvement, rows("after", values), source=BatchSource.FORM)


def test_each_cycle_is_estimated_on_the_baseline_and_its_own_after_rows(session):
    member, improvement = _running(session)
    first = _start(member, improvement, date(2026, 5, 1))
    batch = _after(member, improvement, [28, 30, 32])
    assert batch.cycle_id == first.id
    record_outcome(
        member, first, ended_on=date(2026, 5, 31), notes="Slower", act_decision=ActDecision.ADAPT
    )
    outside = _after(member, improvement, [29])  # between cycles: no cycle's own
    assert outside.cycle_id is None
    second = _start(member, improvement, date(2026, 6, 1), "Shorter still")
    _after(member, improvement, [20, 22, 24])
    session.flush()

    # Welch's effect is the difference of means (after - before): baseline mean 35.
    one, two = (stored_cycle_estimate(improvement, c).document for c in (first, second))
    assert one["effect"] == pytest.approx(30 - 35)
    assert one["n_after"] == 3 and one["n_before"] == 3
    assert two["effect"] == pytest.approx(22 - 35)
    # The improvement's one estimate still reads every after row, in a cycle or not.
    overall = current_estimate(improvement)
    assert overall.effect == pytest.approx((28 + 30 + 32 + 29 + 20 + 22 + 24) / 7 - 35)


def test_a_cycle_without_after_rows_says_so(session):
    member, improvement = _running(session, "Empty cycle")
    cycle = _start(member, improvement, date(2026, 5, 1))
    assert stored_cycle_estimate(improvement, cycle).reason == NO_CYCLE_ROWS


def test_one_open_cycle_at_a_time_and_cycles_follow_one_another(session):
    member, improvement = _running(session, "Ordered cycles")
    first = _start(member, improvement, date(2026, 5, 1))
    with pytest.raises(workflow.WorkflowError, match="Cycle 1 is still open"):
        _start(member, improvement, date(2026, 5, 2))
    with pytest.raises(CycleError, match="cannot end before") as refused:
        record_outcome(member, first, ended_on=date(2026, 4, 1), notes=None, act_decision=None)
    assert refused.value.field == "ended_on"
    record_outcome(member, first, ended_on=date(2026, 5, 20), notes=None, act_decision=None)
    with pytest.raises(CycleError, match="on or after 20 May 2026"):
        _start(member, improvement, date(2026, 5, 19))
    second = _start(member, improvement, date(2026, 5, 20))
    assert [c.number for c in cycles_of(improvement.id)] == [1, 2]
    with pytest.raises(CycleError, match="by the day cycle 2 started"):
        record_outcome(member, first, ended_on=date(2026, 5, 21), notes=None, act_decision=None)
    assert second.is_open


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"plan": "  "}, "plan", "Enter what you will try"),
        ({"prediction": "x" * 2001}, "prediction", "What you predict must be 2,000 characters"),
        ({"plan": "a\x00b"}, "plan", "Remove the invisible control characters"),
        ({"started_on": None}, "started_on", "Enter the day the cycle starts"),
        ({"started_on": date(1980, 1, 1)}, "started_on", "Enter a date between"),
    ],
)
def test_cycle_input_outside_the_bounds_is_refused_and_writes_nothing(
    session, changes, field, message
):
    member, improvement = _running(session, "Bounded cycles")
    version = improvement.data_version
    values = {"plan": "Try it", "prediction": "Better", "started_on": date(2026, 5, 1)} | changes
    with pytest.raises(CycleError) as refused:
        start_cycle(member, improvement, **values)
    assert refused.value.field == field
    assert str(refused.value).startswith(message)
    assert cycles_of(improvement.id) == [] and improvement.data_version == version


def test_the_adopted_change_is_the_latest_adopted_cycle(session):
    member, improvement = _running(session, "Adopted cycles")
    decisions = [ActDecision.ADOPT, ActDecision.ADAPT, ActDecision.ADOPT, ActDecision.ABANDON]
    for number, decision in enumerate(decisions, start=1):
        cycle = _start(member, improvement, date(2026, 5, number * 5))
        record_outcome(
            member, cycle, ended_on=date(2026, 5, number * 5 + 4), notes=None, act_decision=decision
        )
    assert adopted_cycle(cycles_of(improvement.id)).number == 3


def test_cycle_changes_after_approval_reopen_review_and_move_the_data_version(session):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Cycles after approval")
    decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    session.commit()
    version = improvement.data_version

    cycle = _start(member, improvement, date(2026, 6, 1))
    assert improvement.status is Status.SUBMITTED
    assert improvement.data_version == version + 1
    decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    record_outcome(
        member, cycle, ended_on=date(2026, 6, 30), notes="Worked", act_decision=ActDecision.ADOPT
    )
    decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    # Amending the act decision is audited and reopens review again.
    record_outcome(
        member, cycle, ended_on=date(2026, 6, 30), notes="Worked", act_decision=ActDecision.ADAPT
    )
    assert improvement.status is Status.SUBMITTED
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == cycle.id).order_by(AuditEvent.id)
    ).all()
    assert [a for a in actions if a.startswith("cycle.")] == [
        "cycle.started",
        "cycle.ended",
        "cycle.updated",
    ]
    # The same outcome again changes nothing and writes nothing.
    version = improvement.data_version
    record_outcome(
        member, cycle, ended_on=date(2026, 6, 30), notes="Worked", act_decision=ActDecision.ADAPT
    )
    assert improvement.data_version == version


def test_only_people_who_may_change_the_improvement_run_cycles(session):
    member, improvement = _running(session, "Whose cycles")
    with pytest.raises(workflow.PermissionDenied):
        _start(person(session, "treasury"), improvement, date(2026, 5, 1))
    draft = workflow.create_improvement(member, member.team, plan(title="Draft cycles"))
    with pytest.raises(workflow.WorkflowError, match="draft"):
        _start(member, draft, date(2026, 5, 1))


def _weekly_rows(phase, first_day, weeks, value):
    return [
        {
            "phase": phase,
            "value": value + (week % 3),
            "observed_on": first_day + timedelta(weeks=week),
        }
        for week in range(weeks)
    ]


def test_the_weekly_charts_mark_the_cycles_and_say_so(session):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="Charted cycles"))
    workflow.start(member, improvement)
    before = _weekly_rows("before", date(2026, 1, 5), 12, 30.0)
    record_batch(member, improvement, before, source=BatchSource.FORM)
    first = _start(member, improvement, date(2026, 5, 4))
    record_batch(
        member,
        improvement,
        _weekly_rows("after", date(2026, 5, 4), 4, 26.0),
        source=BatchSource.FORM,
    )
    record_outcome(
        member, first, ended_on=date(2026, 5, 31), notes=None, act_decision=ActDecision.ADAPT
    )
    _start(member, improvement, date(2026, 6, 1), "Shorter still")
    record_batch(
        member,
        improvement,
        _weekly_rows("after", date(2026, 6, 1), 4, 22.0),
        source=BatchSource.FORM,
    )
    session.flush()
    for kind in ("run", "xmr"):
        svg = improvement_chart_svg(improvement, kind)
        assert "Cycle 2 starts on 1 June 2026." in svg and "Cycle 1 starts on 4 May 2026." in svg
        assert "PDSA cycle starts" in svg  # the legend: the line's style, not colour alone
    weeks = cycle_weeks(chart_marks(improvement.id))
    assert weeks == {date(2026, 5, 4): [1], date(2026, 6, 1): [2]}


def test_a_single_cycle_is_not_marked_on_the_charts(session):
    member, improvement = _running(session, "One cycle, unmarked")
    _start(member, improvement, date(2026, 5, 4))
    assert chart_marks(improvement.id).cycles == []


def test_a_decision_on_figures_read_before_a_cycle_started_is_refused_and_says_why(session):
    member = person(session, "member")
    improvement = submitted_by(session, member, "Reviewed while cycling")
    seen = improvement.data_version
    _start(member, improvement, date(2026, 6, 1))
    with pytest.raises(DataChanged, match="1 PDSA cycle change"):
        decide(
            person(session, "manager"), improvement, Decision.APPROVED, "", seen_data_version=seen
        )


def test_rows_arriving_by_csv_or_command_line_import_join_the_open_cycle(session):
    member, improvement = _running(session, "Imported into a cycle")
    cycle = _start(member, improvement, date(2026, 5, 1))
    csv_text = b"phase,value\nafter,27\nafter,29\n"
    pending = upload_csv(member, improvement, io.BytesIO(csv_text), filename="more.csv")
    confirm_batch(member, pending)
    imported = import_measurements(
        improvement, io.BytesIO(csv_text), filename="bulk.csv", actor=member
    )
    assert pending.cycle_id == cycle.id and imported.batch.cycle_id == cycle.id
    assert stored_cycle_estimate(improvement, cycle).document["n_after"] == 4


def test_recompute_all_redoes_every_cycles_estimate(session, app):
    """After a change to the statistics, `gains estimates recompute-all` rebuilds the cycles'
    estimates as it rebuilds the improvements' own."""
    from gains.commands.estimates import recompute_all_command

    member, improvement = _running(session)
    cycle = _start(member, improvement, date(2026, 5, 1))
    _after(member, improvement, [28, 30, 32])
    session.flush()
    right = stored_cycle_estimate(improvement, cycle).document["effect"]
    cycle.estimate_result = dict(cycle.estimate_result, effect=999.0)  # as an old method left it
    session.commit()
    result = app.test_cli_runner().invoke(recompute_all_command, ["--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["with_cycles"] >= 1
    session.expire_all()
    assert stored_cycle_estimate(improvement, cycle).document["effect"] == pytest.approx(right)
