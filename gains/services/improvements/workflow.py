"""Improvements: registration and the status workflow, each transition with its rule.

Workflow (docs/DESIGN.md "Status"): draft → running → submitted → approved / rejected /
changes requested (→ resubmitted, i.e. submitted again). A draft can be deleted; anything past
draft can only be withdrawn, and is kept. Every transition writes an audit event in the same
transaction as the change; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gains.bounds import (
    FRACTION_PLACES,
    PLAN_BOUNDS,
    PLAN_RANGES,
    plan_field_problem,
    range_problem,
)
from gains.extensions import db
from gains.models import (
    APPRAISAL_DEFAULTS,
    AuditEvent,
    Design,
    Direction,
    Improvement,
    ImprovementKind,
    Measurement,
    Phase,
    Pillar,
    Role,
    Status,
    StudyGroup,
    Team,
)
from gains.models.base import utcnow
from gains.services.audit.events import record_event, snapshot
from gains.services.estimates.summaries import cell_summaries
from gains.services.measurements.active import active_measurements
from gains.services.notifications import outbox


class WorkflowError(ValueError):
    """The transition is not allowed now; the message says why, for the person asking."""


class PermissionDenied(WorkflowError):
    """The person asking may not do this at all."""


class DuplicateTitleError(WorkflowError):
    """The department already has an improvement with this title."""


class ImprovementWithdrawn(WorkflowError):
    """The improvement is withdrawn: it is kept as it was, and nothing of it changes again."""


def require_not_withdrawn(improvement: Improvement) -> None:
    """Refuse any change to a withdrawn improvement (its plan, amendments, measurements).

    Withdrawal is final (docs/DESIGN.md "Status"): the record stays as it was when the team
    withdrew it, for the audit trail. The caller reads the status under the row lock.
    """
    if improvement.status is Status.WITHDRAWN:
        raise ImprovementWithdrawn(
            "This improvement was withdrawn, so it cannot be changed. Register a new "
            "improvement to try again"
        )


def lock_improvement(improvement: Improvement) -> Improvement:
    """Lock the improvement's row until commit and refresh it from the database.

    Every write that changes an improvement's data or decides on it takes this lock first,
    so that what it reads (status, data version) is what it writes against. PostgreSQL: a
    second writer waits here until the first commits, then sees its data version. SQLite
    ignores FOR UPDATE; its writers hold the database's write lock from their first
    statement (`gains.database`), so they are serialised already.
    """
    db.session.flush()  # populate_existing must not overwrite changes not yet written
    return db.session.scalars(
        select(Improvement)
        .where(Improvement.id == improvement.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


@dataclass(frozen=True)
class ImprovementPlan:
    """What a team registers: every field of the design (docs/DESIGN.md "Domain")."""

    title: str
    kind: ImprovementKind
    pillar: Pillar
    hypothesis: str
    metric_name: str
    metric_unit: str
    direction: Direction
    unit_of_observation: str
    design: Design
    scale: int = 1
    planned_sample_size: int | None = None
    expected_effect: float | None = None
    planned_sd: float | None = None
    randomised: bool = False
    seasonal: bool = False
    implementation_cost_pence: int = 0
    annual_volume: int | None = None
    value_per_unit_gbp: Decimal | None = None
    cashable: bool = False
    annual_volume_low: int | None = None
    annual_volume_high: int | None = None
    value_per_unit_low_gbp: Decimal | None = None
    value_per_unit_high_gbp: Decimal | None = None
    # The appraisal terms: None means the kind's default (`APPRAISAL_DEFAULTS`), filled in
    # below, so a registration that leaves them out gets them.
    expected_life_years: int | None = None
    persistence: Decimal | None = None
    health_outcomes: bool | None = None
    optimism_bias_benefits: Decimal | None = None
    optimism_bias_costs: Decimal | None = None
    go_live_on: date | None = None
    ended_on: date | None = None

    def __post_init__(self) -> None:
        defaults = APPRAISAL_DEFAULTS.get(self.kind)
        if defaults is None:
            return  # not a kind: the API and the form refuse it before a plan is made
        for name, value in vars(defaults).items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)


PLAN_FIELDS = tuple(ImprovementPlan.__dataclass_fields__)

# Who may move an improvement out of each status, by transition.
ALLOWED_FROM = {
    "start": {Status.DRAFT},
    "submit": {Status.RUNNING, Status.CHANGES_REQUESTED},
    "withdraw": {
        Status.RUNNING,
        Status.SUBMITTED,
        Status.APPROVED,
        Status.REJECTED,
        Status.CHANGES_REQUESTED,
    },
}


PAST_TENSE = {"start": "started", "submit": "submitted", "withdraw": "withdrawn"}


def may_change_team_work(user: Any, team_id: int, department_id: int) -> bool:
    """Members change their own team's improvements; managers their department's; admins all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.MANAGER:
        return user.department_id == department_id
    if user.role is Role.MEMBER:
        return user.team_id == team_id
    return False


