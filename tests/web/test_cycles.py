"""PDSA cycles in the browser: a one-run improvement looks as before, cycles are started and
ended with plain forms (no JavaScript) and with htmx, measurements added while one is open are
its own, problems come back on the form, and readers see the cycles without the forms."""

from __future__ import annotations

from sqlalchemy import select

from gains.extensions import db
from gains.models import Cycle, Improvement, Status, Team, UploadBatch
from tests.api.conftest import find_improvement
from tests.conftest import DEMO_LOGINS, sign_in

HTMX = {"HX-Request": "true"}


def own(app, status: Status) -> int:
    return find_improvement(app, Team.name == "Benefit renewals", Improvement.status == status)


def start_form(plan="One-page letter", prediction="Two minutes quicker", day=("1", "6", "2026")):
    return {"plan": plan, "prediction": prediction, "started_on": list(day)}


def outcome_form(decision="adapt", notes="Slower than we thought", day=("30", "6", "2026")):
    return {"ended_on": list(day), "notes": notes, "act_decision": decision}


def cycles_of(app, improvement_id):
    with app.app_context():
        return [
            (c.number, c.ended_on is None, c.act_decision and c.act_decision.value)
            for c in db.session.scalars(
                select(Cycle).where(Cycle.improvement_id == improvement_id).order_by(Cycle.number)
            )
        ]


def test_a_one_run_improvement_shows_no_cycles_to_its_readers(app, signed_in):
    ident = own(app, Status.RUNNING)
    reader = signed_in("treasury").get(f"/improvements/{ident}").get_data(as_text=True)
    assert 'id="cycles"' not in reader and "PDSA" not in reader


def test_a_one_run_improvement_offers_its_team_cycles_folded_away(app, signed_in):
    ident = own(app, Status.RUNNING)
    member = signed_in("member").get(f"/improvements/{ident}").get_data(as_text=True)
    # To its team: one folded offer, no list.
    assert "Run this improvement in PDSA cycles" in member and "Cycle 1</h3>" not in member


def test_cycles_are_started_and_ended_without_javascript(app, signed_in):
    client = signed_in("member")
    ident = own(app, Status.RUNNING)
    started = client.post(f"/improvements/{ident}/cycles", data=start_form())
    assert started.status_code == 303
    assert started.headers["Location"].endswith(f"/improvements/{ident}#cycles")
    assert cycles_of(app, ident) == [(1, True, None)]
    added = client.post(
        f"/improvements/{ident}/measurements",
        data={"new-phase": "after", "new-group": "treatment", "new-value": "7.25"},
    )
    assert added.status_code == 303
    with app.app_context():
        newest = db.session.scalars(
            select(UploadBatch)
            .where(UploadBatch.improvement_id == ident)
            .order_by(UploadBatch.id.desc())
        ).first()
        assert newest.cycle is not None and newest.cycle.number == 1

    page = client.get(f"/improvements/{ident}/cycles/1")
    assert page.status_code == 200 and "Cycle 1: what happened" in page.get_data(as_text=True)
    ended = client.post(f"/improvements/{ident}/cycles/1", data=outcome_form())
    assert ended.status_code == 303 and cycles_of(app, ident) == [(1, False, "adapt")]
    shown = client.get(f"/improvements/{ident}").get_data(as_text=True)
    assert "PDSA cycles" in shown and "One-page letter" in shown and "Adapt" in shown
    assert "Estimate for this cycle" in shown and "Download the cycles (CSV)" in shown

    csv = client.get(f"/improvements/{ident}/cycles.csv").get_data(as_text=True)
    assert "cycle,plan,prediction,started_on,ended_on,notes,act_decision,adopted" in csv
    measurements = client.get(f"/improvements/{ident}/measurements.csv").get_data(as_text=True)
    header = next(line for line in measurements.splitlines() if line.startswith("measurement_id"))
    assert header.endswith(",value,cycle")
    assert any(line.endswith(",7.25,1") for line in measurements.splitlines())


def test_htmx_swaps_the_cycles_section_and_refreshes_the_estimate(app, signed_in):
    client = signed_in("member")
    ident = own(app, Status.RUNNING)
    response = client.post(f"/improvements/{ident}/cycles", data=start_form(), headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "measurements-changed"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("{#") is False and 'id="cycles"' in body
    assert "<html" not in body and "Cycle 1" in body


def test_problems_come_back_on_the_form_and_write_nothing(app, signed_in):
    client = signed_in("member")
    ident = own(app, Status.RUNNING)
    refused = client.post(f"/improvements/{ident}/cycles", data=start_form(plan=" "))
    assert refused.status_code == 422
    assert "Enter what you will try" in refused.get_data(as_text=True)
    assert cycles_of(app, ident) == []
    client.post(f"/improvements/{ident}/cycles", data=start_form())
    again = client.post(f"/improvements/{ident}/cycles", data=start_form())
    assert again.status_code == 422 and "Cycle 1 is still open" in again.get_data(as_text=True)
    early = client.post(
        f"/improvements/{ident}/cycles/1", data=outcome_form(day=("1", "1", "2026"))
    )
    assert early.status_code == 422
    assert "cannot end before the day it started" in early.get_data(as_text=True)
    assert cycles_of(app, ident) == [(1, True, None)]
    assert client.get(f"/improvements/{ident}/cycles/9").status_code == 404


def test_people_who_may_not_change_it_cannot_run_cycles(app, client):
    ident = own(app, Status.RUNNING)
    sign_in(client, DEMO_LOGINS["treasury"])
    assert client.post(f"/improvements/{ident}/cycles", data=start_form()).status_code == 403
    assert cycles_of(app, ident) == []


def test_the_review_page_shows_the_cycles_without_their_forms(app, signed_in):
    with app.app_context():
        ident = db.session.scalars(select(Improvement.id).where(Improvement.cycles.any())).one()
    client = signed_in("treasury")
    page = client.get(f"/reviews/{ident}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "PDSA cycles" in body and "Cycle 3" in body and "adopted change" in body
    # The improvement's own page lists each upload with its cycle.
    assert "after-cycle-3.csv (cycle 3)" in client.get(f"/improvements/{ident}").get_data(
        as_text=True
    )
    assert "Record what happened" not in body and 'id="cycle-start"' not in body
    assert "(cycle 2 starts)" in body  # the weekly tables say where the chart marks them
