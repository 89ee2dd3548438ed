"""Each role's home page is a task list from real queries."""

import re

from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Department, Improvement, Status, Team, User
from tests.support.factories import person


def count_in(html: str, key: str) -> int:
    section = html.split(f'id="tasks-{key}"')[1]
    return int(re.search(r'app-count">(\d+)<', section).group(1))


def improvements(app, *criteria):
    with app.app_context():
        return db.session.scalars(
            select(Improvement).join(Team).join(Department).where(*criteria)
        ).all()


def test_member_sees_their_team_work(app, signed_in):
    html = signed_in("member").get("/").get_data(as_text=True)
    team = (Team.name == "Benefit renewals", Department.code == "WKP")
    drafts = improvements(app, *team, Improvement.status == Status.DRAFT)
    running = improvements(app, *team, Improvement.status == Status.RUNNING)
    waiting = improvements(app, *team, Improvement.status == Status.SUBMITTED)
    assert count_in(html, "drafts") == len(drafts) > 0
    assert count_in(html, "running") == len(running) > 0
    assert count_in(html, "awaiting_review") == len(waiting) > 0
    for improvement in drafts + running + waiting:
        assert improvement.title in html
    # Another team's work in the same department is not the member's.
    for other in improvements(app, Team.name == "Casework"):
        assert other.title not in html
    assert "tasks-to_review" not in html


def test_manager_sees_the_review_queue_without_their_own(app, signed_in):
    html = signed_in("manager").get("/").get_data(as_text=True)
    with app.app_context():
        manager = person(db.session, "manager")
        queue = db.session.scalars(
            select(Improvement).where(
                Improvement.department_id == manager.department_id,
                Improvement.status == Status.SUBMITTED,
                Improvement.created_by_id != manager.id,
            )
        ).all()
    assert count_in(html, "to_review") == len(queue) > 0
    for improvement in queue:
        assert improvement.title in html
    for outsider in improvements(
        app, Department.code != "WKP", Improvement.status == Status.SUBMITTED
    ):
        assert outsider.title not in html


def test_treasury_sees_figures_to_check_across_departments(app, signed_in):
    html = signed_in("treasury").get("/").get_data(as_text=True)
    assert "tasks-newly_approved" in html
    # The demo's reopened improvement: approved, then new data arrived.
    assert count_in(html, "reopened") == 1
    assert "Wrap-up codes reduced from 40 to 12" in html


def test_admin_sees_administration_tasks(app, signed_in):
    client = signed_in("admin")
    with app.app_context():
        db.session.add(Department(name="Empty Office", code="EMP"))
        db.session.commit()
        people_without_password = db.session.scalar(
            select(func.count()).select_from(User).where(User.password_hash.is_(None))
        )
    html = client.get("/").get_data(as_text=True)
    assert count_in(html, "empty_departments") == 1
    assert "Empty Office" in html
    assert count_in(html, "invited") == people_without_password
