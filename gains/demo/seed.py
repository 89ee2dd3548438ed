"""`gains seed-demo`: a realistic, deterministic demo register built through the services.

Everything goes through the same domain functions as real use (create, start, record a batch,
submit, review, withdraw), so the demo obeys the rules real data obeys. Measurements are
simulated from each catalogue entry with a random generator seeded by its title, so every
machine gets the same numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import delete, func, select

from gains.demo.catalogue import (
    ADOPTIONS,
    CHART_NOTES,
    DEMO_PASSWORD,
    DEMO_TERMS,
    DEMO_TODAY,
    DEPARTMENTS,
    IMPROVEMENTS,
    PDSA_CYCLES,
    PEOPLE,
    PUBLIC_SUMMARIES,
    DemoImprovement,
)
from gains.extensions import db
from gains.models import (
    Base,
    BatchSource,
    Decision,
    Design,
    Improvement,
    Notification,
    Role,
    Status,
    Team,
    User,
)
from gains.services.improvements import workflow
from gains.services.improvements.chart_notes import add_note
from gains.services.improvements.cycles import record_outcome, start_cycle
from gains.services.improvements.workflow import ImprovementPlan
from gains.services.measurements.recording import record_batch
from gains.services.people.accounts import create_user
from gains.services.people.organisation import create_department, create_team
from gains.services.public import publication
from gains.services.review import decisions as reviews

WEEKS_OBSERVED = 12


@dataclass(frozen=True)
class SeedSummary:
    departments: int
    teams: int
    users: int
    improvements: int
    measurements: int


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def reset_database() -> None:
    """Delete every row, children first (the schema stays as the migrations built it)."""
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.flush()


def _rng(entry: DemoImprovement) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(entry.title.encode()) + entry.seed_salt)


def _dates(rng, start: date, end: date, n: int) -> list[date]:
    days = max((end - start).days, 1)
    offsets = np.sort(rng.integers(0, days, size=n))
    return [start + timedelta(days=int(offset)) for offset in offsets]


def _values(rng, entry: DemoImprovement, mean: float, n: int) -> np.ndarray:
    if entry.binary:
        share = min(max(mean / entry.scale, 0.001), 0.999)
        return rng.binomial(1, share, size=n) * float(entry.scale)
    return np.round(rng.normal(mean, entry.noise, size=n), 3)


def _periods(entry: DemoImprovement) -> tuple[tuple[date, date], tuple[date, date]]:
    before = (entry.go_live_on - timedelta(weeks=WEEKS_OBSERVED), entry.go_live_on)
    after_end = min(entry.go_live_on + timedelta(weeks=WEEKS_OBSERVED), DEMO_TODAY)
    return before, (entry.go_live_on, after_end)


def _rows(phase: str, values, dates, group: str = "treatment", units=None) -> list[dict]:
    units = units if units is not None else [None] * len(values)
    return [
        {"phase": phase, "group": group, "value": float(v), "observed_on": d, "unit_ref": u}
        for v, d, u in zip(values, dates, units, strict=True)
    ]


def simulate(entry: DemoImprovement) -> Iterator[tuple[str, list[dict]]]:
    """(batch label, rows) pairs for one improvement, as a team would have logged them."""
    rng = _rng(entry)
    (b_start, b_end), (a_start, a_end) = _periods(entry)
    n = entry.n_per_phase
    if entry.design is Design.PAIRED:
        units = [f"{entry.unit_of_observation.split()[0].title()} {i + 1:02d}" for i in range(n)]
        unit_effects = rng.normal(0, entry.noise, size=n)
        per_unit = 4
        for phase, shift, (start, end) in (
            ("before", 0.0, (b_start, b_end)),
            ("after", entry.effect, (a_start, a_end)),
        ):
            means = np.repeat(entry.baseline + unit_effects + shift, per_unit)
            values = np.round(rng.normal(means, entry.noise / 2), 3)
            yield (
                phase,
                _rows(
                    phase,
                    values,
                    _dates(rng, start, end, n * per_unit),
                    units=np.repeat(units, per_unit).tolist(),
                ),
            )
    elif entry.design is Design.CONTROL_GROUP:
        secular = 0.2 * (entry.noise or entry.baseline / 20)  # both groups drift a little
        phases = [("after", (a_start, a_end))]
        if not entry.extra.get("no_before"):
            phases.insert(0, ("before", (b_start, b_end)))
        for phase, (start, end) in phases:
            for group in ("control", "treatment"):
                mean = entry.baseline + (secular if phase == "after" else 0.0)
                if phase == "after" and group == "treatment":
                    mean += entry.effect
                values = _values(rng, entry, mean, n)
                yield (
                    f"{phase} {group}",
                    _rows(phase, values, _dates(rng, start, end, n), group=group),
                )
    elif entry.design is Design.TIME_SERIES:
        for phase, shift, (start, end) in (
            ("before", 0.0, (b_start, b_end)),
            ("after", entry.effect, (a_start, a_end)),
        ):
            dates = _dates(rng, start, end, n)
            trend = np.array([(d - b_start).days for d in dates]) * entry.noise / 2000
            values = np.round(rng.normal(entry.baseline + shift + trend, entry.noise), 3)
            yield phase, _rows(phase, values, dates)
    else:
        for phase, shift, (start, end) in (
            ("before", 0.0, (b_start, b_end)),
            ("after", entry.effect, (a_start, a_end)),
        ):
            values = _values(rng, entry, entry.baseline + shift, n)
            yield phase, _rows(phase, values, _dates(rng, start, end, n))


def _plan(entry: DemoImprovement) -> ImprovementPlan:
    return ImprovementPlan(
        title=entry.title,
        kind=entry.kind,
        pillar=entry.pillar,
        hypothesis=entry.hypothesis,
        metric_name=entry.metric_name,
        metric_unit=entry.metric_unit,
        direction=entry.direction,
        unit_of_observation=entry.unit_of_observation,
        design=entry.design,
        scale=entry.scale,
        planned_sample_size=entry.n_per_phase,
        expected_effect=entry.effect,
        randomised=entry.randomised,
        implementation_cost_pence=entry.cost_pence,
        annual_volume=entry.annual_volume,
        value_per_unit_gbp=entry.value_per_unit_gbp,
        cashable=entry.cashable,
        go_live_on=entry.go_live_on,
        **DEMO_TERMS.get(entry.title, {}),
    )


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 30), tzinfo=UTC)


def _log(creator: User, improvement: Improvement, label: str, batch_rows: list[dict]) -> None:
    source = BatchSource.CSV if label.startswith("after") else BatchSource.FORM
    batch = record_batch(
        creator,
        improvement,
        batch_rows,
        source=source,
        filename=f"{label.replace(' ', '-')}.csv" if source is BatchSource.CSV else None,
    )
    # Dated as a team would have logged it: the day after its last observation, so that
    # "what changed since the approval" counts only what really came later.
    logged_on = max(row["observed_on"] for row in batch_rows) + timedelta(days=1)
    batch.created_at = batch.confirmed_at = _at(logged_on)


def _log_in_cycles(creator: User, improvement: Improvement, after_rows: list[dict], cycles) -> None:
    """The after rows in PDSA cycles, split by date into equal parts: each cycle opens (the
    first at go-live), takes its part as one upload, and ends the day the next one starts. The
    rows are the same as without cycles, so the improvement's estimate is too."""
    ordered = sorted(after_rows, key=lambda row: row["observed_on"])
    parts = [part.tolist() for part in np.array_split(np.arange(len(ordered)), len(cycles))]
    for number, ((plan, prediction, notes, decision), part) in enumerate(
        zip(cycles, parts, strict=True), start=1
    ):
        part_rows = [ordered[index] for index in part]
        started_on = part_rows[0]["observed_on"] if number > 1 else improvement.go_live_on
        cycle = start_cycle(
            creator, improvement, plan=plan, prediction=prediction, started_on=started_on
        )
        _log(creator, improvement, f"after cycle {number}", part_rows)
        following = parts[number] if number < len(parts) else None
        ended_on = (
            ordered[following[0]]["observed_on"] if following else part_rows[-1]["observed_on"]
        )
        record_outcome(creator, cycle, ended_on=ended_on, notes=notes, act_decision=decision)


