"""One idea's pooled result (issue 22): the places you may read, pooled as on its page."""

from __future__ import annotations

from dataclasses import asdict

from flask_login import current_user
from flask_smorest import Blueprint, abort

from gains.api.pagination import ID
from gains.api.schemas import IdeaSchema
from gains.services.ideas.pooling import idea_original_for, idea_pooling_for

blueprint = Blueprint("api_ideas", __name__, description="Ideas tried in more than one place")


@blueprint.get(f"/ideas/<{ID}:improvement_id>")
@blueprint.response(200, IdeaSchema)
def get_idea(improvement_id: int):
    """The idea of an improvement (its original and adoptions) pooled on a common scale with
    the department pooling's random-effects machinery, over the places you may read; any
    member's id finds it. 404 if you may read none of them."""
    original = idea_original_for(current_user, improvement_id)
    if original is None:
        abort(404, message="Not found")
    pooling = idea_pooling_for(current_user, original)
    return {
        "original_id": original.id,
        "title": pooling.title,
        "scale": pooling.scale,
        "items": [
            asdict(item) | {"ci_low": item.ci[0], "ci_high": item.ci[1]} for item in pooling.items
        ],
        "not_shown": pooling.not_shown,
        "not_on_scale": pooling.not_on_scale,
        "without_estimate": pooling.without_estimate,
        "draft_or_withdrawn": pooling.draft_or_withdrawn,
        "result": asdict(pooling.result) if pooling.result else None,
        "reason": pooling.reason,
    }
