"""What the lock-table tests share: the cases generated from the table, an improvement put in
each status, a new value for every plan field, and that value as each path takes it.

The cases are every field of the plan (`PLAN_FIELDS`, not the table's keys: a field added to
the plan without a row in the table fails its cases) × every status. The improvement is the
member's team's approved, published demo improvement, put straight into the status under
test: the table keys on the status alone, and an approved, public one shows an amendment
taking it off the register.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.improvements.forms import ImprovementForm
from gains.models import (
    Amendment,
    AuditEvent,
    Design,
    Direction,
    Improvement,
    ImprovementKind,
    Pillar,
    Status,
    User,
)
from gains.services.improvements.locking import LOCK_TABLE
from gains.services.improvements.workflow import PLAN_FIELDS
from gains.services.public.publication import is_public
from tests.support.factories import person

CASES = [
    pytest.param(field, status, id=f"{field}-{status.value}")
    for field in PLAN_FIELDS
    for status in Status
]


def is_locked(field: str, status: Status) -> bool:
    """What the table says (KeyError, so a failing case, for a field it lacks)."""
    return status in LOCK_TABLE[field].locks_from.statuses


def member(session) -> User:
    return person(session, "member")


def improvement_in(session, status: Status) -> Improvement:
    """The member's team's published improvement, in `status`, committed (to the test's
    savepoint) so that requests see it."""
    improvement = session.scalars(
        select(Improvement)
        .where(Improvement.team_id == member(session).team_id)
        .where(Improvement.status == Status.APPROVED)
        .order_by(Improvement.id)
    ).first()
    assert is_public(improvement)
    # At no cost, so that the kind and the cost can each change alone (no extra cost ⇒ £0).
    improvement.implementation_cost_pence = 0
    # With ranges wide enough that each end, and each central value, can move alone.
    improvement.annual_volume_low = improvement.annual_volume // 2
    improvement.annual_volume_high = improvement.annual_volume * 3
    improvement.value_per_unit_low_gbp = improvement.value_per_unit_gbp / 2
    improvement.value_per_unit_high_gbp = improvement.value_per_unit_gbp * 3
    improvement.status = status
    session.commit()
    return improvement


def _other(enum_type, current):
    return next(member for member in enum_type if member is not current)


def new_value(improvement: Improvement, field: str) -> Any:
    """A valid value for `field`, different from the improvement's."""
    current = getattr(improvement, field)
    go_live = improvement.go_live_on or date(2025, 4, 1)
    new = {
        "title": lambda: f"{current} (renamed)",
        "kind": lambda: _other(ImprovementKind, current),
        "pillar": lambda: _other(Pillar, current),
        "hypothesis": lambda: f"{current} Reworded.",
        "metric_name": lambda: f"{current} (renamed)",
        "metric_unit": lambda: "hours" if current != "hours" else "min",
        "direction": lambda: _other(Direction, current),
        "unit_of_observation": lambda: f"{current} group",
        "design": lambda: _other(Design, current),
        "scale": lambda: current * 10,
        "planned_sample_size": lambda: (current or 100) + 1,
        "expected_effect": lambda: (current or 0.0) + 1.5,
        "planned_sd": lambda: (current or 10.0) + 2.5,
        "randomised": lambda: not current,
        "seasonal": lambda: not current,
        "implementation_cost_pence": lambda: 150_000,
        "annual_volume": lambda: (current or 1_000) + 1_000,
        "value_per_unit_gbp": lambda: (current or Decimal(0)) + Decimal("0.05"),
        "cashable": lambda: not current,
        "annual_volume_low": lambda: current + 1,
        "annual_volume_high": lambda: current + 1,
        "value_per_unit_low_gbp": lambda: current + Decimal("0.01"),
        "value_per_unit_high_gbp": lambda: current + Decimal("0.01"),
        "expected_life_years": lambda: current % 30 + 1,
        "persistence": lambda: Decimal("0.5000" if current != Decimal("0.5") else "0.6000"),
        "health_outcomes": lambda: not current,
        "optimism_bias_benefits": lambda: Decimal("0.2500"),
        "optimism_bias_costs": lambda: Decimal("0.4000"),
        "go_live_on": lambda: go_live - timedelta(days=7),
        "ended_on": lambda: go_live + timedelta(days=365),
    }
    return new[field]()


def web_data(field: str, value: Any) -> tuple[str, Any]:
    """The form field's name and what a browser posts for `value` (written out here, not
    taken from the form, so that the form's own reading of it is under test)."""
    name = form_field(field)
    if isinstance(value, date):
        return name, [str(value.day), str(value.month), str(value.year)]
    if value is None:
        return name, ["", "", ""] if field in ("go_live_on", "ended_on") else ""
    if field == "implementation_cost_pence":
        return name, str(Decimal(value) / 100)  # typed in pounds
    if isinstance(value, bool):
        return name, "yes" if value else "no"
    if field in PERCENT_FIELDS:
        return name, f"{(Decimal(value) * 100).normalize():f}"  # typed as a percentage
    return name, str(value)  # an enum member posts its value


PERCENT_FIELDS = ("persistence", "optimism_bias_benefits", "optimism_bias_costs")


def web_form(improvement: Improvement, **changes: Any) -> dict[str, Any]:
    """The whole edit form as a browser posts it: every field's current value, `changes` on
    top (locked fields included: a page opened before they locked, or a crafted post)."""
    values = {field: getattr(improvement, field) for field in PLAN_FIELDS} | changes
    return dict(web_data(field, value) for field, value in values.items())


def form_field(field: str) -> str:
    """The name a browser posts a plan field under (the cost in pence is typed in pounds)."""
    return getattr(ImprovementForm, field).name or field


def counts(session, improvement_id: int) -> tuple[int, int]:
    """(audit events, amendments) of the improvement: what a refused change must not add."""
    events = session.scalar(select(func.count()).where(AuditEvent.improvement_id == improvement_id))
    amendments = session.scalar(
        select(func.count()).where(Amendment.improvement_id == improvement_id)
    )
    return events, amendments


def actions(session, improvement_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.improvement_id == improvement_id)
            .order_by(AuditEvent.id)
        )
    )


def prepared(app, status: Status, field: str) -> tuple[int, Any, Any, tuple[int, int]]:
    """For a request's test: (id, the new value, the value now, (audit events, amendments))
    of the improvement in `status`."""
    with app.app_context():
        improvement = improvement_in(db.session, status)
        return (
            improvement.id,
            new_value(improvement, field),
            getattr(improvement, field),
            counts(db.session, improvement.id),
        )


def reloaded(app, improvement_id: int) -> Improvement:
    with app.app_context():
        improvement = db.session.get(Improvement, improvement_id)
        db.session.expunge(improvement)
        return improvement


def written(app, improvement_id: int) -> tuple[tuple[int, int], list[str], bool]:
    """What the improvement has now: (audit events, amendments), its audit actions, and
    whether it is on the public register."""
    with app.app_context():
        improvement = db.session.get(Improvement, improvement_id)
        return (
            counts(db.session, improvement_id),
            actions(db.session, improvement_id),
            is_public(improvement),
        )