def _seed_improvement(entry: DemoImprovement, creator: User, reviewer: User, team: Team) -> int:
    improvement = workflow.create_improvement(creator, team, _plan(entry))
    if entry.status is Status.DRAFT:
        return 0
    workflow.start(creator, improvement)
    rows = 0
    for label, batch_rows in simulate(entry):
        if label == "after" and entry.title in PDSA_CYCLES:
            _log_in_cycles(creator, improvement, batch_rows, PDSA_CYCLES[entry.title])
        else:
            _log(creator, improvement, label, batch_rows)
        rows += len(batch_rows)
    if entry.status is Status.RUNNING:
        return rows
    if entry.status is Status.WITHDRAWN:
        workflow.withdraw(creator, improvement, "Superseded by a wider change to the service.")
        return rows
    workflow.submit(creator, improvement)
    improvement.submitted_at = _at(min(entry.go_live_on + timedelta(weeks=13), DEMO_TODAY))
    decision = {
        Status.APPROVED: Decision.APPROVED,
        Status.REJECTED: Decision.REJECTED,
        Status.CHANGES_REQUESTED: Decision.CHANGES_REQUESTED,
    }.get(entry.status)
    if decision is not None:
        review = reviews.decide(
            reviewer,
            improvement,
            decision,
            entry.review_comment or "Method and money checked; approved.",
        )
        review.decided_at = improvement.submitted_at + timedelta(days=9)
        if entry.title in PUBLIC_SUMMARIES:
            published = publication.publish(reviewer, improvement, PUBLIC_SUMMARIES[entry.title])
            published.published_at = review.decided_at + timedelta(days=2)
    if entry.reopened:
        # New data after approval sends it back to review (docs/DESIGN.md "Locking").
        extra = [dict(row) for row in next(iter(simulate(entry)))[1][:10]]
        for row in extra:
            row.update(phase="after", observed_on=DEMO_TODAY - timedelta(days=3))
        record_batch(creator, improvement, extra, source=BatchSource.API)
        rows += len(extra)
    return rows


