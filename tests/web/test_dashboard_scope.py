"""Dashboard counts and links as each person can follow them (issue 21, findability): every
count that links to the improvements list is the number of rows that list shows them, and
every improvement the dashboard links to opens for them."""

from __future__ import annotations

import html as markup
import re

import pytest
from sqlalchemy import select

from gains.demo.catalogue import PEOPLE
from gains.extensions import db
from gains.models import Department
from tests.conftest import sign_in

COUNT_LINK = re.compile(r'<a class="govuk-link" href="(/improvements/\?[^"]+)">([\d,]+)</a>')
IMPROVEMENT_LINK = re.compile(r'href="/improvements/(\d+)"')
LISTED = re.compile(r"([\d,]+) improvements?\b")


def _dashboards(app, client, department_code: str | None) -> list[str]:
    if department_code is not None:
        with app.app_context():
            department = db.session.scalars(
                select(Department.id).where(Department.code == department_code)
            ).one()
        return [f"/dashboards/departments/{department}"]
    listing = client.get("/dashboards/departments/").get_data(as_text=True)
    return sorted(set(re.findall(r'href="(/dashboards/departments/\d+)"', listing)))


@pytest.mark.parametrize(("email", "role", "department_code"), [(p[0], p[2], p[3]) for p in PEOPLE])
def test_dashboard_counts_equal_the_lists_they_open(app, client, email, role, department_code):
    assert sign_in(client, email).status_code == 303
    listed: dict[str, int] = {}
    opened: dict[str, int] = {}
    for dashboard in _dashboards(app, client, department_code):
        page = client.get(dashboard)
        assert page.status_code == 200, dashboard
        html = page.get_data(as_text=True)
        # A member counts only their team's improvements, and the page says so.
        assert ('id="counted-for-you"' in html) is (role == "member"), dashboard
        links = COUNT_LINK.findall(html)
        assert len(links) >= 10, dashboard  # status, pillar and kind tables
        for href, count in links:
            url = markup.unescape(href)
            if url not in listed:
                text = client.get(url).get_data(as_text=True)
                listed[url] = int(LISTED.search(text).group(1).replace(",", ""))
            assert listed[url] == int(count.replace(",", "")), (email, dashboard, url)
        for improvement_id in set(IMPROVEMENT_LINK.findall(html)):
            url = f"/improvements/{improvement_id}"
            opened.setdefault(url, client.get(url).status_code)
            assert opened[url] == 200, (email, dashboard, url)
