"""An improvement's audit page: for whoever may read the improvement, and nobody else."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from gains.extensions import db
from gains.models import AuditEvent, Department, Improvement, Team
from gains.services.audit import log as audit_log
from tests.support.web import first_improvement_id_where


def test_the_improvement_page_links_to_its_audit_trail(app, signed_in):
    client = signed_in("member")
    improvement_id = first_improvement_id_where(app, Team.name == "Benefit renewals")
    html = client.get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert f'href="/improvements/{improvement_id}/audit"' in html


def test_the_audit_page_lists_the_improvement_events_with_their_changes(app, signed_in):
    client = signed_in("member")
    improvement_id = first_improvement_id_where(app, Team.name == "Benefit renewals")
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.improvement_id == improvement_id)
        ).all()
        others = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.improvement_id != improvement_id).limit(1)
        ).all()
    assert actions and others
    page = client.get(f"/improvements/{improvement_id}/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"{len(actions)} event" in html
    for action in set(actions):  # in words, never as the system names them
        assert audit_log.action_words(action) in unescape(html)
        assert action not in html


def test_scoping_follows_the_improvement(app, signed_in):
    own_team = first_improvement_id_where(app, Team.name == "Benefit renewals")
    colleague = first_improvement_id_where(app, Team.name == "Casework")
    other_department = first_improvement_id_where(app, Department.code == "REV")
    member = signed_in("member")
    assert member.get(f"/improvements/{own_team}/audit").status_code == 200
    assert member.get(f"/improvements/{colleague}/audit").status_code == 404
    assert member.get(f"/improvements/{other_department}/audit").status_code == 404
    member.post("/auth/sign-out")
    manager = signed_in("manager")
    assert manager.get(f"/improvements/{colleague}/audit").status_code == 200
    assert manager.get(f"/improvements/{other_department}/audit").status_code == 404
    manager.post("/auth/sign-out")
    for role in ("treasury", "admin"):
        reader = signed_in(role)
        assert reader.get(f"/improvements/{other_department}/audit").status_code == 200
        reader.post("/auth/sign-out")


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    improvement_id = first_improvement_id_where(app, Team.name == "Benefit renewals")
    response = client.get(f"/improvements/{improvement_id}/audit")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


# Every shape a JSON column can hand back, as a field value and as the whole before/after.
VALUE_SHAPES = {
    "none": None,
    "yes": True,
    "count": 7,
    "ratio": 0.25,
    "text": "<b>plain</b>",
    "list": [1, "two", None],
    "dict": {"date": "Date", "value": "Value"},
    "nested": {"columns": {"date": ["Date", {"deep": [True, 1.5]}]}, "empty": {}, "none": []},
    "team_id": {"not": "an id"},
    "status": ["approved"],
}


def test_every_stored_value_shape_renders_on_every_audit_page(app, signed_in):
    """A web upload stores its columns as a dict: the pages and the CSV showed a 500 from then
    on (a dict looked up as a team id). Any JSON shape must render, readably."""
    improvement_id = first_improvement_id_where(app, Team.name == "Benefit renewals")
    with app.app_context():
        improvement = db.session.get(Improvement, improvement_id)
        department_id = improvement.team.department_id
        shapes = [VALUE_SHAPES, None, [1, {"a": 2}], "a string", 3, {}]
        for before in shapes:
            db.session.add(
                AuditEvent(
                    actor_id=None,
                    department_id=department_id,
                    entity_type="improvements",
                    entity_id=improvement_id,
                    improvement_id=improvement_id,
                    action="odd.shapes",
                    before=before,
                    after=VALUE_SHAPES,
                )
            )
        db.session.commit()
    admin = signed_in("admin")
    pages = [
        f"/improvements/{improvement_id}/audit",
        "/admin/audit",
        "/admin/audit?action=odd.shapes",
        "/admin/audit.csv?action=odd.shapes",
    ]
    for url in pages:
        response = admin.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert "Odd: shapes" in text, url  # an action not listed, still in words
    html = admin.get("/admin/audit?action=odd.shapes").get_data(as_text=True)
    assert "date: Date, value: Value" in html
    assert "columns: (date: [Date, (deep: [Yes, 1.5])]), empty: (empty), none: (empty)" in html
    assert "&lt;b&gt;plain&lt;/b&gt;" in html and "<b>plain</b>" not in html
    csv = admin.get("/admin/audit.csv?action=odd.shapes").get_data(as_text=True)
    assert "Dict: date: Date, value: Value" in csv
