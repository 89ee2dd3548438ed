"""Improvements: the register with the web list's filters, registration, editing and the
status workflow, through the same services (and so the same rules and audit events) as the
web. Outside your scope: 404; readable but not yours to change: 403 (as on the web)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gains.access import get_scoped_or_404, scoped
from gains.api.pagination import ID, LINK_HEADER_DOC, paginate
from gains.api.schemas import (
    AdoptSchema,
    DecisionSchema,
    ImprovementArgsSchema,
    ImprovementCreateSchema,
    ImprovementSchema,
    ImprovementUpdateSchema,
    SimilarArgsSchema,
    SimilarListSchema,
    WithdrawSchema,
    page_of,
)
from gains.api.writes import commit_or_refuse
from gains.models import Improvement, Team
from gains.services.ideas.adoption import adopt, adoptable
from gains.services.improvements import workflow
from gains.services.improvements.locking import locked_fields
from gains.services.improvements.plan_changes import update_plan
from gains.services.improvements.register import RegisterFilters, filter_register, order_register
from gains.services.improvements.similar import SimilarImprovement, similar_improvements
from gains.services.improvements.workflow import ImprovementPlan
from gains.services.review.decisions import decide

blueprint = Blueprint(
    "api_improvements",
    __name__,
    description="The register of improvements, registration, editing and the status workflow",
)

IMPROVEMENT = f"/improvements/<{ID}:improvement_id>"


# Exact decimals, shown as strings so that no client reads them through a float.
DECIMALS = (
    "value_per_unit_gbp",
    "value_per_unit_low_gbp",
    "value_per_unit_high_gbp",
    "persistence",
    "optimism_bias_benefits",
    "optimism_bias_costs",
)
COMPUTED = (*DECIMALS, "locked_fields", "links", "adopted_from", "adoptions")
LINKS = {
    "self": "api_improvements.get_improvement",
    "measurements": "api_measurements.list_measurements",
    "batches": "api_measurements.list_batches",
    "estimate": "api_estimates.get_estimate",
    "cycles": "api_cycles.list_cycles",
    "web": "improvements.view",
}


# What `present` reads of each listed improvement's idea, loaded with the page in two queries.
IDEA_LINKS = (
    selectinload(Improvement.adopted_from).joinedload(Improvement.department),
    selectinload(Improvement.adoptions).load_only(Improvement.id),
)


def present(improvement: Improvement) -> dict[str, Any]:
    """The improvement as the schema dumps it, with its locked fields and links."""
    data = {
        name: getattr(improvement, name)
        for name in ImprovementSchema._declared_fields
        if name not in COMPUTED
    }
    for name in DECIMALS:
        value = getattr(improvement, name)
        data[name] = None if value is None else str(value)
    data["locked_fields"] = sorted(locked_fields(improvement))
    original = improvement.adopted_from
    data["adopted_from"] = original and {"id": original.id, "reference": original.reference}
    data["adoptions"] = [adoption.id for adoption in improvement.adoptions]
    data["links"] = {
        name: url_for(endpoint, improvement_id=improvement.id, _external=True)
        for name, endpoint in LINKS.items()
    }
    return data


@blueprint.get("/improvements")
@blueprint.arguments(ImprovementArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(ImprovementSchema), headers=LINK_HEADER_DOC)
def list_improvements(page: int, per_page: int, sort: str, **filters):
    """The register, with the web list's filters and sorts."""
    stmt = filter_register(
        scoped(select(Improvement), current_user), RegisterFilters(**filters)
    ).options(*IDEA_LINKS)
    body, headers = paginate(order_register(stmt, sort), page, per_page)
    body["items"] = [present(improvement) for improvement in body["items"]]
    return body, headers


def present_similar(match: SimilarImprovement) -> dict[str, Any]:
    """A similar improvement as the panel shows it: what the viewer may see of it."""
    improvement, result = match.improvement, match.result
    if match.may_open:
        web = url_for("improvements.view", improvement_id=improvement.id, _external=True)
        api = url_for(".get_improvement", improvement_id=improvement.id, _external=True)
    else:
        web = url_for("public.improvement", improvement_id=improvement.id, _external=True)
        api = None
    return {
        "id": improvement.id,
        "reference": improvement.reference,
        "title": improvement.title,
        "department_code": improvement.department.code,
        "department_name": improvement.department.name,
        "team_name": improvement.team.name if match.may_open else None,
        "status": improvement.status,
        "in_your_scope": match.may_open,
        "verdict": result.verdict if result else None,
        "verdict_words": result.verdict_words if result else None,
        "effect": result.effect if result else None,
        "ci_low": result.ci_low if result else None,
        "ci_high": result.ci_high if result else None,
        "level": result.level if result else None,
        "evidence_level": match.evidence_level,
        "links": {"web": web, "self": api},
    }


