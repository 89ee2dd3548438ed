"""Cumulative savings by month, claimed against validated, with Treasury's filters.

Like the Treasury dashboard it comes from (`services.treasury`), it is for treasury and
admin tokens only (403 for others): departments see their own savings on their dashboard.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from gains.api.schemas import SavingsArgsSchema, SavingsSeriesSchema
from gains.extensions import db
from gains.figures_cache import treasury_figures
from gains.models import Department, ImprovementKind, Pillar
from gains.models.base import utcnow
from gains.services.dashboards.treasury import TreasuryFilters, may_see_treasury

blueprint = Blueprint("api_savings", __name__, description="Cumulative savings (Treasury)")


def _month(text: str | None) -> date | None:
    if not text:
        return None
    year, month = (int(part) for part in text.split("-"))
    return date(year, month, 1)


@blueprint.get("/savings/cumulative")
@blueprint.arguments(SavingsArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, SavingsSeriesSchema)
def cumulative_savings(
    department_id: list[int] | None = None,
    pillar: Pillar | None = None,
    kind: ImprovementKind | None = None,
    start: str | None = None,
    end: str | None = None,
    level: int | None = None,
):
    """Net savings accrued month by month since the first go-live, claimed (current
    estimates) and validated (approvals at evidence level 3 and above), each with its 95%
    band, in pence; the validated annual total raw and shrunk (`validated_shrunk`, the one
    to bank), its whole-life NPV (`npv`), evidence level 2 apart (`reported`), and totals
    by evidence level. The bands of the annual and NPV totals include the input ranges and
    the correlation within a department (decision 0035)."""
    if not may_see_treasury(current_user):
        abort(403, message="Cumulative savings are for treasury and administrators")
    ids = tuple(sorted(set(department_id or ())))
    known = set(db.session.scalars(select(Department.id).where(Department.id.in_(ids))))
    unknown = [i for i in ids if i not in known]
    if unknown:
        abort(
            422,
            messages={"query": {"department_id": [f"No department {i}" for i in unknown]}},
        )
    filters = TreasuryFilters(
        department_ids=ids,
        pillar=pillar,
        kind=kind,
        start=_month(start),
        end=_month(end),
        level=level,
    )
    dashboard = treasury_figures(filters, utcnow().date())
    return {
        "filters": _described(filters),
        "months": [
            {**asdict(point), "month": f"{point.month:%Y-%m}"} for point in dashboard.months
        ],
        "claimed": dashboard.claimed,
        "validated": dashboard.honest.raw,
        "validated_shrunk": dashboard.honest.shrunk,
        "npv": dashboard.honest.npv,
        "npv_raw": dashboard.honest.npv_raw,
        "reported": dashboard.reported.raw,
        "by_evidence_level": [
            {**asdict(row), "evidence_level": row.value} for row in dashboard.by_evidence_level
        ],
    }


def _described(filters: TreasuryFilters) -> dict[str, Any]:
    return {
        "department_id": list(filters.department_ids),
        "pillar": filters.pillar.value if filters.pillar else None,
        "kind": filters.kind.value if filters.kind else None,
        "from": f"{filters.start:%Y-%m}" if filters.start else None,
        "to": f"{filters.end:%Y-%m}" if filters.end else None,
        "level": filters.level,
    }
