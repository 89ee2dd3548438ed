"""Adopt an idea: "try this in my team" registers a draft that copies the idea's design.

The draft copies what makes it the same idea (the hypothesis, what is measured and how, the
design) and nothing that belongs to the team that tried it first: no data, no money figures,
no dates, no planned sample size. It is linked to the ORIGINAL idea, even when adopted from
an adoption, so an idea is its original and the direct adoptions (one level; decision 0047);
the audit event names the improvement it was adopted from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gains.access import get_scoped_or_404, scoped
from gains.bounds import TITLE
from gains.extensions import db
from gains.models import Improvement, Status, Team
from gains.services.audit.events import record_event
from gains.services.improvements import workflow
from gains.services.improvements.workflow import ImprovementPlan, WorkflowError
from gains.services.public.publication import on_the_register

# The plan fields an adoption copies: what the idea is, never the first team's figures.
ADOPTED_FIELDS = (
    "kind",
    "pillar",
    "hypothesis",
    "metric_name",
    "metric_unit",
    "direction",
    "unit_of_observation",
    "scale",
    "design",
)


def original_of(improvement: Improvement) -> Improvement:
    """The idea's original: the improvement itself unless it is an adoption."""
    return improvement.adopted_from or improvement


def idea_members(original: Improvement) -> list[Improvement]:
    """The original and its adoptions, the original first."""
    return [original, *original.adoptions]


def adoptable(user: Any, improvement_id: int) -> Improvement:
    """The improvement `user` may adopt from: any they may read, and any result on the public
    register (for people signed in). 404 otherwise, as for any record out of reach."""
    found = db.session.scalars(
        scoped(select(Improvement).where(Improvement.id == improvement_id), user)
    ).first()
    if found is not None:
        return found
    published = db.session.execute(
        on_the_register().where(Improvement.id == improvement_id)
    ).first()
    if published is None:
        return get_scoped_or_404(Improvement, improvement_id, user)  # answers 404
    return published[0]


def may_open(user: Any, improvement_id: int) -> bool:
    """Whether `user` may open the improvement's own page (its scope, `gains.access`)."""
    stmt = scoped(select(Improvement.id).where(Improvement.id == improvement_id), user)
    return db.session.scalars(stmt).first() is not None


def may_adopt(user: Any) -> bool:
    """Whether `user` has a team to try ideas in (Treasury and people without one do not)."""
    return bool(workflow.teams_for_registration(user))


def adoption_plan(original: Improvement, title: str) -> ImprovementPlan:
    """The draft's plan: the idea's fields and the new title; the rest as at registration."""
    return ImprovementPlan(
        title=title, **{name: getattr(original, name) for name in ADOPTED_FIELDS}
    )


def adopt(actor: Any, source: Improvement, team: Team, title: str) -> Improvement:
    """Register a draft for `team` that tries the idea of `source`, linked to its original.

    The caller has loaded `source` through `adoptable`; `create_improvement` checks the
    team is the actor's to register in and the title is free. The caller commits.
    """
    problem = TITLE.problem(title)
    if problem:
        raise WorkflowError(problem)
    original = original_of(source)
    adoption = workflow.create_improvement(actor, team, adoption_plan(original, title))
    adoption.adopted_from = original
    via = "" if source is original else f", through {source.reference}"
    record_event(
        actor,
        "improvement.adopted",
        adoption,
        department_id=team.department_id,
        after={"adopted_from_id": original.id},
        note=f"Adopted from {original.reference} “{original.title}”{via}",
    )
    return adoption


@dataclass(frozen=True)
class AdoptionLine:
    """One adoption as a person who may open it sees it."""

    improvement_id: int
    title: str
    team: str
    department: str
    status: Status


@dataclass(frozen=True)
class Adoptions:
    """An idea's places as one person sees them: the ones they may open, line by line; the
    others as counts per department (no titles, no teams)."""

    original_id: int
    openable: list[AdoptionLine]
    others_by_department: list[tuple[str, int]]

    @property
    def count(self) -> int:
        return len(self.openable) + sum(n for _, n in self.others_by_department)


def adoptions_seen_by(user: Any, original: Improvement) -> Adoptions:
    """The adoptions of `original` (an original) as `user` may see them."""
    adoptions = list(
        db.session.scalars(
            select(Improvement)
            .where(Improvement.adopted_from_id == original.id)
            .options(joinedload(Improvement.team), joinedload(Improvement.department))
            .order_by(Improvement.id)
        )
    )
    readable = set(
        db.session.scalars(
            scoped(select(Improvement.id), user).where(Improvement.adopted_from_id == original.id)
        )
    )
    others = Counter(a.department.name for a in adoptions if a.id not in readable)
    return Adoptions(
        original_id=original.id,
        openable=[
            AdoptionLine(a.id, a.title, a.team.name, a.department.name, a.status)
            for a in adoptions
            if a.id in readable
        ],
        others_by_department=sorted(others.items()),
    )


@dataclass(frozen=True)
class PublicSpread:
    """What a public page says of its idea's spread: counts only, no titles or teams."""

    tried_elsewhere: int  # the idea's other places past draft (a draft is an intention)
    published: int  # of those, results on the register now


def public_spread(improvement: Improvement) -> PublicSpread:
    """How many other places tried the idea of `improvement` (published), and how many of
    them are published results."""
    original = original_of(improvement)
    started = [
        member.id
        for member in idea_members(original)
        if member.id != improvement.id and member.status is not Status.DRAFT
    ]
    published = (
        len(db.session.execute(on_the_register().where(Improvement.id.in_(started))).all())
        if started
        else 0
    )
    return PublicSpread(len(started), published)


@dataclass(frozen=True)
class IdeaPanel:
    """The "this idea elsewhere" panel of an improvement's page, for one person."""

    original_id: int
    original_label: str | None  # its reference and title, when the person may open it
    original_department: str
    is_adoption: bool
    adoptions: Adoptions
    may_adopt: bool


def idea_panel(user: Any, improvement: Improvement) -> IdeaPanel:
    """Where the improvement's idea came from and where else it is tried, as `user` sees it."""
    original = original_of(improvement)
    openable = original is improvement or may_open(user, original.id)
    return IdeaPanel(
        original_id=original.id,
        original_label=f"{original.reference} “{original.title}”" if openable else None,
        original_department=original.department.name,
        is_adoption=original is not improvement,
        adoptions=adoptions_seen_by(user, original),
        may_adopt=may_adopt(user),
    )
