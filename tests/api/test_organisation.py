"""Departments and teams through the API, scoped as on the web, with pagination."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import Department, Team
from tests.api.conftest import assert_problem


def ids(app, model, *criteria) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(model.id).where(*criteria)))


@pytest.mark.parametrize("role_name", ["member", "manager"])
def test_members_and_managers_see_their_own_department(app, client, bearer, role_name):
    headers = bearer(role_name)
    body = client.get("/api/v1/departments", headers=headers).get_json()
    wkp = ids(app, Department, Department.code == "WKP")
    assert {d["id"] for d in body["items"]} == wkp
    teams = client.get("/api/v1/teams", headers=headers).get_json()
    assert {t["id"] for t in teams["items"]} == ids(app, Team, Team.department_id.in_(wkp))


@pytest.mark.parametrize("role_name", ["treasury", "admin"])
def test_treasury_and_admin_see_every_department(app, client, bearer, role_name):
    body = client.get("/api/v1/departments?per_page=100", headers=bearer(role_name)).get_json()
    assert {d["id"] for d in body["items"]} == ids(app, Department)


def test_another_departments_records_are_404_as_on_the_web(app, client, bearer):
    headers = bearer("manager")
    (other,) = ids(app, Department, Department.code == "REV")
    assert_problem(client.get(f"/api/v1/departments/{other}", headers=headers), 404)
    team = min(ids(app, Team, Team.department_id == other))
    assert_problem(client.get(f"/api/v1/teams/{team}", headers=headers), 404)
    listed = client.get(f"/api/v1/teams?department_id={other}", headers=headers).get_json()
    assert listed["items"] == [] and listed["total"] == 0


def test_pages_link_to_each_other_in_the_body_and_the_link_header(app, client, bearer):
    headers = bearer("admin")
    total = len(ids(app, Team))
    first = client.get("/api/v1/teams?per_page=3", headers=headers)
    body = first.get_json()
    assert body["total"] == total and body["pages"] == -(-total // 3)
    assert len(body["items"]) == 3 and "prev" not in body["links"]
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    seen = [t["id"] for t in body["items"]]
    url = body["links"]["next"]
    while url:
        page = client.get(url, headers=headers).get_json()
        seen += [t["id"] for t in page["items"]]
        url = page["links"].get("next")
    assert sorted(seen) == sorted(ids(app, Team)) and len(seen) == total
    past = client.get(f"/api/v1/teams?per_page=3&page={body['pages'] + 5}", headers=headers)
    assert past.status_code == 200 and past.get_json()["items"] == []


@pytest.mark.parametrize("query", ["per_page=0", "per_page=101", "page=0", "page=x"])
def test_page_bounds_are_validation_problems(client, bearer, query):
    body = assert_problem(client.get(f"/api/v1/teams?{query}", headers=bearer("admin")), 422)
    field = query.split("=")[0]
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["location"] == "query"
