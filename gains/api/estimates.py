"""The current estimate of an improvement (with ETag: it changes only with the data
version) and a department's pooled standardised effect."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, request
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.http import quote_etag

from gains.access import get_scoped_or_404
from gains.api.pagination import ID
from gains.api.schemas import EstimateSchema, PooledArgsSchema, PooledEstimateSchema
from gains.extensions import db
from gains.models import Department, Improvement
from gains.services.dashboards import department_pooling
from gains.services.estimates import ESTIMATE_COLUMNS, ESTIMATION_METHODS, NoEstimate
from gains.services.estimates import current_estimate as compute_current_estimate

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


def estimate_etag(improvement: Improvement) -> str:
    """The estimate is a function of the data version (amendments of locked fields move it
    on too), so the version identifies the representation."""
    return f"estimate-{improvement.id}-v{improvement.data_version}"


def estimate_body(improvement: Improvement) -> dict[str, Any]:
    estimate = compute_current_estimate(improvement)
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
                "method_name": None,
                "computed_at": None,
                "result": None,
            }
        )
    return (
        body
        | {column: getattr(estimate, column) for column in ESTIMATE_COLUMNS}
        | {
            "available": True,
            "reason": None,
            "method_name": ESTIMATION_METHODS.get(estimate.method, (estimate.method,))[0],
            "computed_at": estimate.computed_at,
            "result": estimate.result,
        }
    )


@blueprint.get(f"/improvements/<{ID}:improvement_id>/estimate")
@blueprint.doc(parameters=[IF_NONE_MATCH_DOC])
@blueprint.response(200, EstimateSchema, headers=ETAG_DOC)
@blueprint.alt_response(304, description="Not modified: your copy is current", success=True)
def get_estimate(improvement_id: int):
    """The improvement's current estimate (computed once per data version and cached);
    `available` is false, with the reason, while there is not enough data."""
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    etag = estimate_etag(improvement)
    headers = {"ETag": quote_etag(etag), "Cache-Control": "private, max-age=0, must-revalidate"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    body = estimate_body(improvement)
    db.session.commit()  # keeps a newly computed estimate in the cache, as the page does
    return body, 200, headers


@blueprint.get(f"/departments/<{ID}:department_id>/pooled-estimate")
@blueprint.arguments(PooledArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, PooledEstimateSchema)
def get_pooled_estimate(department_id: int, method: str):
    """Random-effects pooling (DerSimonian-Laird or Paule-Mandel) of the department's
    approved improvements' Hedges' g, as on its dashboard: only with 3 or more."""
    department = get_scoped_or_404(Department, department_id, current_user)
    pooling = department_pooling(department.id, method)
    return {
        "department_id": department.id,
        "method": pooling.method,
        "studies": [
            asdict(study) | {"ci_low": study.ci[0], "ci_high": study.ci[1]}
            for study in pooling.studies
        ],
        "excluded_time_series": pooling.excluded_time_series,
        "excluded_no_effect_size": pooling.excluded_no_effect_size,
        "result": asdict(pooling.result) if pooling.result else None,
        "reason": pooling.reason,
    }