def may_change(user: Any, improvement: Improvement) -> bool:
    return may_change_team_work(user, improvement.team_id, improvement.department_id)


def require_change_rights(user: Any, improvement: Improvement) -> None:
    if not may_change(user, improvement):
        raise PermissionDenied("You cannot change improvements outside your team or department")


def validate_plan(plan: ImprovementPlan) -> None:
    """The rules every saved plan must meet, whatever its status."""
    if not plan.title.strip():
        raise WorkflowError("Enter a title")
    for name in PLAN_BOUNDS:
        problem = plan_field_problem(name, getattr(plan, name))
        if problem:
            raise WorkflowError(problem)
    if plan.kind is ImprovementKind.NO_EXTRA_COST and plan.implementation_cost_pence != 0:
        raise WorkflowError("An innovation at no extra cost must have an implementation cost of £0")
    if plan.implementation_cost_pence < 0:
        raise WorkflowError("The implementation cost cannot be negative")
    for name in ("planned_sample_size", "annual_volume", "scale"):
        value = getattr(plan, name)
        if value is not None and value <= 0:
            raise WorkflowError(f"The {name.replace('_', ' ')} must be a positive whole number")
    if plan.value_per_unit_gbp is not None and plan.value_per_unit_gbp < 0:
        raise WorkflowError("The value per unit cannot be negative")
    for name in ("value_per_unit_gbp", "value_per_unit_low_gbp", "value_per_unit_high_gbp"):
        value = getattr(plan, name)
        if value is not None and -value.as_tuple().exponent > 4:
            raise WorkflowError("The value per unit can have at most 4 decimal places")
    for name in ("persistence", "optimism_bias_benefits", "optimism_bias_costs"):
        value = getattr(plan, name)
        if value is not None and -Decimal(value).as_tuple().exponent > FRACTION_PLACES:
            raise WorkflowError(
                f"Give the {name.replace('_', ' ')} as a fraction with at most "
                f"{FRACTION_PLACES} decimal places (a percentage with at most 2)"
            )
    for what, (low, central, high) in PLAN_RANGES.items():
        problem = range_problem(
            what, getattr(plan, low), getattr(plan, central), getattr(plan, high)
        )
        if problem:
            raise WorkflowError(problem)
    if plan.ended_on is not None and (plan.go_live_on is None or plan.ended_on <= plan.go_live_on):
        raise WorkflowError("The end date must be after the go-live date")


def teams_for_registration(user: Any) -> list[Team]:
    """The teams this person may register improvements for."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.role is Role.MEMBER:
        return [user.team]
    if user.role is Role.MANAGER:
        return list(user.team.department.teams)
    if user.role is Role.ADMIN:
        return list(db.session.scalars(select(Team).order_by(Team.department_id, Team.name)))
    return []


def create_improvement(actor: Any, team: Team, plan: ImprovementPlan) -> Improvement:
    validate_plan(plan)
    if not may_change_team_work(actor, team.id, team.department_id):
        raise PermissionDenied("You can only register improvements for your own team")
    title = plan.title.strip()
    if title_taken(team.department_id, title):
        raise DuplicateTitleError(f"Your department already has an improvement called {title!r}")
    fields = {name: getattr(plan, name) for name in PLAN_FIELDS} | {"title": title}
    improvement = Improvement(
        team=team, created_by_id=actor.id, status=Status.DRAFT, data_version=0, **fields
    )
    db.session.add(improvement)
    record_event(
        actor,
        "improvement.created",
        improvement,
        department_id=team.department_id,
        after=snapshot(improvement, PLAN_FIELDS),
    )
    return improvement


def title_taken(department_id: int, title: str, except_id: int | None = None) -> bool:
    stmt = select(func.count()).where(
        Improvement.department_id == department_id, Improvement.title == title
    )
    if except_id is not None:
        stmt = stmt.where(Improvement.id != except_id)
    return bool(db.session.scalar(stmt))


def _transition(
    actor: Any, improvement: Improvement, action: str, to: Status, note: str | None = None
) -> Improvement:
    require_change_rights(actor, improvement)
    if improvement.status not in ALLOWED_FROM[action]:
        raise WorkflowError(
            f"An improvement that is {improvement.status.label.lower()} "
            f"cannot be {PAST_TENSE[action]}"
        )
    return change_status(actor, improvement, to, f"improvement.{action}", note=note)


def change_status(
    actor: Any, improvement: Improvement, to: Status, action: str, *, note: str | None = None
) -> Improvement:
    """Set the status, record the change in the audit trail and write the emails it sends,
    all in the caller's transaction (rules are the caller's)."""
    before = improvement.status
    improvement.status = to
    if to is Status.SUBMITTED:
        improvement.submitted_at = utcnow()
    event = record_event(
        actor,
        action,
        improvement,
        department_id=improvement.department_id,
        before={"status": before.value},
        after={"status": to.value},
        note=note,
    )
    outbox.status_changed(event, improvement, to)
    return improvement


def start(actor: Any, improvement: Improvement) -> Improvement:
    """Draft → running: the plan's design fields lock (pre-registration)."""
    return _transition(actor, improvement, "start", Status.RUNNING)


