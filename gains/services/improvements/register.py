"""The improvements register's filters and sorts, shared by the web list and the API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, false, or_

from gains.bounds import can_match_stored_text
from gains.models import Design, Improvement, ImprovementKind, Pillar, Status

ORDERINGS = {
    "updated": (Improvement.updated_at.desc(), Improvement.id.desc()),
    "title": (Improvement.title, Improvement.id),
    "go_live": (Improvement.go_live_on.desc(), Improvement.id.desc()),
    "status": (Improvement.status, Improvement.title),
}


@dataclass(frozen=True)
class RegisterFilters:
    q: str = ""
    department_id: int | None = None
    team_id: int | None = None
    kind: ImprovementKind | None = None
    pillar: Pillar | None = None
    status: Status | None = None
    design: Design | None = None


def filter_register(stmt: Select, filters: RegisterFilters) -> Select:
    """Narrow a (scoped) SELECT of improvements by the register's filters."""
    for column, value in (
        (Improvement.kind, filters.kind),
        (Improvement.pillar, filters.pillar),
        (Improvement.status, filters.status),
        (Improvement.design, filters.design),
        (Improvement.department_id, filters.department_id),
        (Improvement.team_id, filters.team_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    text = filters.q.strip()
    if text and not can_match_stored_text(text):
        return stmt.where(false())  # a search for NUL would fail, not find nothing
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            or_(Improvement.title.ilike(pattern), Improvement.hypothesis.ilike(pattern))
        )
    return stmt


def order_register(stmt: Select, sort: str) -> Select:
    return stmt.order_by(*ORDERINGS.get(sort, ORDERINGS["updated"]))
