"""Dashboards load what they show in bulk: no improvement is reloaded row by row.

A commit in the middle of a request expires every loaded object, and the template then
reloads each improvement with its own SELECT (thousands on a real register). These pages
write nothing, so they must not commit before rendering.
"""

import re

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import Department

RELOAD_ONE = re.compile(r"FROM improvements\s+WHERE improvements\.id = ", re.IGNORECASE)


def department_ids(app) -> list[int]:
    with app.app_context():
        return db.session.scalars(select(Department.id)).all()


@pytest.mark.parametrize(("role", "page"), [("treasury", "treasury"), ("manager", "department")])
def test_dashboards_do_not_reload_improvements_one_by_one(app, signed_in, statements, role, page):
    client = signed_in(role)
    if page == "treasury":
        path = "/dashboards/treasury"
    else:
        path = client.get("/dashboards/departments/").headers["Location"]
    statements.clear()
    response = client.get(path)
    assert response.status_code == 200
    reloads = [s for s in statements if RELOAD_ONE.search(s)]
    assert not reloads, f"{len(reloads)} single-improvement reloads, e.g. {reloads[0][:200]}"