def seed_demo() -> SeedSummary:
    """Build the demo register in the current session; the caller commits."""
    emails_before = db.session.scalar(select(func.max(Notification.id))) or 0
    departments, teams, users = {}, {}, {}
    for demo_department in DEPARTMENTS:
        department = create_department(None, name=demo_department.name, code=demo_department.code)
        departments[demo_department.code] = department
        for team_name in demo_department.teams:
            teams[demo_department.code, team_name] = create_team(
                None, department=department, name=team_name
            )
    for email, name, role, code, team_name in PEOPLE:
        users[email] = create_user(
            None,
            email=email,
            name=name,
            role=Role(role),
            team=teams.get((code, team_name)),
            password=DEMO_PASSWORD,
        )
    managers = {user.department_id: user for user in users.values() if user.role is Role.MANAGER}
    members = {user.team_id: user for user in users.values() if user.role is Role.MEMBER}
    measurements = 0
    for entry in IMPROVEMENTS:
        team = teams[entry.department, entry.team]
        measurements += _seed_improvement(
            entry, members[team.id], managers[team.department_id], team
        )
    for title, notes in CHART_NOTES.items():
        improvement = db.session.scalars(
            select(Improvement).where(Improvement.title == title)
        ).one()
        for on_date, text in notes:
            add_note(members[improvement.team_id], improvement, on_date, text)
    by_title = dict(
        db.session.execute(
            select(Improvement.title, Improvement.id).where(
                Improvement.title.in_([*ADOPTIONS, *ADOPTIONS.values()])
            )
        ).all()
    )
    for adoption, original in ADOPTIONS.items():
        # The demo's teams registered these before "try this in my team" existed: linked
        # here, as a person would by adopting the idea (`services.ideas.adoption.adopt`).
        db.session.get(Improvement, by_title[adoption]).adopted_from_id = by_title[original]
    # The demo's history is not news: with email on, the services wrote an email for each
    # submission and decision above, and nobody (the demo people least of all) is sent them.
    db.session.execute(delete(Notification).where(Notification.id > emails_before))
    db.session.flush()
    return SeedSummary(
        departments=len(departments),
        teams=len(teams),
        users=len(users),
        improvements=db.session.scalar(select(func.count()).select_from(Improvement)),
        measurements=measurements,
    )
