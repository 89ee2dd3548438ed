"""One idea, many places: the original and its adoptions pooled on a common scale.

The items are the idea's members (`adoption.idea_members`) that are past draft, not
withdrawn, and have a current estimate (`estimates.current.cached_estimates`: read, never
computed). The scale is `stats.common_scale.common_scale`; the pooling is the department
dashboard's own (`stats.pooling.pool_random_effects`: DerSimonian-Laird, HKSJ interval,
Riley's prediction interval) with its minimum of `MIN_STUDIES` results.

Who sees what (decision 0047): a signed-in person pools only the members they may open and
is told how many others there are; the public page pools only published results.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from gains.access import scoped
from gains.extensions import db
from gains.models import Design, Direction, Improvement, Status
from gains.services.estimates.current import cached_estimates
from gains.services.ideas.adoption import idea_members, original_of
from gains.services.public.publication import on_the_register
from gains.stats.common_scale import RELATIVE, SCALE_NAMES, ScaledResult, common_scale
from gains.stats.inference import normal_interval
from gains.stats.pooling import CI_METHOD_NAMES, MIN_STUDIES, PooledEstimate, pool_random_effects

# Drafts have no data; a withdrawn result no longer stands (its savings stop counting too).
NOT_POOLED_STATUSES = (Status.DRAFT, Status.WITHDRAWN)


@dataclass(frozen=True)
class IdeaItem:
    """One place's result on the idea's common scale (positive is better)."""

    improvement_id: int
    reference: str  # "WKP-0042": the forest plot's label (a title may hold any character)
    title: str
    team: str
    department: str
    status: Status
    effect: float
    variance: float

    @property
    def ci(self) -> tuple[float, float]:
        return normal_interval(self.effect, self.variance)


@dataclass(frozen=True)
class IdeaPooling:
    original_id: int
    title: str  # the idea's name as this reader may see it
    scale: str
    items: list[IdeaItem]
    departments: int  # how many departments the pooled items come from
    not_on_scale: int  # items with an estimate but no figure on the scale
    without_estimate: int  # members past draft without a current estimate
    draft_or_withdrawn: int  # members the reader may see that are drafts or withdrawn
    not_shown: int  # members this reader may not open (or, in public, not published)
    result: PooledEstimate | None

    @property
    def scale_name(self) -> str:
        return SCALE_NAMES[self.scale]

    @property
    def is_relative(self) -> bool:
        return self.scale == RELATIVE

    @property
    def ci_method_name(self) -> str | None:
        return CI_METHOD_NAMES[self.result.ci_method] if self.result else None

    @property
    def reason(self) -> str | None:
        """Why there is no pooled result, in words; None when there is one."""
        if self.result is not None:
            return None
        return (
            f"Pooling needs results from at least {MIN_STUDIES} places on a common scale; "
            f"there {'is' if len(self.items) == 1 else 'are'} {len(self.items)} here. With "
            "fewer, the spread between places cannot be estimated and there is no honest "
            "range for what to expect if you adopt it."
        )


def _scaled(improvement: Improvement, estimate) -> ScaledResult:
    document = estimate.result or {}
    return ScaledResult(
        key=improvement.id,
        relative=document.get("relative_change"),
        relative_se=document.get("relative_se"),
        higher_is_better=improvement.direction is Direction.HIGHER,
        hedges_g=estimate.hedges_g,
        hedges_g_variance=estimate.hedges_g_variance,
        time_series=improvement.design is Design.TIME_SERIES,
    )


def pool_idea(original: Improvement, shown: Iterable[Improvement]) -> IdeaPooling:
    """Pool the members of `original`'s idea in `shown` (the ones the reader may see); the
    idea is named by the original's title if it is shown, else by the first shown member's."""
    members = idea_members(original)
    shown = list(shown)
    shown_ids = {improvement.id for improvement in shown}
    title = original.title if original.id in shown_ids or not shown else shown[0].title
    candidates = [m for m in members if m.id in shown_ids and m.status not in NOT_POOLED_STATUSES]
    estimates = cached_estimates(candidates)
    estimated = [m for m in candidates if m.id in estimates]
    on_scale = common_scale([_scaled(m, estimates[m.id]) for m in estimated])
    by_id = {m.id: m for m in estimated}
    items = sorted(
        (
            IdeaItem(
                key,
                by_id[key].reference,
                by_id[key].title,
                by_id[key].team.name,
                by_id[key].department.name,
                by_id[key].status,
                effect,
                variance,
            )
            for key, effect, variance in on_scale.placed
        ),
        key=lambda item: (item.improvement_id != original.id, item.department, item.title),
    )
    result = None
    if len(items) >= MIN_STUDIES:
        result = pool_random_effects([i.effect for i in items], [i.variance for i in items])
    return IdeaPooling(
        original_id=original.id,
        title=title,
        scale=on_scale.scale,
        items=items,
        departments=len({item.department for item in items}),
        not_on_scale=len(on_scale.left_out),
        without_estimate=len(candidates) - len(estimated),
        draft_or_withdrawn=len([m for m in shown if m.status in NOT_POOLED_STATUSES]),
        not_shown=len(members) - len(shown_ids & {m.id for m in members}),
        result=result,
    )


def readable_members(user: Any, original: Improvement) -> list[Improvement]:
    """The idea's members `user` may open (their scope, `gains.access`)."""
    ids = [m.id for m in idea_members(original)]
    stmt = scoped(select(Improvement).where(Improvement.id.in_(ids)), user)
    return list(db.session.scalars(stmt))


def published_members(original: Improvement) -> list[Improvement]:
    """The idea's members on the public register now (its one rule)."""
    ids = [m.id for m in idea_members(original)]
    return [row[0] for row in db.session.execute(on_the_register().where(Improvement.id.in_(ids)))]


def idea_pooling_for(user: Any, original: Improvement) -> IdeaPooling:
    """The idea's pooling as a signed-in `user` may see it."""
    return pool_idea(original, readable_members(user, original))


def public_idea_pooling(original: Improvement) -> IdeaPooling:
    """The idea's pooling on the public register: published results only."""
    return pool_idea(original, published_members(original))


def idea_original_for(user: Any, improvement_id: int) -> Improvement | None:
    """The original of the idea `improvement_id` belongs to, if `user` may open at least one
    of its members (else None: the page answers 404, revealing nothing)."""
    improvement = db.session.get(Improvement, improvement_id)
    if improvement is None:
        return None
    original = original_of(improvement)
    return original if readable_members(user, original) else None


def public_idea_original(improvement_id: int) -> Improvement | None:
    """The original of the idea of `improvement_id`, if `improvement_id` is on the public
    register (the register's one rule: any other id is not found, as everywhere there)."""
    published = db.session.execute(
        on_the_register().where(Improvement.id == improvement_id)
    ).first()
    return None if published is None else original_of(published[0])
