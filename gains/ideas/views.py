"""An idea's page: the places that tried it and their results pooled, as this person may see
them (only the members they may open; decision 0047), its forest plot and its CSV."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from gains.exports import csv_response
from gains.figures_cache import figures_response
from gains.ideas import blueprint
from gains.ideas.presenting import idea_forest_svg, pooled_table
from gains.models import Improvement
from gains.models.base import utcnow
from gains.security import svg_response
from gains.services.ideas.adoption import adoptions_seen_by, may_adopt
from gains.services.ideas.pooling import (
    IdeaPooling,
    idea_original_for,
    idea_pooling_for,
    readable_members,
)


def _original_or_404(improvement_id: int) -> Improvement:
    original = idea_original_for(current_user, improvement_id)
    if original is None:
        abort(404)
    return original


@blueprint.route("/<int:improvement_id>")
def idea(improvement_id: int):
    original = _original_or_404(improvement_id)
    if original.id != improvement_id:  # an adoption's id: its idea is the original's
        return redirect(url_for(".idea", improvement_id=original.id))
    pooling = idea_pooling_for(current_user, original)
    return render_template(
        "ideas/idea.html",
        original=original,
        pooling=pooling,
        adoptions=adoptions_seen_by(current_user, original),
        may_adopt=may_adopt(current_user),
        # Adopt from a member the person may open (the original may be out of their reach).
        adopt_from_id=next(iter(readable_members(current_user, original)), original).id,
        forest_url=url_for(".forest_plot", improvement_id=original.id),
        csv_url=url_for(".pooled_csv", improvement_id=original.id),
    )


def _shown_key(pooling: IdeaPooling) -> tuple:
    """What a cached copy depends on besides the figures: which places this person sees."""
    return tuple(item.improvement_id for item in pooling.items)


@blueprint.route("/<int:improvement_id>/forest.svg")
def forest_plot(improvement_id: int):
    original = _original_or_404(improvement_id)
    pooling = idea_pooling_for(current_user, original)
    return figures_response(
        lambda: svg_response(idea_forest_svg(pooling, "as you may see it")),
        "idea-forest",
        original.id,
        _shown_key(pooling),
    )


@blueprint.route("/<int:improvement_id>/pooled.csv")
def pooled_csv(improvement_id: int):
    original = _original_or_404(improvement_id)
    pooling = idea_pooling_for(current_user, original)
    described = [
        ("Idea", f"{original.reference} {original.title}"),
        ("Scale", pooling.scale_name),
        ("Places you may not open, not pooled", str(pooling.not_shown)),
        ("Produced", f"{utcnow():%d %B %Y %H:%M} UTC"),
    ]
    return csv_response(
        pooled_table(pooling), described, f"gains-idea-{original.id}-{utcnow():%Y%m%d}.csv"
    )
