"""PDSA cycles through the API: the same rules and audit as the web (decision 0048)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import AuditEvent, Improvement, Status, Team
from tests.api.conftest import find_improvement


@pytest.fixture
def api(client, bearer):
    """`api("member").get(...)`: the client with that role's bearer token."""

    class Signed:
        def __init__(self, role):
            self.headers = bearer(role)

        def __getattr__(self, method):
            return lambda url, **kwargs: getattr(client, method)(
                url, headers=self.headers, **kwargs
            )

    return Signed


def own(app, status: Status) -> int:
    return find_improvement(app, Team.name == "Benefit renewals", Improvement.status == status)


START = {"plan": "One-page letter", "prediction": "Two minutes quicker", "started_on": "2026-06-01"}


def test_cycles_are_started_read_and_ended(app, api):
    ident = own(app, Status.RUNNING)
    base = f"/api/v1/improvements/{ident}/cycles"
    assert api("member").get(base).get_json() == []
    created = api("member").post(base, json=START)
    assert created.status_code == 201
    cycle = created.get_json()
    assert cycle["number"] == 1 and cycle["ended_on"] is None and cycle["adopted"] is False
    assert cycle["estimate"]["no_estimate_reason"].startswith("No measurements after go-live")

    rows = {"rows": [{"phase": "after", "value": 8.0}, {"phase": "after", "value": 9.0}]}
    batch = api("member").post(f"/api/v1/improvements/{ident}/measurements", json=rows).get_json()
    assert batch["cycle"] == 1

    open_again = api("member").post(base, json=START)
    assert open_again.status_code == 409
    ended = api("member").patch(
        f"{base}/1", json={"ended_on": "2026-06-30", "act_decision": "adopt"}
    )
    assert ended.status_code == 200
    body = ended.get_json()
    assert body["act_decision"] == "adopt" and body["adopted"] is True
    assert body["estimate"]["n_after"] == 2 and body["estimate"]["effect"] is not None
    listed = api("treasury").get(base).get_json()
    assert [c["number"] for c in listed] == [1]
    improvement = api("member").get(f"/api/v1/improvements/{ident}").get_json()
    assert improvement["links"]["cycles"].endswith(f"/improvements/{ident}/cycles")
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "cycles")
        ).all()
    assert actions[-2:] == ["cycle.started", "cycle.ended"]


def test_wrong_values_are_422_and_others_403_or_404(app, api):
    ident = own(app, Status.RUNNING)
    base = f"/api/v1/improvements/{ident}/cycles"
    assert api("member").post(base, json=START | {"plan": " "}).status_code == 422
    assert api("member").post(base, json=START | {"started_on": "1900-01-01"}).status_code == 422
    assert api("treasury").post(base, json=START).status_code == 403
    assert api("member").patch(f"{base}/7", json={"notes": "x"}).status_code == 404
    api("member").post(base, json=START)
    early = api("member").patch(f"{base}/1", json={"ended_on": "2026-05-01"})
    assert early.status_code == 422
    no_end = api("member").patch(f"{base}/1", json={"notes": "Going well"})
    assert no_end.status_code == 422
