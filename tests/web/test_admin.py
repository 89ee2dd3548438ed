"""The administration pages: admins only; each action leaves exactly one audit event with
its before and after values, and a refused one leaves none."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import AuditEvent, Department, Team, User
from tests.conftest import DEMO_LOGINS, sign_in
from tests.support.factories import person

ADMIN_PAGES = (
    "/admin/",
    "/admin/departments",
    "/admin/departments/new",
    "/admin/departments/{department}",
    "/admin/departments/{department}/edit",
    "/admin/teams/{team}/edit",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/users/{user}/edit",
    "/admin/audit",
    "/admin/audit.csv",
)
ADMIN_POSTS = (
    "/admin/departments/new",
    "/admin/departments/{department}",
    "/admin/departments/{department}/edit",
    "/admin/teams/{team}/edit",
    "/admin/users/new",
    "/admin/users/{user}/edit",
    "/admin/users/{user}/deactivate",
    "/admin/users/{user}/reactivate",
    "/admin/users/{user}/sign-out-everywhere",
    "/admin/users/{user}/link",
)


def ids(app) -> dict[str, int]:
    with app.app_context():
        member = person(db.session, "member")
        return {"user": member.id, "team": member.team_id, "department": member.department_id}


def user_id(app, role: str) -> int:
    return ids(app)["user"] if role == "member" else _id_of(app, DEMO_LOGINS[role])


def _id_of(app, email: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.email == email)).one()


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def latest_events(app, n: int = 1) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(n))
        return list(events)


@pytest.mark.parametrize("role_name", ["member", "manager", "treasury"])
def test_only_admins_get_in(app, signed_in, role_name):
    client = signed_in(role_name)
    values = ids(app)
    before = audit_count(app)
    for path in ADMIN_PAGES:
        assert client.get(path.format(**values)).status_code == 403, path
    for path in ADMIN_POSTS:
        assert client.post(path.format(**values), data={"name": "x"}).status_code == 403, path
    assert audit_count(app) == before
    assert "Admin</a>" not in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    values = ids(app)
    for path in ADMIN_PAGES:
        response = client.get(path.format(**values))
        assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_admin_reads_every_page(app, signed_in):
    client = signed_in("admin")
    values = ids(app)
    for path in ADMIN_PAGES:
        response = client.get(path.format(**values))
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in home and 'href="/account/"' in home


def test_departments_are_created_renamed_and_get_teams(app, signed_in):
    client = signed_in("admin")
    before = audit_count(app)
    created = client.post("/admin/departments/new", data={"name": "Coastguard", "code": "hmcg"})
    assert created.status_code == 303
    with app.app_context():
        department = db.session.scalars(select(Department).where(Department.code == "HMCG")).one()
        department_id = department.id
    event = latest_events(app)[0]
    assert event.department_id == department_id
    assert (event.action, event.after) == (
        "department.created",
        {"name": "Coastguard", "code": "HMCG"},
    )
    renamed = client.post(
        f"/admin/departments/{department_id}/edit", data={"name": "HM Coastguard", "code": "HMCG"}
    )
    assert renamed.status_code == 303
    event = latest_events(app)[0]
    assert (event.action, event.before, event.after) == (
        "department.updated",
        {"name": "Coastguard"},
        {"name": "HM Coastguard"},
    )
    team = client.post(f"/admin/departments/{department_id}", data={"name": "Search and rescue"})
    assert team.status_code == 303
    with app.app_context():
        team_id = db.session.scalars(select(Team.id).where(Team.name == "Search and rescue")).one()
    assert client.post(f"/admin/teams/{team_id}/edit", data={"name": "Rescue"}).status_code == 303
    event = latest_events(app)[0]
    assert (event.action, event.before, event.after) == (
        "team.updated",
        {"name": "Search and rescue"},
        {"name": "Rescue"},
    )
    assert audit_count(app) == before + 4
    page = client.get(f"/admin/departments/{department_id}").get_data(as_text=True)
    assert "HM Coastguard" in page and "Rescue" in page


def test_refused_department_and_team_changes_show_errors_and_write_nothing(app, signed_in):
    client = signed_in("admin")
    values = ids(app)
    before = audit_count(app)
    clash = client.post("/admin/departments/new", data={"name": "Anything", "code": "WKP"})
    assert clash.status_code == 422
    html = clash.get_data(as_text=True)
    assert "govuk-error-summary" in html and "already exists" in html
    bad_code = client.post("/admin/departments/new", data={"name": "Anything", "code": "W"})
    assert bad_code.status_code == 422
    assert "2 to 12 letters or digits" in bad_code.get_data(as_text=True)
    empty = client.post(f"/admin/departments/{values['department']}", data={"name": " "})
    assert empty.status_code == 422 and "Enter the team" in empty.get_data(as_text=True)
    taken = client.post(f"/admin/teams/{values['team']}/edit", data={"name": "Casework"})
    assert taken.status_code == 422 and "already has a team" in taken.get_data(as_text=True)
    assert audit_count(app) == before


def invite(client, **changes):
    data = {
        "email": "Ada.Lovelace@example.org",
        "name": "Ada Lovelace",
        "role": "treasury",
        "team": "",
    }
    return client.post("/admin/users/new", data=data | changes)


def link_in(html: str) -> str:
    match = re.search(r'id="set-password-link"[^>]*>([^<]+)<', html)
    assert match, html[:2000]
    return match.group(1).strip()


def test_an_invitation_makes_the_account_and_shows_a_one_time_link(app, signed_in):
    client = signed_in("admin")
    before = audit_count(app)
    response = invite(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Gains has not sent this to anyone" in html and "no mail" in html
    url = link_in(html)
    assert "/account/set-password/" in url
    assert audit_count(app) == before + 1
    event = latest_events(app)[0]
    assert event.action == "user.created"
    assert event.after == {
        "email": "ada.lovelace@example.org",
        "name": "Ada Lovelace",
        "role": "treasury",
        "team_id": None,
    }

    newcomer = app.test_client()
    path = url.split("localhost", 1)[1]
    assert "Set your password" in newcomer.get(path).get_data(as_text=True)
    done = newcomer.post(
        path, data={"password": "a long passphrase", "confirm": "a long passphrase"}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/auth/sign-in"
    assert latest_events(app)[0].action == "user.password_set"
    assert sign_in(newcomer, "ada.lovelace@example.org", "a long passphrase").status_code == 303
    assert newcomer.get("/").status_code == 200


def test_a_refused_invitation_shows_errors_and_writes_nothing(app, signed_in):
    client = signed_in("admin")
    before = audit_count(app)
    no_team = invite(client, role="member")
    assert no_team.status_code == 422
    assert "a service team member must belong to one" in no_team.get_data(as_text=True)
    taken = invite(client, email=DEMO_LOGINS["member"])
    assert taken.status_code == 422
    assert "There is already an account" in taken.get_data(as_text=True)
    bad = invite(client, email="not-an-email", name="")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Enter an email address in the correct format" in html and "Enter the person" in html
    assert audit_count(app) == before
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(User.email == "ada.lovelace@example.org"))
            == 0
        )


def test_changing_role_and_team(app, signed_in):
    client = signed_in("admin")
    values = ids(app)
    with app.app_context():
        casework = db.session.scalars(select(Team.id).where(Team.name == "Casework")).one()
    form = client.get(f"/admin/users/{values['user']}/edit").get_data(as_text=True)
    assert 'value="member" checked' in form
    before = audit_count(app)
    response = client.post(
        f"/admin/users/{values['user']}/edit",
        data={"name": "Priya Shah", "role": "manager", "team": str(casework)},
    )
    assert response.status_code == 303
    assert audit_count(app) == before + 1
    event = latest_events(app)[0]
    assert event.before == {"role": "member", "team_id": values["team"]}
    assert event.after == {"role": "manager", "team_id": casework}
    refused = client.post(
        f"/admin/users/{values['user']}/edit",
        data={"name": "Priya Shah", "role": "member", "team": ""},
    )
    assert refused.status_code == 422
    assert audit_count(app) == before + 1


def test_an_admin_cannot_lock_themselves_out(app, signed_in):
    client = signed_in("admin")
    admin_id = user_id(app, "admin")
    before = audit_count(app)
    page = client.get(f"/admin/users/{admin_id}").get_data(as_text=True)
    assert "Deactivate the account" not in page and "another administrator must" in page
    refused = client.post(f"/admin/users/{admin_id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account" in refused.get_data(as_text=True)
    demoted = client.post(
        f"/admin/users/{admin_id}/edit", data={"name": "Sam Reid", "role": "treasury", "team": ""}
    )
    assert demoted.status_code == 422
    assert "another administrator" in demoted.get_data(as_text=True)
    assert audit_count(app) == before
    assert client.get("/admin/").status_code == 200


def test_deactivation_signs_the_person_out_and_keeps_them_out(app, signed_in):
    admin = signed_in("admin")
    member = app.test_client()
    sign_in(member, DEMO_LOGINS["member"])
    assert member.get("/").status_code == 200
    member_id = ids(app)["user"]
    before = audit_count(app)
    assert admin.post(f"/admin/users/{member_id}/deactivate").status_code == 303
    assert member.get("/").status_code == 302
    assert sign_in(member, DEMO_LOGINS["member"]).status_code == 422
    assert admin.post(f"/admin/users/{member_id}/reactivate").status_code == 303
    assert [e.action for e in latest_events(app, 2)] == ["user.reactivated", "user.deactivated"]
    assert audit_count(app) == before + 2
    assert sign_in(member, DEMO_LOGINS["member"]).status_code == 303


def test_admin_signs_someone_out_everywhere(app, signed_in):
    admin = signed_in("admin")
    member = app.test_client()
    sign_in(member, DEMO_LOGINS["member"])
    assert member.get("/").status_code == 200
    member_id = ids(app)["user"]
    assert admin.post(f"/admin/users/{member_id}/sign-out-everywhere").status_code == 303
    assert latest_events(app)[0].action == "user.signed_out_everywhere"
    assert member.get("/").status_code == 302
    assert sign_in(member, DEMO_LOGINS["member"]).status_code == 303  # the password still works


def test_a_reset_link_is_shown_once_and_audited(app, signed_in):
    admin = signed_in("admin")
    member_id = ids(app)["user"]
    before = audit_count(app)
    response = admin.post(f"/admin/users/{member_id}/link")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Password reset link" in html and "current password keeps working" in html
    assert audit_count(app) == before + 1
    event = latest_events(app)[0]
    assert event.action == "user.reset_link_issued" and set(event.after) == {"expires_at"}
    path = link_in(html).split("localhost", 1)[1]
    member = app.test_client()
    assert (
        member.post(
            path, data={"password": "brand new password", "confirm": "brand new password"}
        ).status_code
        == 303
    )
    assert sign_in(member, DEMO_LOGINS["member"], "brand new password").status_code == 303


def test_the_people_list_filters(app, signed_in):
    client = signed_in("admin")
    values = ids(app)
    everyone = client.get("/admin/users").get_data(as_text=True)
    assert DEMO_LOGINS["treasury"] in everyone and DEMO_LOGINS["member"] in everyone
    managers = client.get(f"/admin/users?role=manager&department={values['department']}")
    html = managers.get_data(as_text=True)
    assert DEMO_LOGINS["manager"] in html and DEMO_LOGINS["member"] not in html
    assert DEMO_LOGINS["treasury"] not in html
    with app.app_context():
        db.session.get(User, values["user"]).active = False
        db.session.commit()
    deactivated = client.get("/admin/users?status=deactivated").get_data(as_text=True)
    assert DEMO_LOGINS["member"] in deactivated and DEMO_LOGINS["manager"] not in deactivated
    # A value that is not offered means "any", not an error.
    assert client.get("/admin/users?role=emperor&department=abc").status_code == 200


def test_the_audit_view_filters_and_exports(app, signed_in):
    client = signed_in("admin")
    values = ids(app)
    client.post(f"/admin/users/{values['user']}/sign-out-everywhere")
    admin_id = user_id(app, "admin")
    query = f"actor={admin_id}&action=user.signed_out_everywhere&entity_type=users"
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 event." in html and "Signed out everywhere" in html
    assert "Session version" in html and "→" in html
    export = client.get(f"/admin/audit.csv?{query}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert lines[0] == ["Gains audit trail"]
    header_at = next(i for i, line in enumerate(lines) if line and line[0] == "When (UTC)")
    filters = dict(line for line in lines[1:header_at] if len(line) == 2)
    assert filters["Action"] == "Signed out everywhere" and "Sam Reid" in filters["Actor"]
    rows = lines[header_at + 1 :]
    assert len(rows) == 1
    row = dict(zip(lines[header_at], rows[0], strict=True))
    assert row["Action"] == "Signed out everywhere" and row["Record id"] == str(values["user"])
    assert row["Changes"].startswith("Session version: ")
    everything = client.get("/admin/audit.csv").get_data(as_text=True)
    assert everything.count("\n") > len(lines)


def test_a_bad_date_in_the_audit_filters_is_explained(app, signed_in):
    client = signed_in("admin")
    response = client.get("/admin/audit?date_from=31/02/2026&date_to=2026-01-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and 'href="#date_from"' in html
    assert "From must be a real date" in html
    backwards = client.get("/admin/audit?date_from=2026-02-01&date_to=2026-01-01")
    assert "The end date must be the same as or after the start date" in backwards.get_data(
        as_text=True
    )
    assert client.get("/admin/audit?date_from=2026-01-01&date_to=01/02/2026").status_code == 200


def test_the_link_lifetime_comes_from_the_settings(app, signed_in, monkeypatch):
    from datetime import datetime, timedelta

    from gains.models.base import utcnow

    monkeypatch.setitem(app.config, "ACCOUNT_RESET_HOURS", 3)
    client = signed_in("admin")
    client.post(f"/admin/users/{ids(app)['user']}/link")
    expires_at = datetime.fromisoformat(latest_events(app)[0].after["expires_at"])
    assert abs(expires_at - (utcnow() + timedelta(hours=3))) < timedelta(minutes=1)


def test_the_admin_home_links_each_task_to_its_page(app, signed_in):
    client = signed_in("admin")
    invite(client)
    client.post("/admin/departments/new", data={"name": "Empty Office", "code": "EMP"})
    with app.app_context():
        invited_id = db.session.scalars(
            select(User.id).where(User.email == "ada.lovelace@example.org")
        ).one()
        empty_id = db.session.scalars(select(Department.id).where(Department.code == "EMP")).one()
    home = client.get("/").get_data(as_text=True)
    assert f'href="/admin/users/{invited_id}"' in home
    assert f'href="/admin/departments/{empty_id}"' in home


def test_a_department_page_counts_each_teams_active_people(app, session, signed_in):
    client = signed_in("admin")
    department = session.scalars(select(Department).where(Department.code == "WKP")).one()
    html = client.get(f"/admin/departments/{department.id}").get_data(as_text=True)
    cells = re.findall(
        r"<td class=\"govuk-table__cell govuk-table__cell--numeric\">(\d+)</td>", html
    )
    # Benefit renewals: the demo member; Casework: the demo manager and one more member.
    assert sorted(int(cell) for cell in cells) == [1, 2]
