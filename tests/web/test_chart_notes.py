"""Notes on an improvement's charts in the browser: added and deleted with plain forms (no
JavaScript) and with htmx, drawn on the weekly charts, refused outside the bounds and to
people who may not change the improvement, and never a reason to reopen review."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gains.extensions import db
from gains.models import AuditEvent, ChartNote, Improvement, Status, Team
from gains.services.estimates.charts import chart_data
from tests.api.conftest import find_improvement
from tests.conftest import DEMO_LOGINS, sign_in

HTMX = {"HX-Request": "true"}


def note_form(day: str, month: str, year: str, text: str) -> dict:
    return {"on_date": [day, month, year], "text": text}


def own(app, status: Status) -> int:
    return find_improvement(app, Team.name == "Benefit renewals", Improvement.status == status)


def notes_of(app, improvement_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (note.on_date.isoformat(), note.text)
            for note in db.session.scalars(
                select(ChartNote).where(ChartNote.improvement_id == improvement_id)
            )
        ]


def test_a_note_is_added_and_deleted_without_javascript(app, signed_in):
    client = signed_in("member")
    ident = own(app, Status.RUNNING)
    added = client.post(
        f"/improvements/{ident}/chart-notes", data=note_form("1", "3", "2026", "New script")
    )
    assert added.status_code == 303
    assert added.headers["Location"].endswith(f"/improvements/{ident}#chart-notes")
    assert notes_of(app, ident) == [("2026-03-01", "New script")]
    page = client.get(f"/improvements/{ident}").get_data(as_text=True)
    assert "Notes on the charts" in page and "New script" in page and "1 March 2026" in page
    with app.app_context():
        note_id = db.session.scalars(
            select(ChartNote.id).where(ChartNote.improvement_id == ident)
        ).one()
    delete_url = f"/improvements/{ident}/chart-notes/{note_id}/delete"
    assert f'href="{delete_url}"' in page

    asks = client.get(delete_url)
    assert asks.status_code == 200 and "Delete this note?" in asks.get_data(as_text=True)
    assert notes_of(app, ident) == [("2026-03-01", "New script")]  # GET never writes
    deleted = client.post(delete_url)
    assert deleted.status_code == 303 and notes_of(app, ident) == []
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.improvement_id == ident, AuditEvent.entity_type == "chart_notes"
            )
        ).all()
    assert actions == ["chart_note.added", "chart_note.deleted"]


def test_htmx_swaps_the_charts_panel_with_new_chart_urls(app, signed_in):
    client = signed_in("member")
    ident = own(app, Status.RUNNING)
    before = client.get(f"/improvements/{ident}/charts", headers=HTMX).get_data(as_text=True)
    response = client.post(
        f"/improvements/{ident}/chart-notes",
        data=note_form("2", "3", "2026", "Phone line opened"),
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="charts-panel"')
    assert "Phone line opened" in html and "<h1" not in html
    assert "notes=0-0" in before and "notes=1-" in html  # the drawings are fetched again
    problem = client.post(
        f"/improvements/{ident}/chart-notes", data=note_form("", "", "", ""), headers=HTMX
    )
    shown = problem.get_data(as_text=True)
    assert problem.status_code == 200  # htmx swaps only a 200
    assert "Enter the date of the note" in shown and "Enter the note" in shown


def test_dates_and_text_outside_the_bounds_are_clear_errors(app, signed_in):
    client = signed_in("member")
    ident = own(app, Status.RUNNING)
    cases = [
        (note_form("1", "1", "0001", "Old"), "Enter a date between 1 January 1990 and"),
        (note_form("1", "1", "0", "Year nought"), "must be a real date"),
        (note_form("31", "2", "2026", "No such day"), "must be a real date"),
        (note_form("1", "", "2026", "No month"), "Date must include a month"),
        (note_form("1", "3", "2026", "x" * 201), "Note must be 200 characters or fewer"),
        (note_form("1", "3", "2026", "   "), "Enter the note"),
    ]
    for data, message in cases:
        response = client.post(f"/improvements/{ident}/chart-notes", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (data, page[:300])
        assert message in page, data
        assert "govuk-error-summary" in page
    assert notes_of(app, ident) == []


def test_only_people_who_may_change_the_improvement_write_notes(app, signed_in):
    ident = own(app, Status.RUNNING)
    data = note_form("1", "3", "2026", "Mine")
    treasury = signed_in("treasury")
    assert treasury.post(f"/improvements/{ident}/chart-notes", data=data).status_code == 403
    page = treasury.get(f"/improvements/{ident}").get_data(as_text=True)
    assert 'id="chart-note-add"' not in page
    other = find_improvement(app, Team.name != "Benefit renewals")
    member = app.test_client()
    assert sign_in(member, DEMO_LOGINS["member"]).status_code == 303
    assert member.post(f"/improvements/{other}/chart-notes", data=data).status_code == 404
    assert notes_of(app, ident) == [] and notes_of(app, other) == []


def test_a_note_on_an_approved_improvement_keeps_it_approved(app, signed_in):
    client = signed_in("member")
    ident = own(app, Status.APPROVED)
    page = client.get(f"/improvements/{ident}").get_data(as_text=True)
    assert 'id="chart-note-add"' in page
    response = client.post(
        f"/improvements/{ident}/chart-notes", data=note_form("1", "3", "2026", "Training day")
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Improvement, ident).status is Status.APPROVED


def test_notes_are_drawn_on_the_weekly_charts(app, signed_in):
    client = signed_in("admin")
    with app.app_context():
        ident = db.session.scalars(
            select(Improvement.id).where(Improvement.title == "Same-day discharge checklist")
        ).one()
        _, weekly = chart_data(db.session.get(Improvement, ident))
        inside = weekly.weeks[len(weekly.weeks) // 2] + timedelta(days=2)
        outside = weekly.weeks[-1] + timedelta(days=30)
    for day, words in ((inside, "Ward round moved"), (outside, "Long after the data")):
        client.post(
            f"/improvements/{ident}/chart-notes",
            data=note_form(str(day.day), str(day.month), str(day.year), words),
        )
    for kind in ("xmr", "run"):
        svg = client.get(f"/improvements/{ident}/charts/{kind}.svg").get_data(as_text=True)
        assert ">Ward round moved</text>" in svg, kind
        assert ">Long after the data</text>" not in svg  # listed under the charts only
        assert "Team's note" in svg and "Ward round moved." in svg  # legend; description
    page = client.get(f"/improvements/{ident}").get_data(as_text=True)
    assert "Long after the data" in page