def submission_problems(
    improvement: Improvement, counts: dict[tuple[Phase, StudyGroup], int] | None = None
) -> list[str]:
    """What stops this improvement being submitted for review, in plain words.

    `counts`: active rows per (phase, group), when the caller has them already (the
    improvement page's cell summaries); counted here otherwise.
    """
    problems = []
    if improvement.go_live_on is None:
        problems.append("Enter the go-live date")
    if improvement.annual_volume is None:
        problems.append("Enter the annual volume")
    if improvement.value_per_unit_gbp is None:
        problems.append("Enter the value in £ of one unit of the metric")
    if counts is None:
        counts = _active_counts(improvement.id)
    if not counts.get((Phase.AFTER, StudyGroup.TREATMENT)):
        problems.append("Add measurements from after the change")
    if improvement.design is not Design.CONTROL_GROUP and not counts.get(
        (Phase.BEFORE, StudyGroup.TREATMENT)
    ):
        problems.append("Add measurements from before the change")
    if improvement.design is Design.CONTROL_GROUP and not any(
        group is StudyGroup.CONTROL for _, group in counts
    ):
        problems.append("A control-group design needs measurements from the control group")
    if improvement.design is Design.PAIRED and not _units_in_both_phases(improvement.id):
        problems.append("A paired design needs the same unit references before and after")
    if improvement.design is Design.TIME_SERIES and _undated_count(improvement.id):
        problems.append("A time series needs a date on every measurement")
    return problems


def submit(actor: Any, improvement: Improvement) -> Improvement:
    """Running or changes requested → submitted: the money fields lock too."""
    problems = submission_problems(improvement)
    if problems:
        raise WorkflowError("; ".join(problems))
    return _transition(actor, improvement, "submit", Status.SUBMITTED)


def withdraw(actor: Any, improvement: Improvement, reason: str) -> Improvement:
    if not reason.strip():
        raise WorkflowError("Say why the improvement is withdrawn")
    return _transition(actor, improvement, "withdraw", Status.WITHDRAWN, note=reason.strip())


@dataclass(frozen=True)
class Withdrawal:
    """When, by whom and why an improvement was withdrawn, as its page shows it."""

    on: datetime
    by: str  # the person's name, or "the system"
    reason: str | None


def withdrawal_of(improvement: Improvement) -> Withdrawal | None:
    """The withdrawal of a withdrawn improvement (None for any other): read from the audit
    event `withdraw` writes, which is where its reason is recorded."""
    if improvement.status is not Status.WITHDRAWN:
        return None
    event = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == Improvement.__tablename__,
            AuditEvent.entity_id == improvement.id,
            AuditEvent.action == "improvement.withdraw",
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:  # withdrawn by a path that wrote no event (none does today)
        return None
    by = event.actor.name if event.actor else "the system"
    return Withdrawal(on=event.occurred_at, by=by, reason=event.note)


def delete_draft(actor: Any, improvement: Improvement) -> None:
    require_change_rights(actor, improvement)
    if improvement.status is not Status.DRAFT:
        raise WorkflowError("Only drafts can be deleted; withdraw it instead")
    if improvement.batches:
        raise WorkflowError("Withdraw its measurements before deleting this draft")
    record_event(
        actor,
        "improvement.deleted",
        improvement,
        department_id=improvement.department_id,
        before=snapshot(improvement, PLAN_FIELDS),
    )
    db.session.delete(improvement)


def _active_rows(improvement_id: int):
    return active_measurements().where(Measurement.improvement_id == improvement_id).subquery()


def _active_counts(improvement_id: int) -> dict[tuple[Phase, StudyGroup], int]:
    """Active rows per (phase, group): the counts of the kept cell summaries."""
    return {(c.phase, c.group): c.n for c in cell_summaries([improvement_id])}


def _units_in_both_phases(improvement_id: int) -> bool:
    rows = _active_rows(improvement_id)
    paired_units = (
        select(rows.c.unit_ref)
        .where(rows.c.unit_ref.is_not(None))
        .group_by(rows.c.unit_ref)
        .having(func.count(func.distinct(rows.c.phase)) == 2)
    )
    return db.session.scalar(select(func.count()).select_from(paired_units.subquery())) > 0


def _undated_count(improvement_id: int) -> int:
    rows = _active_rows(improvement_id)
    return db.session.scalar(
        select(func.count()).select_from(rows).where(rows.c.observed_on.is_(None))
    )
