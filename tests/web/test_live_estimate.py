"""The live estimate on an improvement's page while it runs (the always-valid interval and the
progress to the planned size), and the form that records why a team stopped early."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from gains import numbers
from gains.extensions import db as database
from gains.models import AuditEvent, BatchSource, Improvement
from gains.services.improvements import workflow
from gains.services.improvements.stopping import record_stop_reason
from gains.services.measurements.recording import record_batch
from tests.conftest import DEMO_LOGINS, sign_in
from tests.support.factories import person, plan, rows, start_with_data

LIVE = 'id="live-estimate"'
RNG = np.random.default_rng(20261203)


def values(n: int, mean: float) -> list[float]:
    return [round(float(x), 2) for x in RNG.normal(mean, 5.0, n)]


@pytest.fixture
def running(app, db):
    """A running before/after improvement of the demo member's team: 60 rows planned a phase,
    60 before and 38 after so far (in the test's own transaction: `db`)."""
    with app.app_context():
        member = person(database.session, "member")
        improvement = workflow.create_improvement(
            member, member.team, plan(title="Live estimate case", planned_sample_size=60)
        )
        database.session.flush()
        start_with_data(member, improvement, values(60, 30.0), values(38, 28.0))
        database.session.commit()
        return improvement.id


def page(client, improvement_id: int) -> str:
    response = client.get(f"/improvements/{improvement_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_running_improvement_shows_the_always_valid_interval_and_its_progress(
    app, signed_in, running
):
    client = signed_in("member")
    html = page(client, running)
    assert LIVE in html
    assert "38 of 60 planned measurements in each phase." in html
    assert "Fixed-sample result: not final yet" in html
    with app.app_context():
        improvement = database.session.get(Improvement, running)
        result = improvement.estimates[-1].result
    # Lower is better: the gain's interval is the effect's turned round.
    low, high = sorted((-result["cs_low"], -result["cs_high"]))
    assert low < -result["ci_high"] and high > -result["ci_low"]  # wider than the CI
    live = html.split(LIVE)[1].split("</div>")[0]
    # Both ends at the one precision the interval's width sets (decision 0040).
    shown_low, shown_high = (end.lstrip("\u2212") for end in numbers.interval(low, high))
    assert f"{shown_low} " in live and f"{shown_high} " in live
    assert f'href="/improvements/{running}/stop"' in live
    # The htmx panel says the same.
    fragment = client.get(f"/improvements/{running}/estimate", headers={"HX-Request": "true"})
    assert "38 of 60 planned" in fragment.get_data(as_text=True)
    # Treasury reads it, and is not offered the form.
    treasury = app.test_client()
    sign_in(treasury, DEMO_LOGINS["treasury"])
    assert f'href="/improvements/{running}/stop"' not in page(treasury, running)


def test_the_fixed_sample_result_is_final_at_the_planned_size(app, signed_in, running):
    with app.app_context():
        improvement = database.session.get(Improvement, running)
        member = person(database.session, "member")
        record_batch(member, improvement, rows("after", values(22, 28.0)), source=BatchSource.FORM)
        database.session.commit()
    html = page(signed_in("member"), running)
    assert LIVE not in html and "not final yet" not in html


def test_recording_why_it_stopped_makes_the_result_final(app, signed_in, running):
    client = signed_in("member")
    form = client.get(f"/improvements/{running}/stop")
    assert form.status_code == 200 and 'name="reason"' in form.get_data(as_text=True)

    empty = client.post(f"/improvements/{running}/stop", data={"reason": "  "})
    assert empty.status_code == 422
    assert "Say why you stopped early" in empty.get_data(as_text=True)
    too_long = client.post(f"/improvements/{running}/stop", data={"reason": "x" * 2001})
    assert too_long.status_code == 422
    assert "Reason for stopping must be 2,000 characters or fewer" in too_long.get_data(
        as_text=True
    )
    assert LIVE in page(client, running)

    reason = "The contact centre moved to a new system in week 6."
    done = client.post(f"/improvements/{running}/stop", data={"reason": reason})
    assert done.status_code == 303
    assert done.headers["Location"] == f"/improvements/{running}"
    html = page(client, running)
    assert LIVE not in html and "Stopped before the planned sample size" in html
    assert reason in html

    with app.app_context():
        events = database.session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_id == running,
                AuditEvent.entity_type == "improvements",
                AuditEvent.action == "improvement.stopped_early",
            )
        ).all()
        assert [event.after for event in events] == [{"stopped_early_reason": reason}]
        assert events[0].actor_id == person(database.session, "member").id

    again = client.post(f"/improvements/{running}/stop", data={"reason": "Another reason"})
    assert again.status_code == 409
    assert "recorded already" in again.get_data(as_text=True)
    with app.app_context():
        assert database.session.get(Improvement, running).stopped_early_reason == reason


def test_the_reviewer_sees_why_it_stopped(app, running):
    reason = "Funding for the pilot ended."
    with app.app_context():
        improvement = database.session.get(Improvement, running)
        member = person(database.session, "member")
        record_stop_reason(member, improvement, reason)
        workflow.submit(member, improvement)
        database.session.commit()
    manager = app.test_client()
    sign_in(manager, DEMO_LOGINS["manager"])
    html = manager.get(f"/reviews/{running}").get_data(as_text=True)
    plan_section = html.split('id="review-plan"')[1].split("</section>")[0]
    assert "Stopped early" in plan_section and reason in plan_section
