"""Try this in my team, and one idea's page (issue 22 items 2 and 3): the confirmation page
asks and writes nothing; the POST registers a draft copying the idea's design and nothing of
the first team's data, money or dates, linked to the original; an idea's page pools what the
reader may open, and the public one only what is published."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from gains.extensions import db
from gains.models import AuditEvent, Improvement, Status
from gains.services.ideas.adoption import ADOPTED_FIELDS
from gains.services.public.publication import publish
from tests.api.conftest import find_improvement
from tests.support.factories import person

ORIGINAL = "Text before a fine is escalated"  # REV, adopted in HLT, WKP and CTY (demo)
SMS = "SMS reminder states the cost of a missed appointment"  # HLT, approved


def improvement_id(app, title: str) -> int:
    return find_improvement(app, Improvement.title == title)


def count_improvements(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Improvement.id)).all())


def test_adopting_asks_first_then_registers_a_linked_draft(app, signed_in):
    client = signed_in("member")  # Benefit renewals (WKP): may read only their team's
    source = improvement_id(app, "Pre-fill known fields on the renewal form")
    before = count_improvements(app)
    asks = client.get(f"/improvements/{source}/adopt")
    page = asks.get_data(as_text=True)
    assert asks.status_code == 200 and "Try this idea in your team" in page
    assert "copies none of the other team's measurements" in page
    assert count_improvements(app) == before  # GET never writes

    taken = client.post(f"/improvements/{source}/adopt", data={"team": "0", "title": "x"})
    assert taken.status_code == 422  # not one of their teams

    with app.app_context():
        team_id = db.session.get(Improvement, source).team_id
    duplicate = client.post(
        f"/improvements/{source}/adopt",
        data={"team": str(team_id), "title": "Pre-fill known fields on the renewal form"},
    )
    assert duplicate.status_code == 422 and "already has" in duplicate.get_data(as_text=True)
    assert count_improvements(app) == before

    done = client.post(
        f"/improvements/{source}/adopt",
        data={"team": str(team_id), "title": "Pre-fill the change of address form"},
    )
    assert done.status_code == 303
    new_id = int(done.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        original = db.session.get(Improvement, source)
        adoption = db.session.get(Improvement, new_id)
        assert adoption.adopted_from_id == source and adoption.status is Status.DRAFT
        for name in ADOPTED_FIELDS:
            assert getattr(adoption, name) == getattr(original, name), name
        # Nothing of the first team's figures: no money, no dates, no plan sizes, no data.
        assert adoption.annual_volume is None and adoption.value_per_unit_gbp is None
        assert adoption.go_live_on is None and adoption.planned_sample_size is None
        assert adoption.implementation_cost_pence == 0 and not adoption.batches
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_id == new_id, AuditEvent.action == "improvement.adopted"
            )
        ).one()
        assert event.note.startswith(f"Adopted from {original.reference}")
    original_page = client.get(f"/improvements/{source}").get_data(as_text=True)
    assert "Pre-fill the change of address form" in original_page
    adoption_page = client.get(f"/improvements/{new_id}").get_data(as_text=True)
    assert 'id="adopted-from"' in adoption_page and original.reference in adoption_page


def test_an_adoption_of_an_adoption_points_at_the_original(app, signed_in):
    client = signed_in("member")
    adoption = improvement_id(app, "Renewal reminder by text as well as letter")
    original = improvement_id(app, ORIGINAL)
    with app.app_context():
        team_id = db.session.get(Improvement, adoption).team_id
    done = client.post(
        f"/improvements/{adoption}/adopt",
        data={"team": str(team_id), "title": "Text reminder for the annual review"},
    )
    assert done.status_code == 303
    new_id = int(done.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Improvement, new_id).adopted_from_id == original
        note = db.session.scalars(
            select(AuditEvent.note).where(
                AuditEvent.entity_id == new_id, AuditEvent.action == "improvement.adopted"
            )
        ).one()
        assert "through" in note


def test_outside_scope_and_unpublished_is_404_and_treasury_has_no_team(app, signed_in):
    hidden = find_improvement(
        app, Improvement.title == "Same-day discharge checklist"
    )  # HLT, not published
    client = signed_in("member")
    assert client.get(f"/improvements/{hidden}/adopt").status_code == 404
    assert client.post(f"/improvements/{hidden}/adopt", data={"title": "x"}).status_code == 404
    client.get("/auth/sign-out")


def test_the_idea_page_pools_what_the_reader_may_open(app, signed_in):
    original = improvement_id(app, ORIGINAL)
    treasury = signed_in("treasury")
    page = treasury.get(f"/ideas/{original}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="idea-pooled-result"' in text and "What to expect if you adopt it" in text
    assert "3 places in 3 departments" in text
    assert 'id="idea-not-started"' in text  # the council tax adoption was withdrawn
    assert "Try this in my team" not in text  # Treasury has no team
    assert treasury.get(f"/ideas/{original}/forest.svg").status_code == 200
    csv = treasury.get(f"/ideas/{original}/pooled.csv").get_data(as_text=True)
    assert "improvement_id,reference,title" in csv and "Pooled" in csv


def test_a_member_sees_only_their_own_place_and_is_told_of_the_others(app, signed_in):
    original = improvement_id(app, ORIGINAL)
    adoption = improvement_id(app, "Renewal reminder by text as well as letter")
    client = signed_in("member")
    # An adoption's id leads to its idea's page.
    moved = client.get(f"/ideas/{adoption}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/ideas/{original}")
    text = client.get(f"/ideas/{original}").get_data(as_text=True)
    assert 'id="idea-too-few"' in text and 'id="idea-not-shown"' in text
    assert "SMS reminder" not in text  # another department's title


def test_no_member_readable_is_404(app, signed_in):
    client = signed_in("member")
    other = improvement_id(app, "Same-day discharge checklist")
    assert client.get(f"/ideas/{other}").status_code == 404
    assert client.get(f"/ideas/{other}/pooled.csv").status_code == 404


def publish_titled(app, title: str, manager_email: str) -> int:
    with app.app_context():
        improvement = db.session.scalars(
            select(Improvement).where(Improvement.title == title)
        ).one()
        publish(person(db.session, manager_email), improvement, "A text reminder.")
        db.session.commit()
        return improvement.id


def test_the_public_pages_count_and_pool_published_places_only(app, client):
    original = publish_titled(app, ORIGINAL, "manager.rev@example.org")
    sms = publish_titled(app, SMS, "manager.hlt@example.org")
    entry = client.get(f"/register/improvements/{sms}").get_data(as_text=True)
    # The fines original and the renewals and council tax adoptions are past draft.
    assert "tried in 3 other teams, with 1 published result" in entry
    page = client.get(f"/register/ideas/{sms}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "The result across 2 places in 2 departments" in text
    assert 'id="idea-too-few"' in text and "2 more places tried this idea" in text
    assert "Renewal reminder" not in text and "Benefit renewals" not in text
    assert "Download these figures" not in text  # no CSV of an idea in public
    assert client.get(f"/register/ideas/{original}/forest.svg").status_code == 200
    running = improvement_id(app, "Renewal reminder by text as well as letter")
    assert client.get(f"/register/ideas/{running}").status_code == 404


def test_a_published_result_elsewhere_may_be_adopted(app, client, signed_in):
    sms = publish_titled(app, SMS, "manager.hlt@example.org")
    adopt_link = f'href="/improvements/{sms}/adopt"'
    assert adopt_link not in client.get(f"/register/improvements/{sms}").get_data(as_text=True)
    member = signed_in("member")  # Work and Pensions: cannot open the health trust's records
    assert adopt_link in member.get(f"/register/improvements/{sms}").get_data(as_text=True)
    assert member.get(f"/improvements/{sms}").status_code == 404
    asks = member.get(f"/improvements/{sms}/adopt")
    assert asks.status_code == 200
    assert f'href="/register/improvements/{sms}"' in asks.get_data(as_text=True)


def test_treasury_sees_which_ideas_spread_and_their_savings(app, signed_in):
    client = signed_in("treasury")
    page = client.get("/dashboards/treasury/ideas").get_data(as_text=True)
    assert ORIGINAL in page and 'id="ideas-spread"' in page
    body = client.get("/dashboards/treasury/ideas/spread.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO("original_id," + body.split("original_id,", 1)[1])))
    (idea,) = [row for row in rows if row.get("title") == ORIGINAL]
    assert idea["adoptions"] == "3" and idea["departments"] == "4" and idea["k"] == "3"
    assert "/dashboards/treasury/ideas" in client.get("/dashboards/treasury").get_data(as_text=True)
