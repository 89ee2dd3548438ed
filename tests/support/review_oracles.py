"""Oracles for the review queue's adjusted p-values, computed by hand rather than by the app."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from gains.models import Department, Improvement
from gains.services.estimates.current import current_estimate
from gains.stats.money import financial_year_start


def bh_by_hand(p_values: dict[int, float]) -> dict[int, float]:
    """Benjamini & Hochberg (1995), as in the textbook: rank ascending, p(i)·m/i, then a
    running minimum from the largest rank down, capped at 1."""
    m = len(p_values)
    ranked = sorted(p_values.items(), key=lambda item: item[1])
    adjusted, running = {}, 1.0
    for i in range(m, 0, -1):
        key, p = ranked[i - 1]
        running = min(running, p * m / i)
        adjusted[key] = running
    return adjusted


def family_p_values(session, department_code: str, day: date) -> dict[int, float]:
    """Raw p of the department's submissions in the financial year containing `day`."""
    start = financial_year_start(day)
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    until = since.replace(year=start.year + 1)
    members = session.scalars(
        select(Improvement)
        .join(Department, Department.id == Improvement.department_id)
        .where(
            Department.code == department_code,
            Improvement.submitted_at >= since,
            Improvement.submitted_at < until,
        )
    ).all()
    raw = {member.id: current_estimate(member).p_value for member in members}
    return {key: p for key, p in raw.items() if p is not None}
