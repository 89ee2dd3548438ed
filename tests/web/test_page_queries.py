"""The improvement list and the improvement page load what they show in bulk.

Every row of the list names its team and department; loaded lazily, that is one query per
row (two per row on PostgreSQL, where the composite team key misses the identity map), and
most of a list request's time on a real register.
"""

import re

from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Improvement

ONE_TEAM = re.compile(r"FROM teams\s+WHERE", re.IGNORECASE)
ONE_DEPARTMENT = re.compile(r"FROM departments\s+WHERE departments\.id = ", re.IGNORECASE)


def test_the_list_loads_teams_and_departments_with_the_rows(app, signed_in, statements):
    with app.app_context():
        teams = db.session.scalar(select(func.count(func.distinct(Improvement.team_id))))
    assert teams > 1  # the demo register spans teams, so lazy loading would show
    client = signed_in("treasury")
    statements.clear()
    response = client.get("/improvements/?sort=title")
    assert response.status_code == 200
    one_by_one = [s for s in statements if ONE_TEAM.search(s) or ONE_DEPARTMENT.search(s)]
    assert not one_by_one, f"{len(one_by_one)} single-row loads, e.g. {one_by_one[0][:200]}"
    # Session user, filter choices (2), the page's ids with the total, its rows, the kept
    # measurement counts, and a count from the rows for the improvements without data yet.
    assert len(statements) <= 9, statements


def test_the_improvement_page_loads_its_team_and_department_with_it(app, signed_in, statements):
    with app.app_context():
        improvement_id = db.session.scalar(select(func.min(Improvement.id)))
    client = signed_in("admin")
    statements.clear()
    response = client.get(f"/improvements/{improvement_id}")
    assert response.status_code == 200
    one_by_one = [s for s in statements if ONE_TEAM.search(s) or ONE_DEPARTMENT.search(s)]
    assert not one_by_one, f"{len(one_by_one)} single-row loads, e.g. {one_by_one[0][:200]}"


def test_the_lists_results_and_savings_cost_no_query_per_row(app, signed_in, statements):
    """Each row's result and saving come from one query over the page's cached estimates
    and the remembered prices (issue 21): a page of many rows runs as many statements as a
    page of one."""
    client = signed_in("treasury")
    with app.app_context():
        title = db.session.scalar(select(Improvement.title).order_by(Improvement.id))
    client.get("/improvements/?sort=title")  # prices remembered: the later loads compare alike
    client.get("/improvements/", query_string={"q": title})
    statements.clear()
    many = client.get("/improvements/?sort=title")
    many_statements = len(statements)
    statements.clear()
    one = client.get("/improvements/", query_string={"q": title})
    assert many.status_code == one.status_code == 200
    assert many.get_data(as_text=True).count('class="govuk-table__row"') > 3
    assert len(statements) == many_statements, statements
