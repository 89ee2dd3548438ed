"""A complete, valid "register an improvement" form, for the web tests that post it.

`MEMBER_TEAM` is filled by the `member_team` fixture (tests/web/conftest.py) with the demo
member's team id, so `form_data()` picks a team the signed-in member belongs to.
"""

from __future__ import annotations

MEMBER_TEAM: dict[str, int] = {}


def form_data(**changes) -> dict:
    data = {
        "team": str(MEMBER_TEAM.get("id", "")),
        "title": "Shorter renewal letter",
        "kind": "marginal_gain",
        "pillar": "engaging_users",
        "hypothesis": "A one-page letter gets more renewals back on time.",
        "metric_name": "Time to complete",
        "metric_unit": "min",
        "direction": "lower",
        "unit_of_observation": "renewal",
        "scale": "1",
        "design": "before_after",
        "planned_sample_size": "120",
        "expected_effect": "-2.5",
        "implementation_cost": "£1,250.50",
        "annual_volume": "410,000",
        "value_per_unit_gbp": "0.45",
        "cashable": "no",
        "go_live_on": ["3", "8", "2026"],
        "ended_on": ["", "", ""],
    }
    data.update(changes)
    return data