@blueprint.get("/improvements/similar")
@blueprint.arguments(SimilarArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, SimilarListSchema)
def list_similar_improvements(title: str, hypothesis: str):
    """The improvements most like a title and hypothesis, best first (at most 5): those in
    your scope, and published results from every department (decision 0046)."""
    found = similar_improvements(current_user, (title, hypothesis))
    return {"items": [present_similar(match) for match in found]}


@blueprint.post("/improvements")
@blueprint.arguments(ImprovementCreateSchema)
@blueprint.response(201, ImprovementSchema)
def create_improvement(data: dict[str, Any]):
    """Register an improvement (a draft) for a team you work in."""
    team = get_scoped_or_404(Team, data.pop("team_id"), current_user)
    improvement = commit_or_refuse(
        lambda: workflow.create_improvement(current_user, team, ImprovementPlan(**data)),
        validation=True,
    )
    location = url_for(".get_improvement", improvement_id=improvement.id, _external=True)
    return present(improvement), {"Location": location}


@blueprint.get(IMPROVEMENT)
@blueprint.response(200, ImprovementSchema)
def get_improvement(improvement_id: int):
    """One improvement."""
    return present(get_scoped_or_404(Improvement, improvement_id, current_user))


@blueprint.patch(IMPROVEMENT)
@blueprint.arguments(ImprovementUpdateSchema)
@blueprint.response(200, ImprovementSchema)
def update_improvement(changes: dict[str, Any], improvement_id: int):
    """Change unlocked fields of the plan; a locked field is a 409 (amend it on the web)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    commit_or_refuse(lambda: update_plan(current_user, improvement, changes), validation=True)
    return present(improvement)


def _transition(improvement_id: int, action, *args) -> dict[str, Any]:
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user, write=True)
    commit_or_refuse(lambda: action(current_user, improvement, *args))
    return present(improvement)


@blueprint.post(f"{IMPROVEMENT}/start")
@blueprint.response(200, ImprovementSchema)
def start_improvement(improvement_id: int):
    """Draft → running: the plan's design locks (pre-registration)."""
    return _transition(improvement_id, workflow.start)


@blueprint.post(f"{IMPROVEMENT}/submit")
@blueprint.response(200, ImprovementSchema)
def submit_improvement(improvement_id: int):
    """Running or changes requested → submitted for review: the money terms lock too."""
    return _transition(improvement_id, workflow.submit)


@blueprint.post(f"{IMPROVEMENT}/withdraw")
@blueprint.arguments(WithdrawSchema)
@blueprint.response(200, ImprovementSchema)
def withdraw_improvement(data: dict[str, Any], improvement_id: int):
    """Withdraw an improvement that has started; it is kept for the record."""
    return _transition(improvement_id, workflow.withdraw, data["reason"])


@blueprint.post(f"{IMPROVEMENT}/decision")
@blueprint.arguments(DecisionSchema)
@blueprint.response(200, ImprovementSchema)
def decide_improvement(data: dict[str, Any], improvement_id: int):
    """A manager's review decision on a submitted improvement of their department
    (never their own): approve, reject or request changes (the last two need a comment)."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    commit_or_refuse(
        lambda: decide(
            current_user,
            improvement,
            data["decision"],
            data["comment"],
            seen_data_version=data["data_version"],
        )
    )
    return present(improvement)


@blueprint.post(f"{IMPROVEMENT}/adopt")
@blueprint.arguments(AdoptSchema)
@blueprint.response(201, ImprovementSchema)
def adopt_improvement(data: dict[str, Any], improvement_id: int):
    """Try this idea in your team: a draft with its hypothesis, metric, direction, unit of
    observation and design (no data, money figures or dates), linked to the original idea.
    From any improvement you may read or any result on the public register."""
    source = adoptable(current_user, improvement_id)
    teams = workflow.teams_for_registration(current_user)
    if not teams:
        abort(403, message="You have no team to try ideas in")
    team = teams[0]
    if "team_id" in data:
        team = get_scoped_or_404(Team, data["team_id"], current_user)
    title = data.get("title", source.title)
    adoption = commit_or_refuse(
        lambda: adopt(current_user, source, team, title.strip()), validation=True
    )
    location = url_for(".get_improvement", improvement_id=adoption.id, _external=True)
    return present(adoption), {"Location": location}
