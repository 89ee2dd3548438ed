"""The audit trail: each kind of change leaves exactly one event with the right before and
after values, in the same transaction; a refused change leaves none.

Each case below sets up what it needs, then does one change. The expected event is written
by hand. Account and administration events are tested beside the admin services, publication
events beside the public register.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from sqlalchemy import func, select

from gains.models import ActDecision, AuditEvent, BatchSource, Decision, Improvement
from gains.services.improvements import chart_notes, cycles, workflow
from gains.services.improvements.plan_changes import amend, update_plan
from gains.services.improvements.stopping import record_stop_reason
from gains.services.measurements import recording as data
from gains.services.review.decisions import decide
from tests.support.factories import person, plan, rows, start_with_data


@dataclass(frozen=True)
class Change:
    """One kind of change: `prepare` returns the context, `act` does the change."""

    action: str
    entity_type: str
    prepare: Callable[[Any], dict]
    act: Callable[[dict], Any]
    before: dict | None
    after: dict | None


def draft(session) -> dict:
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan())
    session.flush()
    return {"member": member, "improvement": improvement}


def running(session) -> dict:
    context = draft(session)
    start_with_data(context["member"], context["improvement"], [12, 11, 13], [9, 8, 10])
    context["batch"] = context["improvement"].batches[0]
    context["measurement"] = context["batch"].measurements[0]
    return context


def submitted(session) -> dict:
    context = running(session)
    workflow.submit(context["member"], context["improvement"])
    context["manager"] = person(session, "manager")
    return context


def pending_upload(session) -> dict:
    context = running(session)
    context["pending"] = data.upload_csv(
        context["member"],
        context["improvement"],
        BytesIO(b"phase,value\nafter,7\nafter,8\n"),
        filename="more.csv",
    )
    return context


def status(before: str, after: str) -> tuple[dict, dict]:
    return {"status": before}, {"status": after}


def noted(session) -> dict:
    context = running(session)
    context["note"] = chart_notes.add_note(
        context["member"], context["improvement"], date(2026, 3, 1), "New script"
    )
    return context


def cycling(session) -> dict:
    context = running(session)
    context["cycle"] = cycles.start_cycle(
        context["member"],
        context["improvement"],
        plan="One-page letter",
        prediction="Two minutes quicker",
        started_on=date(2026, 5, 1),
    )
    return context


CHANGES = [
    Change(
        "cycle.started",
        "cycles",
        running,
        lambda c: cycles.start_cycle(
            c["member"],
            c["improvement"],
            plan=" One-page letter ",
            prediction="Two minutes quicker",
            started_on=date(2026, 5, 1),
        ),
        None,
        {
            "number": 1,
            "plan": "One-page letter",
            "prediction": "Two minutes quicker",
            "started_on": "2026-05-01",
        },
    ),
    Change(
        "cycle.ended",
        "cycles",
        cycling,
        lambda c: cycles.record_outcome(
            c["member"],
            c["cycle"],
            ended_on=date(2026, 5, 31),
            notes="Quicker",
            act_decision=ActDecision.ADOPT,
        ),
        {"ended_on": None, "notes": None, "act_decision": None},
        {"ended_on": "2026-05-31", "notes": "Quicker", "act_decision": "adopt"},
    ),
    Change(
        "chart_note.added",
        "chart_notes",
        running,
        lambda c: chart_notes.add_note(
            c["member"], c["improvement"], date(2026, 3, 1), "  New script from 1 March "
        ),
        None,
        {"on_date": "2026-03-01", "text": "New script from 1 March"},
    ),
    Change(
        "chart_note.deleted",
        "chart_notes",
        noted,
        lambda c: chart_notes.delete_note(c["member"], c["note"]),
        {"on_date": "2026-03-01", "text": "New script"},
        None,
    ),
    Change(
        "improvement.created",
        "improvements",
        lambda s: {"member": person(s, "member")},
        lambda c: workflow.create_improvement(c["member"], c["member"].team, plan(title="New")),
        None,
        None,  # the whole plan; checked separately below
    ),
    Change(
        "improvement.updated",
        "improvements",
        draft,
        lambda c: update_plan(
            c["member"], c["improvement"], {"title": "Clearer renewal letter", "annual_volume": 12}
        ),
        {"title": "Shorter renewal letter", "annual_volume": 10_000},
        {"title": "Clearer renewal letter", "annual_volume": 12},
    ),
    Change(
        "improvement.start",
        "improvements",
        draft,
        lambda c: workflow.start(c["member"], c["improvement"]),
        *status("draft", "running"),
    ),
    Change(
        "improvement.amended",
        "improvements",
        running,
        lambda c: amend(
            c["member"], c["improvement"], "hypothesis", "A shorter letter is read.", "Typo"
        ),
        {"hypothesis": "A one-page letter gets more renewals back on time."},
        {"hypothesis": "A shorter letter is read."},
    ),
    Change(
        "batch.recorded",
        "upload_batches",
        running,
        lambda c: data.record_form_row(
            c["member"], c["improvement"], {"phase": "after", "value": 9}
        ),
        None,
        {"source": "form", "rows": 1, "pending": False, "filename": None},
    ),
    Change(
        "batch.confirmed",
        "upload_batches",
        pending_upload,
        lambda c: data.confirm_batch(c["member"], c["pending"]),
        {"status": "pending"},
        {"status": "active", "rows": 2},
    ),
    Change(
        "batch.cancelled",
        "upload_batches",
        pending_upload,
        lambda c: data.cancel_batch(c["member"], c["pending"]),
        {"rows": 2, "filename": "more.csv", "checksum_sha256": "*"},
        None,
    ),
    Change(
        "batch.withdrawn",
        "upload_batches",
        running,
        lambda c: data.withdraw_batch(c["member"], c["batch"], "Wrong office's data"),
        {"status": "active"},
        {"status": "withdrawn"},
    ),
    Change(
        "measurement.edited",
        "measurements",
        running,
        lambda c: data.edit_measurement(
            c["member"], c["measurement"], {"phase": "before", "value": "12.5"}
        ),
        {"phase": "before", "value": 12.0},
        {"phase": "before", "value": 12.5, "batch_id": "*"},
    ),
    Change(
        "measurement.deleted",
        "measurements",
        running,
        lambda c: data.delete_measurement(c["member"], c["measurement"]),
        "*",
        None,
    ),
    Change(
        "improvement.submit",
        "improvements",
        running,
        lambda c: workflow.submit(c["member"], c["improvement"]),
        *status("running", "submitted"),
    ),
    Change(
        "improvement.withdraw",
        "improvements",
        running,
        lambda c: workflow.withdraw(c["member"], c["improvement"], "Superseded"),
        *status("running", "withdrawn"),
    ),
    Change(
        "improvement.stopped_early",
        "improvements",
        running,
        lambda c: record_stop_reason(c["member"], c["improvement"], "The data source ended"),
        {"stopped_early_reason": None},
        {"stopped_early_reason": "The data source ended"},
    ),
    Change(
        "review.approved",
        "improvements",
        submitted,
        lambda c: decide(c["manager"], c["improvement"], Decision.APPROVED, ""),
        *status("submitted", "approved"),
    ),
    Change(
        "review.changes_requested",
        "improvements",
        submitted,
        lambda c: decide(c["manager"], c["improvement"], Decision.CHANGES_REQUESTED, "More data"),
        *status("submitted", "changes_requested"),
    ),
    Change(
        "review.rejected",
        "improvements",
        submitted,
        lambda c: decide(c["manager"], c["improvement"], Decision.REJECTED, "No effect"),
        *status("submitted", "rejected"),
    ),
    Change(
        "improvement.deleted",
        "improvements",
        draft,
        lambda c: workflow.delete_draft(c["member"], c["improvement"]),
        "*",
        None,
    ),
]


def new_events(session, since_id: int) -> list[AuditEvent]:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.id > since_id).order_by(AuditEvent.id)
    ).all()


def last_event_id(session) -> int:
    return session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def matches(expected: Any, actual: Any) -> bool:
    """`"*"` means "present, any value"; a dict must match key by key."""
    if expected == "*":
        return actual is not None
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() <= actual.keys() and all(
            matches(value, actual[key]) for key, value in expected.items()
        )
    return expected == actual


@pytest.mark.parametrize("change", CHANGES, ids=[c.action for c in CHANGES])
def test_each_change_leaves_exactly_one_event(session, change):
    context = change.prepare(session)
    session.commit()
    since = last_event_id(session)
    actor = context.get("manager") if change.action.startswith("review.") else None
    actor = actor or context["member"]

    result = change.act(context)
    session.commit()

    events = new_events(session, since)
    assert [(e.action, e.entity_type) for e in events] == [(change.action, change.entity_type)]
    event = events[0]
    assert event.actor_id == actor.id
    assert event.department_id == actor.department_id
    assert event.occurred_at is not None
    if change.before is None:
        assert event.before is None
    else:
        assert matches(change.before, event.before), event.before
    if change.after is not None:
        assert matches(change.after, event.after), event.after
    if change.entity_type == "chart_notes":
        assert event.improvement_id == context["improvement"].id
    if isinstance(result, Improvement) and change.action == "improvement.created":
        assert event.entity_id == result.id
        assert event.after["title"] == "New"
        assert event.after["value_per_unit_gbp"] == str(Decimal("0.45"))


FAILURES = [
    (
        "a note dated in year 1",
        running,
        lambda c: chart_notes.add_note(c["member"], c["improvement"], date(1, 1, 1), "Old"),
    ),
    (
        "treasury adds a note",
        running,
        lambda c: chart_notes.add_note(
            person_of(c, "treasury"), c["improvement"], date(2026, 3, 1), "Mine"
        ),
    ),
    ("start twice", running, lambda c: workflow.start(c["member"], c["improvement"])),
    ("submit without data", draft, lambda c: workflow.submit(c["member"], c["improvement"])),
    (
        "amend without a reason",
        running,
        lambda c: amend(c["member"], c["improvement"], "hypothesis", "Other", " "),
    ),
    (
        "edit a locked field",
        running,
        lambda c: update_plan(c["member"], c["improvement"], {"hypothesis": "Other"}),
    ),
    (
        "a batch with one bad row",
        running,
        lambda c: data.record_batch(
            c["member"],
            c["improvement"],
            rows("after", [9, "nine"]),
            source=BatchSource.FORM,
        ),
    ),
    (
        "treasury changes a plan",
        draft,
        lambda c: update_plan(person_of(c, "treasury"), c["improvement"], {"title": "Mine"}),
    ),
    (
        "a member reviews",
        submitted,
        lambda c: decide(c["member"], c["improvement"], Decision.APPROVED, ""),
    ),
    (
        "reject without a comment",
        submitted,
        lambda c: decide(c["manager"], c["improvement"], Decision.REJECTED, ""),
    ),
    (
        "delete a running improvement",
        running,
        lambda c: workflow.delete_draft(c["member"], c["improvement"]),
    ),
    (
        "withdraw a batch twice",
        running,
        lambda c: [data.withdraw_batch(c["member"], c["batch"], "x") for _ in range(2)],
    ),
]


def person_of(context: dict, role: str):
    return person(context["session"], role)


@pytest.mark.parametrize(("name", "prepare", "act"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_refused_change_leaves_no_event(session, name, prepare, act):
    context = prepare(session)
    context["session"] = session
    session.commit()
    since = last_event_id(session)
    with pytest.raises((workflow.WorkflowError, workflow.PermissionDenied, data.RowsRejected)):
        act(context)
    session.rollback()  # what every view does with a refused change
    assert new_events(session, since) == []
