"""Chart notes through the API: add and list, the same bounds and rights as the web, and a
note on an approved improvement leaves it approved."""

from __future__ import annotations

import pytest

from gains.extensions import db
from gains.models import Improvement, Status, Team
from tests.api.conftest import assert_problem, find_improvement


def notes_url(improvement_id: int) -> str:
    return f"/api/v1/improvements/{improvement_id}/chart-notes"


def test_a_note_is_added_and_listed_without_reopening_review(app, client, bearer):
    approved = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.APPROVED
    )
    with app.app_context():
        version = db.session.get(Improvement, approved).data_version
    response = client.post(
        notes_url(approved),
        json={"on_date": "2026-03-01", "text": "New script from 1 March"},
        headers=bearer("member"),
    )
    assert response.status_code == 201, response.get_json()
    note = response.get_json()
    assert note["on_date"] == "2026-03-01" and note["improvement_id"] == approved
    listed = client.get(notes_url(approved), headers=bearer("treasury")).get_json()
    # The demo's own note (September 2025) first: by date.
    assert [item["text"] for item in listed["items"]][-1] == "New script from 1 March"
    assert [item["on_date"] for item in listed["items"]] == sorted(
        item["on_date"] for item in listed["items"]
    )
    with app.app_context():
        improvement = db.session.get(Improvement, approved)
        assert improvement.status is Status.APPROVED
        assert improvement.data_version == version


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"on_date": "0001-01-01", "text": "Old"}, "Enter a date between 1 January 1990"),
        ({"on_date": "2026-02-30", "text": "Not a day"}, "date"),
        ({"on_date": "2026-03-01", "text": "x" * 201}, "200 characters or fewer"),
        ({"on_date": "2026-03-01", "text": "   "}, "Enter the note"),
        ({"on_date": "2026-03-01", "text": "tab\there"}, "control characters"),
    ],
)
def test_notes_outside_the_bounds_are_refused(app, client, bearer, body, message):
    running = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.RUNNING
    )
    response = client.post(notes_url(running), json=body, headers=bearer("member"))
    problem = assert_problem(response, 422)
    assert message.lower() in str(problem).lower()
    listed = client.get(notes_url(running), headers=bearer("member")).get_json()
    assert listed["total"] == 0


def test_only_people_who_may_change_the_improvement_add_notes(app, client, bearer):
    running = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.RUNNING
    )
    body = {"on_date": "2026-03-01", "text": "Mine"}
    assert_problem(client.post(notes_url(running), json=body, headers=bearer("treasury")), 403)
    assert_problem(client.post(notes_url(running), json=body), 401)
