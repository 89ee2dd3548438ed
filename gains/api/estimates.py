"""The current estimate of an improvement (with an ETag from the figures version, as every
page and chart made from the figures) and a department's pooled standardised effect."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify
from flask_login import current_user
from flask_smorest import Blueprint

from gains.access import get_scoped_or_404
from gains.api.pagination import ID
from gains.api.schemas import EstimateSchema, PooledArgsSchema, PooledEstimateSchema
from gains.figures_cache import figures_response
from gains.models import Department, Estimate, Improvement
from gains.services.dashboards.department import department_pooling
from gains.services.estimates.current import ESTIMATION_METHODS, NoEstimate, current_estimate
from gains.services.estimates.documents import ESTIMATE_COLUMNS
from gains.services.money.savings import money_for
from gains.stats.appraisal import Appraisal
from gains.stats.evidence import level_label, level_of_document

blueprint = Blueprint(
    "api_estimates", __name__, description="Estimates: one improvement's, a department's pooled"
)

ETAG_DOC = {"ETag": {"description": "Send it back as If-None-Match", "schema": {"type": "string"}}}
IF_NONE_MATCH_DOC = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of the estimate you hold: 304 if it is still current",
}


def estimate_body(improvement: Improvement, estimate: Estimate | NoEstimate) -> dict[str, Any]:
    body: dict[str, Any] = {
        "improvement_id": improvement.id,
        "data_version": improvement.data_version,
    }
    if isinstance(estimate, NoEstimate):
        empty = dict.fromkeys(ESTIMATE_COLUMNS)
        return (
            body
            | empty
            | {
                "available": False,
                "reason": estimate.reason,
                "evidence_level": None,
                "evidence_label": None,
                "annual_saving": None,
                "appraisal": None,
                "method_name": None,
                "computed_at": None,
                "result": None,
            }
        )
    money = money_for(improvement, estimate.result)
    return (
        body
        | {column: getattr(estimate, column) for column in ESTIMATE_COLUMNS}
        | {
            "annual_saving": asdict(money.saving) if money else None,
            "appraisal": appraisal_body(money.appraisal) if money else None,
            "available": True,
            "reason": None,
            "evidence_level": level_of_document(estimate.result),
            "evidence_label": level_label(level_of_document(estimate.result), estimate.method),
            "method_name": ESTIMATION_METHODS.get(estimate.method, (estimate.method,))[0],
            "computed_at": estimate.computed_at,
            "result": estimate.result,
        }
    )


def appraisal_body(appraisal: Appraisal | None) -> dict[str, Any] | None:
    """The appraisal as `gains stats appraise --json` prints it: pounds to the penny."""
    if appraisal is None:
        return None
    return {
        "pv_benefits": appraisal.pv_benefits_pence / 100,
        "pv_costs": appraisal.pv_costs_pence / 100,
        "npv": appraisal.npv_pence / 100,
        "bcr": appraisal.bcr,
        "payback_month": appraisal.payback_month,
    }


@blueprint.get(f"/improvements/<{ID}:improvement_id>/estimate")
@blueprint.doc(parameters=[IF_NONE_MATCH_DOC])
@blueprint.response(200, EstimateSchema, headers=ETAG_DOC)
@blueprint.alt_response(304, description="Not modified: your copy is current", success=True)
def get_estimate(improvement_id: int):
    """The improvement's current estimate (computed by the write that changed the data);
    `available` is false, with the reason, while there is not enough data or it has not
    been computed yet."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)

    def render() -> Response:
        # Serialised here, as the decorator would, so that a 304 need not read the estimate.
        body = estimate_body(improvement, current_estimate(improvement))
        return jsonify(EstimateSchema().dump(body))

    return figures_response(render, "api-estimate", improvement.id)


@blueprint.get(f"/departments/<{ID}:department_id>/pooled-estimate")
@blueprint.arguments(PooledArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, PooledEstimateSchema)
def get_pooled_estimate(department_id: int, method: str, include_level_2: bool):
    """Random-effects pooling (DerSimonian-Laird or Paule-Mandel) of the department's
    approved improvements' Hedges' g with the Hartung-Knapp-Sidik-Jonkman CI, as on its
    dashboard: only with 3 or more; evidence level 2 only with `include_level_2`."""
    department = get_scoped_or_404(Department, department_id, current_user)
    pooling = department_pooling(department.id, method, include_level_2)
    return {
        "department_id": department.id,
        "method": pooling.method,
        "studies": [
            asdict(study) | {"ci_low": study.ci[0], "ci_high": study.ci[1]}
            for study in pooling.studies
        ],
        "excluded_time_series": pooling.excluded_time_series,
        "excluded_no_effect_size": pooling.excluded_no_effect_size,
        "include_level_2": pooling.include_level_2,
        "excluded_level_2": pooling.excluded_level_2,
        "result": asdict(pooling.result) if pooling.result else None,
        "reason": pooling.reason,
    }
