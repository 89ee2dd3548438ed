"""Which ideas spread, for Treasury: every idea with at least one adoption, its places and
departments, its pooled effect, and its savings summed across its places.

The savings are the Treasury totals' own (decision 0035): claimed from current estimates
(`savings.claimed_rows`), validated from approvals (`savings.validated_rows`) and shrunk
toward each place's whole department (`valuation.value_savings` over `savings.pool_rows` of
the idea's departments), banked at evidence level 3 and above (`valuation.HEADLINE_LEVEL`),
totalled with their bands by `valuation.honest_figures`. Treasury reads every record, so the
pooling is of every place (`pooling.pool_idea`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from gains.extensions import db
from gains.models import Improvement
from gains.services.ideas.adoption import idea_members
from gains.services.ideas.pooling import IdeaPooling, pool_idea
from gains.services.money.savings import claimed_rows, pool_rows, validated_rows
from gains.services.money.valuation import (
    HEADLINE_LEVEL,
    HonestFigures,
    honest_figures,
    value_savings,
)
from gains.stats.money import SavingsTotal, total_savings


@dataclass(frozen=True)
class SpreadIdea:
    original_id: int
    title: str
    department: str  # where it was first tried
    adoptions: int
    departments: int  # departments among all its places, the original's included
    pooling: IdeaPooling
    claimed: SavingsTotal
    validated: HonestFigures  # level 3 and above: raw and shrunk, as Treasury banks them


def spread_ideas() -> list[SpreadIdea]:
    """Every idea with at least one adoption, the most adopted first."""
    originals = list(
        db.session.scalars(
            select(Improvement)
            .where(
                Improvement.id.in_(
                    select(Improvement.adopted_from_id).where(
                        Improvement.adopted_from_id.is_not(None)
                    )
                )
            )
            .order_by(Improvement.title)
        )
    )
    if not originals:
        return []
    members = {original.id: idea_members(original) for original in originals}
    idea_of = {m.id: original_id for original_id, ms in members.items() for m in ms}
    in_ideas = Improvement.id.in_(list(idea_of))
    claimed = defaultdict(list)
    for row in claimed_rows(in_ideas):
        claimed[idea_of[row.improvement_id]].append(row.item)
    departments = sorted({m.department_id for ms in members.values() for m in ms})
    valued = value_savings(
        validated_rows(in_ideas), pool=pool_rows(Improvement.department_id.in_(departments))
    ).rows
    banked = defaultdict(list)
    for v in valued:
        if (v.evidence_level or 0) >= HEADLINE_LEVEL:
            banked[idea_of[v.row.improvement_id]].append(v)
    ideas = [
        SpreadIdea(
            original_id=original.id,
            title=original.title,
            department=original.department.name,
            adoptions=len(members[original.id]) - 1,
            departments=len({m.department_id for m in members[original.id]}),
            pooling=pool_idea(original, members[original.id]),
            claimed=total_savings(claimed[original.id]),
            validated=honest_figures(banked[original.id]),
        )
        for original in originals
    ]
    return sorted(ideas, key=lambda idea: (-idea.adoptions, idea.title))
