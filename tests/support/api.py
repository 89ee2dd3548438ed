"""Registering an improvement through the API, as the API tests of registration and of the
input bounds both do."""

from __future__ import annotations

from sqlalchemy import select

from gains.extensions import db
from gains.models import Team

# A complete, valid registration body; `register` adds the team and any changes.
PLAN = {
    "title": "Shorter renewal letter (API)",
    "kind": "marginal_gain",
    "pillar": "engaging_users",
    "hypothesis": "A one-page letter gets more renewals back on time.",
    "metric_name": "Time to complete",
    "metric_unit": "min",
    "direction": "lower",
    "unit_of_observation": "renewal",
    "design": "before_after",
    "implementation_cost_pence": 120000,
    "annual_volume": 10000,
    "value_per_unit_gbp": "0.45",
    "go_live_on": "2026-05-01",
}


def team_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Team.id).where(Team.name == name)).one()


def register(app, client, headers, team="Benefit renewals", **changes):
    body = PLAN | {"team_id": team_id(app, team)} | changes
    return client.post("/api/v1/improvements", json=body, headers=headers)
