"""The API's side of issue 22: the improvement read carries its idea's links, adopting
through the API registers the same draft as the web, and an idea's pooled result."""

from __future__ import annotations

from sqlalchemy import select

from gains.extensions import db
from gains.models import Improvement
from tests.api.conftest import find_improvement

ORIGINAL = "Text before a fine is escalated"
RENEWALS = "Renewal reminder by text as well as letter"


def test_the_improvement_read_links_its_idea(app, client, bearer):
    renewals = find_improvement(app, Improvement.title == RENEWALS)
    original = find_improvement(app, Improvement.title == ORIGINAL)
    body = client.get(f"/api/v1/improvements/{renewals}", headers=bearer("member")).get_json()
    assert body["adopted_from"]["id"] == original
    assert body["adopted_from"]["reference"] == f"REV-{original:04d}"
    assert body["adoptions"] == []
    listed = client.get(
        "/api/v1/improvements", query_string={"per_page": 100}, headers=bearer("treasury")
    ).get_json()
    (row,) = [item for item in listed["items"] if item["id"] == original]
    assert len(row["adoptions"]) == 3 and row["adopted_from"] is None


def test_adopting_through_the_api(app, client, bearer):
    source = find_improvement(app, Improvement.title == "Pre-fill known fields on the renewal form")
    url = f"/api/v1/improvements/{source}/adopt"
    member = bearer("member")
    created = client.post(url, json={"title": "Pre-fill it"}, headers=member)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["adopted_from"]["id"] == source and body["status"] == "draft"
    assert body["annual_volume"] is None and body["go_live_on"] is None
    again = client.post(url, json={"title": "Pre-fill it"}, headers=member)
    assert again.status_code == 409  # the department has that title now
    assert client.post(url, json={}, headers=bearer("treasury")).status_code == 403
    assert client.post(url, json={"title": "x" * 201}, headers=member).status_code == 422


def test_an_idea_pooled_over_what_the_caller_may_read(app, client, bearer):
    original = find_improvement(app, Improvement.title == ORIGINAL)
    everything = client.get(f"/api/v1/ideas/{original}", headers=bearer("treasury")).get_json()
    assert everything["scale"] == "relative" and len(everything["items"]) == 3
    assert everything["result"]["k"] == 3 and everything["not_shown"] == 0
    renewals = find_improvement(app, Improvement.title == RENEWALS)
    member = bearer("member")
    mine = client.get(f"/api/v1/ideas/{renewals}", headers=member).get_json()
    assert [item["improvement_id"] for item in mine["items"]] == [renewals]
    assert mine["result"] is None and mine["not_shown"] == 3 and mine["reason"]
    with app.app_context():
        hidden = db.session.scalars(
            select(Improvement.id).where(Improvement.title == "Same-day discharge checklist")
        ).one()
    assert client.get(f"/api/v1/ideas/{hidden}", headers=member).status_code == 404
