"""Registering, editing, amending and moving an improvement through the web forms."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import Amendment, AuditEvent, Improvement, Status, User
from tests.conftest import DEMO_LOGINS, sign_in
from tests.support.improvement_forms import form_data
from tests.support.lock_table import web_form

pytestmark = pytest.mark.usefixtures("member_team")


def get(app, title: str) -> Improvement:
    with app.app_context():
        improvement = db.session.scalars(
            select(Improvement).where(Improvement.title == title)
        ).one()
        db.session.expunge(improvement)
        return improvement


def test_member_registers_an_improvement(app, signed_in):
    client = signed_in("member")
    page = client.get("/improvements/new")
    assert page.status_code == 200
    assert "Register an improvement" in page.get_data(as_text=True)
    team_id = page.get_data(as_text=True).split('name="team"')[1].split('value="')[1].split('"')[0]
    response = client.post("/improvements/new", data=form_data(team=team_id))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    improvement = get(app, "Shorter renewal letter")
    assert improvement.status is Status.DRAFT
    assert improvement.implementation_cost_pence == 125_050
    assert improvement.annual_volume == 410_000
    assert str(improvement.value_per_unit_gbp) == "0.4500"
    assert improvement.go_live_on.isoformat() == "2026-08-03"
    view = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is registered as a draft" in view and "£1,250.50" in view


def test_the_yearly_cycle_is_chosen_on_the_form_and_saved_on_the_plan(app, signed_in):
    """Issue 19 item 3: the time series' seasonal terms are the plan's choice."""
    client = signed_in("member")
    page = client.get("/improvements/new").get_data(as_text=True)
    assert "Allow for a yearly cycle (time series only)" in page
    assert "Needs a year of weekly data before go-live." in page
    title = "Seasonal call volumes"
    data = form_data(title=title, design="time_series", seasonal="yes")
    response = client.post("/improvements/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert get(app, title).seasonal is True
    view = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Yes: the time series allows for a yearly up-and-down" in view
    client.post("/improvements/new", data=form_data(title="No cycle", design="time_series"))
    assert get(app, "No cycle").seasonal is False


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"kind": "no_extra_cost"},
            "implementation_cost",
            "An innovation at no extra cost must have an implementation cost of £0",
        ),
        ({"implementation_cost": "12.345"}, "implementation_cost", "no more than 2 decimal places"),
        (
            {"implementation_cost": "-5"},
            "implementation_cost",
            "Implementation cost must be between £0 and £1,000,000,000,000",
        ),
        (
            {"implementation_cost": "lots"},
            "implementation_cost",
            "Implementation cost must be a number",
        ),
        ({"annual_volume": "0"}, "annual_volume", "Annual volume must be between 1 and 10,000"),
        ({"planned_sample_size": "12.5"}, "planned_sample_size", "whole number"),
        ({"value_per_unit_gbp": "0.00751"}, "value_per_unit_gbp", "no more than 4 decimal places"),
        ({"ended_on": ["1", "7", "2026"]}, "ended_on-day", "after the go-live date"),
        ({"go_live_on": ["31", "2", "2026"]}, "go_live_on-day", "Go-live date must be a real date"),
        ({"title": ""}, "title", "Enter a title"),
        ({"direction": ""}, "direction", "Select whether higher or lower is better"),
    ],
)
def test_registration_is_validated(app, signed_in, changes, field, message):
    client = signed_in("member")
    response = client.post("/improvements/new", data=form_data(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'href="#{field}"' in html  # the error summary links to the field
    with app.app_context():
        assert (
            db.session.scalars(
                select(Improvement).where(Improvement.title == "Shorter renewal letter")
            ).first()
            is None
        )


def test_duplicate_titles_in_a_department_are_refused(signed_in):
    client = signed_in("member")
    response = client.post(
        "/improvements/new", data=form_data(title="Pre-fill known fields on the renewal form")
    )
    assert response.status_code == 422
    assert "already has an improvement called" in response.get_data(as_text=True)


def test_treasury_cannot_register(signed_in):
    client = signed_in("treasury")
    assert client.get("/improvements/new").status_code == 403
    assert client.post("/improvements/new", data=form_data()).status_code == 403


def test_edit_a_draft_then_locked_fields_leave_the_form(app, signed_in):
    client = signed_in("member")
    client.post("/improvements/new", data=form_data())
    improvement = get(app, "Shorter renewal letter")
    edit_url = f"/improvements/{improvement.id}/edit"
    assert 'name="hypothesis"' in client.get(edit_url).get_data(as_text=True)
    saved = client.post(edit_url, data=form_data(title="Shorter letter", design="paired"))
    assert saved.status_code == 303
    assert get(app, "Shorter letter").design.value == "paired"

    assert client.post(f"/improvements/{improvement.id}/start").status_code == 303
    page = client.get(edit_url).get_data(as_text=True)
    assert 'name="hypothesis"' not in page and 'name="design"' not in page
    assert f"/improvements/{improvement.id}/amend/hypothesis" in page
    # A crafted post cannot change a locked field through the edit form.
    client.post(edit_url, data=form_data(title="Shorter letter", hypothesis="Sneaky"))
    assert get(app, "Shorter letter").hypothesis.startswith("A one-page letter")


def test_amend_a_locked_field_with_a_reason(app, signed_in):
    client = signed_in("member")
    client.post("/improvements/new", data=form_data())
    improvement = get(app, "Shorter renewal letter")
    client.post(f"/improvements/{improvement.id}/start")
    url = f"/improvements/{improvement.id}/amend/expected_effect"
    form = client.get(url)
    assert form.status_code == 200 and "-2.5" in form.get_data(as_text=True)
    refused = client.post(url, data={"expected_effect": "-3", "reason": ""})
    assert refused.status_code == 422
    assert "Explain why the locked field must change" in refused.get_data(as_text=True)
    accepted = client.post(url, data={"expected_effect": "-3", "reason": "Pilot data"})
    assert accepted.status_code == 303
    page = client.get(f"/improvements/{improvement.id}").get_data(as_text=True)
    assert "Pilot data" in page
    with app.app_context():
        amendment = db.session.scalars(
            select(Amendment).where(Amendment.improvement_id == improvement.id)
        ).one()
        assert (amendment.old_value, amendment.new_value) == (-2.5, -3.0)
    assert client.get(f"/improvements/{improvement.id}/amend/annual_volume").status_code == 404


def test_transitions_through_the_page(app, signed_in):
    client = signed_in("member")
    client.post("/improvements/new", data=form_data())
    improvement = get(app, "Shorter renewal letter")
    base = f"/improvements/{improvement.id}"
    assert client.post(f"{base}/submit").status_code == 303
    page = client.get(base).get_data(as_text=True)
    assert "An improvement that is draft cannot be submitted" in page or "Add measurements" in page
    client.post(f"{base}/start")
    refused = client.get(client.post(f"{base}/submit").headers["Location"]).get_data(as_text=True)
    assert "Add measurements from after the change" in refused
    assert get(app, "Shorter renewal letter").status is Status.RUNNING
    no_reason = client.post(f"{base}/withdraw", data={"reason": ""})
    assert no_reason.status_code == 422  # the confirmation page again, with its error
    assert 'href="#reason"' in no_reason.get_data(as_text=True)
    assert get(app, "Shorter renewal letter").status is Status.RUNNING
    client.post(f"{base}/withdraw", data={"reason": "Superseded"})
    assert get(app, "Shorter renewal letter").status is Status.WITHDRAWN
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_id == improvement.id, AuditEvent.entity_type == "improvements"
            )
        ).all()
    assert actions == ["improvement.created", "improvement.start", "improvement.withdraw"]


def test_a_withdrawn_improvement_says_when_who_and_why_and_offers_no_change(app, signed_in):
    client = signed_in("member")
    client.post("/improvements/new", data=form_data())
    improvement = get(app, "Shorter renewal letter")
    base = f"/improvements/{improvement.id}"
    client.post(f"{base}/start")  # a draft is deleted, not withdrawn
    before = client.get(base).get_data(as_text=True)
    assert "Edit the plan" in before and 'id="withdrawn"' not in before
    client.post(f"{base}/withdraw", data={"reason": "Superseded by the <new> form"})
    with app.app_context():
        on, by = db.session.execute(
            select(AuditEvent.occurred_at, User.name)
            .join(User, AuditEvent.actor_id == User.id)
            .where(
                AuditEvent.action == "improvement.withdraw",
                AuditEvent.entity_id == improvement.id,
            )
        ).one()
    html = client.get(base).get_data(as_text=True)
    notice = html.split('id="withdrawn">')[1].split("</div>")[0]
    assert f"Withdrawn on {on.day} {on:%B %Y} by {by}." in notice
    assert "Why: Superseded by the &lt;new&gt; form" in notice
    for action in ("Edit the plan", f"{base}/edit", f"{base}/withdraw", f"{base}/start"):
        assert action not in html, action


def test_delete_a_draft(app, signed_in):
    client = signed_in("member")
    client.post("/improvements/new", data=form_data())
    improvement = get(app, "Shorter renewal letter")
    response = client.post(f"/improvements/{improvement.id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/improvements/"
    assert client.get(f"/improvements/{improvement.id}").status_code == 404


def test_other_departments_and_read_only_roles_cannot_change(app, signed_in):
    improvement = get(app, "Pre-fill known fields on the renewal form")
    treasury = signed_in("treasury")
    assert treasury.get(f"/improvements/{improvement.id}").status_code == 200
    for path in ("edit", "start", "submit", "delete"):
        method = treasury.get if path == "edit" else treasury.post
        assert method(f"/improvements/{improvement.id}/{path}").status_code == 403, path


def test_list_filters_search_and_sort(app, signed_in):
    client = signed_in("admin")
    html = client.get("/improvements/?q=renewal&kind=marginal_gain&sort=title").get_data(
        as_text=True
    )
    results = html.split('id="improvement-results"')[1]
    titles = [
        chunk.split("</a>")[0].split(">")[-1]
        for chunk in results.split('class="govuk-link" href="/improvements/')[1:]
    ]
    assert titles == sorted(titles) and titles
    with app.app_context():
        expected = db.session.scalars(
            select(Improvement.title).where(
                (Improvement.title.ilike("%renewal%") | Improvement.hypothesis.ilike("%renewal%")),
                Improvement.kind == "marginal_gain",
            )
        ).all()
    assert set(titles) == set(expected)


def test_htmx_filtering_returns_the_results_fragment(signed_in):
    client = signed_in("manager")
    response = client.get("/improvements/?status=approved", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="improvement-results"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    whole = client.get("/improvements/?status=approved")
    assert "<html" in whole.get_data(as_text=True)
    assert "HX-Request" in whole.headers["Vary"]


def test_estimate_panel_fragment(app, signed_in):
    client = signed_in("member")
    improvement = get(app, "Pre-fill known fields on the renewal form")
    fragment = client.get(
        f"/improvements/{improvement.id}/estimate", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="estimate"')
    assert "Welch two-sample t-test" in fragment
    assert 'hx-trigger="measurements-changed from:body"' in fragment
    plain = client.get(f"/improvements/{improvement.id}/estimate")
    assert plain.status_code == 302 and plain.headers["Location"].endswith("#estimate")


def test_after_submission_scale_and_unit_change_only_by_amendments_the_review_lists(app, signed_in):
    """Issue 17: scale 1 → 10 and minutes → hours were plain edits after submission (the
    saving fell tenfold) while the review page said "Amendments after locking: None"."""
    client = signed_in("member")
    with app.app_context():
        improvement = db.session.scalars(
            select(Improvement).where(
                Improvement.title == "Save and return on the renewal form",
                Improvement.status == Status.SUBMITTED,
            )
        ).one()
        current = web_form(improvement)
        base, scale, unit = (
            f"/improvements/{improvement.id}",
            improvement.scale,
            improvement.metric_unit,
        )
    edit = client.get(f"{base}/edit").get_data(as_text=True)
    assert 'name="scale"' not in edit and 'name="metric_unit"' not in edit
    assert f"{base}/amend/scale" in edit and f"{base}/amend/metric_unit" in edit
    refused = client.post(f"{base}/edit", data=current | {"scale": str(scale * 10)})
    assert refused.status_code == 409 and "amend it instead" in refused.get_data(as_text=True)
    for field, value in (("scale", str(scale * 10)), ("metric_unit", "hours")):
        amended = client.post(f"{base}/amend/{field}", data={field: value, "reason": "Wrong"})
        assert amended.status_code == 303
    review_url = base.replace("/improvements/", "/reviews/")
    manager = app.test_client()
    assert sign_in(manager, DEMO_LOGINS["manager"]).status_code == 303
    review = manager.get(review_url).get_data(as_text=True)
    listed = review.split('id="review-amendments"')[1].split("</table>")[0]
    assert "Scale" in listed and "Metric unit" in listed
    assert f">{unit}<" in listed and ">hours<" in listed
