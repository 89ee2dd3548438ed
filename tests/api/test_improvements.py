"""Improvements through the API: the register's filters, registration, editing and the
workflow, with the web's rules and audit events, and scoping (404 outside, 403 read-only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import AuditEvent, Department, Improvement, Status, Team
from gains.services.improvements.stopping import record_stop_reason
from gains.services.improvements.workflow import start as start_service
from tests.api.conftest import assert_problem, find_improvement
from tests.support.api import register
from tests.support.factories import person


def actions(app, improvement_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.entity_type == "improvements", AuditEvent.entity_id == improvement_id
                )
                .order_by(AuditEvent.id)
            )
        )


def test_the_register_filters_as_the_web_list_does(app, signed_in, bearer):
    client = signed_in("manager")
    headers = bearer("manager")
    for query in ("status=approved", "kind=no_extra_cost", "q=letter", "design=before_after"):
        api = client.get(f"/api/v1/improvements?{query}&per_page=100", headers=headers)
        api_titles = {item["title"] for item in api.get_json()["items"]}
        web = client.get(f"/improvements/?{query}").get_data(as_text=True)
        assert api_titles, query
        assert all(title in web for title in api_titles), query
        assert api.get_json()["total"] == len(api_titles)


def test_sorting_by_title(client, bearer):
    body = client.get(
        "/api/v1/improvements?sort=title&per_page=100", headers=bearer("admin")
    ).get_json()
    titles = [item["title"] for item in body["items"]]
    assert titles == sorted(titles)


def test_registering_makes_an_audited_draft(app, client, bearer):
    response = register(app, client, bearer("member"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft" and body["value_per_unit_gbp"] == "0.4500"
    assert response.headers["Location"].endswith(f"/api/v1/improvements/{body['id']}")
    assert (
        body["links"]["estimate"] == f"http://localhost/api/v1/improvements/{body['id']}/estimate"
    )
    assert actions(app, body["id"]) == ["improvement.created"]
    assert client.get(body["links"]["self"], headers=bearer("member")).get_json() == body


def test_registration_problems_name_the_fields(app, client, bearer):
    response = client.post(
        "/api/v1/improvements",
        json={"title": "", "kind": "big", "team_id": 1, "scale": 0, "surprise": 1},
        headers=bearer("member"),
    )
    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"title", "kind", "scale", "surprise", "hypothesis", "design"} <= fields
    assert all(e["location"] == "body" for e in body["errors"])


def test_service_rules_come_back_as_problems(app, client, bearer):
    headers = bearer("member")
    free = register(app, client, headers, kind="no_extra_cost")
    assert "no extra cost" in assert_problem(free, 422)["detail"]
    assert register(app, client, headers).status_code == 201
    assert "already has" in assert_problem(register(app, client, headers), 409)["detail"]


def test_a_member_cannot_register_for_another_team_or_department(app, client, bearer):
    headers = bearer("member")
    assert_problem(register(app, client, headers, team="Casework"), 403)  # readable team
    assert_problem(register(app, client, headers, team="Debt management"), 404)  # other dept


def test_reads_outside_scope_are_404_and_read_only_writes_403(app, client, bearer):
    other = find_improvement(app, Department.code == "REV")
    assert_problem(client.get(f"/api/v1/improvements/{other}", headers=bearer("member")), 404)
    assert_problem(
        client.patch(
            f"/api/v1/improvements/{other}", json={"title": "x"}, headers=bearer("manager")
        ),
        404,
    )
    treasury = bearer("treasury")
    assert client.get(f"/api/v1/improvements/{other}", headers=treasury).status_code == 200
    assert_problem(
        client.patch(f"/api/v1/improvements/{other}", json={"title": "x"}, headers=treasury), 403
    )
    casework = find_improvement(app, Team.name == "Casework")
    member = bearer("member")  # sees only their own team's improvements
    assert_problem(client.get(f"/api/v1/improvements/{casework}", headers=member), 404)
    assert_problem(client.post(f"/api/v1/improvements/{casework}/start", headers=member), 404)


def test_editing_follows_the_locks(app, client, bearer):
    headers = bearer("member")
    created = register(app, client, headers).get_json()
    url = created["links"]["self"]
    edited = client.patch(url, json={"hypothesis": "Shorter is quicker."}, headers=headers)
    assert edited.status_code == 200 and edited.get_json()["hypothesis"] == "Shorter is quicker."
    started = client.post(f"{url}/start", headers=headers).get_json()
    assert started["status"] == "running" and "hypothesis" in started["locked_fields"]
    locked = client.patch(url, json={"hypothesis": "Changed my mind."}, headers=headers)
    assert "locked" in assert_problem(locked, 409)["detail"]
    assert actions(app, created["id"]) == [
        "improvement.created",
        "improvement.updated",
        "improvement.start",
    ]


def test_transitions_follow_the_workflow(app, client, bearer):
    headers = bearer("member")
    url = register(app, client, headers).get_json()["links"]["self"]
    assert_problem(client.post(f"{url}/submit", headers=headers), 409)  # a draft
    client.post(f"{url}/start", headers=headers)
    missing = assert_problem(client.post(f"{url}/submit", headers=headers), 409)
    assert "measurements" in missing["detail"]
    no_reason = client.post(f"{url}/withdraw", json={}, headers=headers)
    assert [e["field"] for e in assert_problem(no_reason, 422)["errors"]] == ["reason"]
    withdrawn = client.post(f"{url}/withdraw", json={"reason": "Merged"}, headers=headers)
    assert withdrawn.get_json()["status"] == "withdrawn"


def test_a_recorded_stop_reason_is_read_with_the_improvement(app, client, bearer):
    headers = bearer("member")
    url = register(app, client, headers).get_json()["links"]["self"]
    started = client.post(f"{url}/start", headers=headers).get_json()
    assert (started["stopped_early_reason"], started["stopped_early_at"]) == (None, None)
    with app.app_context():
        improvement = db.session.get(Improvement, started["id"])
        record_stop_reason(person(db.session, "member"), improvement, "The data source ended")
        db.session.commit()
    read = client.get(url, headers=headers).get_json()
    assert read["stopped_early_reason"] == "The data source ended"
    assert read["stopped_early_at"] is not None


def test_a_manager_decides_through_the_review_service(app, client, bearer):
    submitted = find_improvement(
        app,
        Department.code == "WKP",
        Improvement.status == Status.SUBMITTED,
        Team.name == "Benefit renewals",
    )
    url = f"/api/v1/improvements/{submitted}/decision"
    refused = client.post(url, json={"decision": "rejected"}, headers=bearer("manager"))
    assert "comment" in assert_problem(refused, 409)["detail"]
    assert_problem(client.post(url, json={"decision": "approved"}, headers=bearer("member")), 403)
    decided = client.post(
        url,
        json={"decision": "changes_requested", "comment": "Add the control group"},
        headers=bearer("manager"),
    )
    assert decided.status_code == 200 and decided.get_json()["status"] == "changes_requested"
    assert actions(app, submitted)[-1] == "review.changes_requested"


@pytest.mark.parametrize("status", [Status.REJECTED, Status.WITHDRAWN])
def test_closed_improvements_cannot_start(app, client, bearer, status):
    closed = find_improvement(app, Improvement.status == status)
    assert_problem(
        client.post(f"/api/v1/improvements/{closed}/start", headers=bearer("admin")), 409
    )


def test_the_service_decides_start_rights_too(app, session):
    """The API calls the same function the web does: a sanity check of the shared rule."""
    draft = session.get(Improvement, find_improvement(app, Improvement.status == Status.DRAFT))
    with pytest.raises(Exception, match="outside your team"):
        start_service(person(session, "treasury"), draft)


def test_an_improvement_carries_its_reference(app, client, bearer):
    """Decision 0042: the reference its page shows, "WKP-0042", beside the id."""
    url = f"/api/v1/improvements/{find_improvement(app, Department.code == 'WKP')}"
    body = client.get(url, headers=bearer("admin")).get_json()
    assert body["reference"] == f"WKP-{body['id']:04d}"
