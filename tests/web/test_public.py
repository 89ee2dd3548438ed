"""The public register over HTTP, as an anonymous visitor: every public route, generated from
`app.url_map`, shows published data only, whatever happens to an item after it is published.
Also the managers' publish pages, open data formats and conditional requests."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from gains.demo.catalogue import PUBLIC_SUMMARIES
from gains.extensions import db as database
from gains.models import (
    AuditEvent,
    BatchSource,
    Department,
    Improvement,
    Measurement,
    Review,
    User,
)
from gains.services.estimates.charts import improvement_chart_svg
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from gains.services.people.organisation import create_department
from gains.services.public import open_data
from gains.services.public.publication import publish, unpublish
from tests.conftest import DEMO_LOGINS, sign_in
from tests.support.factories import person

REOPENED = "Wrap-up codes reduced from 40 to 12"
PUBLISHED = set(PUBLIC_SUMMARIES) - {REOPENED}
APPROVED_UNPUBLISHED = "Text before a fine is escalated"
PUBLISHED_WKP = "Pre-fill known fields on the renewal form"
ATOM = "{http://www.w3.org/2005/Atom}"
QUERY_VARIANTS = ("q", "department", "pillar", "kind", "design", "year")


def public_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("public.")]


def titled(title: str) -> Improvement:
    return database.session.scalars(select(Improvement).where(Improvement.title == title)).one()


def visible_text(response) -> str:
    """The body as a reader (or a parser) sees it, HTML and XML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def secrets(public_titles: set[str]) -> set[str]:
    """Strings that must never appear on a public page: other improvements' titles, people,
    unit references, reviewers' comments."""
    markers = {
        title
        for title in database.session.scalars(select(Improvement.title))
        if title not in public_titles
    }
    for account in database.session.scalars(select(User)):
        markers |= {account.name, account.email}
    markers |= set(
        database.session.scalars(
            select(Measurement.unit_ref).where(Measurement.unit_ref.is_not(None)).distinct()
        )
    )
    markers |= {c for c in database.session.scalars(select(Review.comment)) if c}
    return markers


# Searching for every hidden title on these; the other routes share their filter code, so they
# search for the item a test changed and a few others (keeps the sweep to seconds).
SEARCHED_IN_FULL = ("public.register", "public.data_json")


def sweep(app, client, public_titles: set[str], focus: str = APPROVED_UNPUBLISHED) -> dict:
    """GET every public route for every public and non-public record; check what comes back.

    Returns the bodies of the data endpoints (for the callers' own checks).
    """
    with app.app_context():
        everything = database.session.scalars(select(Improvement)).all()
        public_ids = {i.id for i in everything if i.title in public_titles}
        hidden_ids = {i.id for i in everything if i.title not in public_titles}
        public_departments = {i.department_id for i in everything if i.id in public_ids}
        hidden_departments = {
            d for d in database.session.scalars(select(Department.id))
        } - public_departments
        markers = secrets(public_titles)
        hidden_titles = sorted({i.title for i in everything if i.id in hidden_ids})
        max_id = max(i.id for i in everything)
    hidden_ids.add(max_id + 1000)  # never existed
    hidden_departments.add(10_000)
    assert public_ids and hidden_ids

    def check(path: str, expect: int, echoed: str = "") -> str:
        response = client.get(path)
        assert response.status_code == expect, (path, response.status_code)
        text = visible_text(response)
        if echoed:  # the search box shows what was searched for, and nothing else may match
            assert "0 published improvements match" in text, path
            text = text.replace(echoed, "")
        leaked = [marker for marker in markers if marker in text]
        assert not leaked, (path, leaked)
        return text

    bodies = {}
    for rule in public_rules(app):
        arguments = set(rule.arguments)
        if not arguments:
            bodies[rule.endpoint] = check(rule.build({})[1], 200)
            searched = (
                hidden_titles
                if rule.endpoint in SEARCHED_IN_FULL
                else {focus, *hidden_titles[:3]} & set(hidden_titles)
            )
            for title in searched:  # search for what is not public: nothing comes back
                echoed = title if rule.endpoint == "public.register" else ""
                check(rule.build({"q": title})[1], 200, echoed)
            for name in QUERY_VARIANTS[1:]:
                check(rule.build({name: "1"})[1], 200)
        elif arguments == {"improvement_id"}:
            for improvement_id in public_ids:
                check(rule.build({"improvement_id": improvement_id})[1], 200)
            for improvement_id in hidden_ids:
                check(rule.build({"improvement_id": improvement_id})[1], 404)
        elif arguments == {"department_id"}:
            for department_id in public_departments:
                check(rule.build({"department_id": department_id})[1], 200)
            for department_id in hidden_departments:
                check(rule.build({"department_id": department_id})[1], 404)
        else:
            pytest.fail(f"{rule.endpoint}: teach this test to fill {sorted(arguments)}")
    listed = exported_ids(bodies)
    for name, ids in listed.items():
        assert ids == public_ids, name
    return bodies


def exported_ids(bodies: dict[str, str]) -> dict[str, set[int]]:
    rows = list(csv.DictReader(io.StringIO(bodies["public.data_csv"])))
    document = json.loads(bodies["public.data_json"])
    feed = ET.fromstring(bodies["public.feed"].encode())
    links = [entry.find(f"{ATOM}link").get("href") for entry in feed.iter(f"{ATOM}entry")]
    register_links = {
        int(part.split('"')[0])
        for part in bodies["public.register"].split('href="/register/improvements/')[1:]
    }
    return {
        "csv": {int(row["id"]) for row in rows},
        "json": {item["id"] for item in document["improvements"]},
        "feed": {int(link.rsplit("/", 1)[1]) for link in links},
        "register page": register_links,
    }


def commit(app, change) -> None:
    with app.app_context():
        change()
        database.session.commit()


def test_every_public_route_is_marked_public_and_read_only(app_without_database):
    rules = public_rules(app_without_database)
    assert {rule.endpoint for rule in rules} >= {
        "public.register",
        "public.improvement",
        "public.chart",
        "public.department",
        "public.savings",
        "public.about_data",
        "public.data_csv",
        "public.data_json",
        "public.feed",
    }
    for rule in rules:
        assert getattr(app_without_database.view_functions[rule.endpoint], "is_public", False), rule
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_anonymous_visitors_see_only_published_approved_items(app, client):
    commit(app, lambda: create_department(None, name="Quiet Department", code="QUIET"))
    sweep(app, client, PUBLISHED)
    with app.app_context():
        quiet = database.session.scalars(select(Department).where(Department.code == "QUIET")).one()
    assert client.get(f"/register/departments/{quiet.id}").status_code == 404
    assert "Quiet Department" not in client.get("/register/").get_data(as_text=True)


def _withdraw():
    workflow.withdraw(person(database.session, "member"), titled(PUBLISHED_WKP), "Superseded")


def _unpublish():
    unpublish(person(database.session, "manager"), titled(PUBLISHED_WKP), "Under query")


def _reopen():
    record_batch(
        person(database.session, "member"),
        titled(PUBLISHED_WKP),
        [{"phase": "after", "value": 15.0, "observed_on": "2026-10-20"}] * 5,
        source=BatchSource.API,
    )


def _reapprove():
    from gains.models import Decision
    from gains.services.review.decisions import decide

    _reopen()
    decide(person(database.session, "manager"), titled(PUBLISHED_WKP), Decision.APPROVED, "")


def _amend_and_reapprove():
    from gains.models import Decision
    from gains.services.improvements import plan_changes
    from gains.services.review.decisions import decide

    improvement = titled(PUBLISHED_WKP)
    plan_changes.amend(
        person(database.session, "manager"), improvement, "annual_volume", 300_000, "Revised"
    )
    # New money terms, re-approved: the published summary was written for the old ones.
    decide(person(database.session, "manager"), improvement, Decision.APPROVED, "")


@pytest.mark.parametrize(
    "change",
    [_withdraw, _unpublish, _reopen, _reapprove, _amend_and_reapprove],
    ids=[
        "withdrawn",
        "unpublished",
        "reopened by new data",
        "re-approved, not republished",
        "amended and re-approved, not republished",
    ],
)
def test_a_published_item_that_changes_afterwards_leaves_every_route(app, client, change):
    commit(app, change)
    sweep(app, client, PUBLISHED - {PUBLISHED_WKP}, focus=PUBLISHED_WKP)


def test_publishing_puts_an_approved_item_on_every_route(app, client):
    commit(
        app,
        lambda: publish(
            person(database.session, "manager.rev@example.org"),
            titled(APPROVED_UNPUBLISHED),
            "A text.",
        ),
    )
    sweep(app, client, PUBLISHED | {APPROVED_UNPUBLISHED})


def test_the_improvement_page_speaks_plainly_and_shows_aggregates_only(app, client):
    with app.app_context():
        improvement = titled(PUBLISHED_WKP)
        review = improvement.reviews[-1]
        estimate = review.snapshot["estimate"]
    page = visible_text(client.get(f"/register/improvements/{improvement.id}"))
    assert PUBLIC_SUMMARIES[PUBLISHED_WKP] in page
    assert "The change helped." in page
    assert "minutes shorter per renewal, and very probably between" in page
    assert "Welch two-sample t-test" in page
    row = '<dd class="govuk-summary-list__value">{}<'
    assert f"Measurements before</dt>\n          {row.format(estimate['n_before'])}" in page
    assert 'id="chart-data"' in page and "Treatment, before" in page
    assert "fewer than 5" in page
    svg = client.get(f"/register/improvements/{improvement.id}/chart.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # Markers only for the two means and the axis ticks: no point for any single measurement,
    # where the signed-in chart draws one for each of its 240.
    assert svg.get_data(as_text=True).count("<use ") < 20
    with app.app_context():
        signed_in_chart = improvement_chart_svg(titled(PUBLISHED_WKP), "distributions")
    assert signed_in_chart.count("<use ") > 200


def test_a_suppressed_estimate_is_not_shown_anywhere(app, client):
    def shrink():
        review = titled(PUBLISHED_WKP).reviews[-1]
        review.snapshot = dict(
            review.snapshot, estimate=dict(review.snapshot["estimate"], n_before=3)
        )

    commit(app, shrink)
    with app.app_context():
        improvement_id = titled(PUBLISHED_WKP).id
    page = visible_text(client.get(f"/register/improvements/{improvement_id}"))
    assert "The estimate and saving are not shown: a group had fewer than 5" in page
    rows = {
        int(row["id"]): row
        for row in csv.DictReader(io.StringIO(client.get("/register/data.csv").get_data(True)))
    }
    row = rows[improvement_id]
    assert row["suppressed"] == "true"
    assert row["effect"] == row["annual_saving_gbp"] == row["result_in_words"] == ""
    item = next(
        i
        for i in client.get("/register/data.json").get_json()["improvements"]
        if i["id"] == improvement_id
    )
    assert item["effect"] is None and item["annual_saving_gbp"] is None


def test_open_data_fields_are_documented_and_in_order(client):
    names = [field.name for field in open_data.FIELDS]
    header = client.get("/register/data.csv").get_data(as_text=True).splitlines()[0]
    assert header.split(",") == names
    document = client.get("/register/data.json").get_json()
    assert [field["name"] for field in document["fields"]] == names
    assert all(list(item) == names for item in document["improvements"])
    about = visible_text(client.get("/register/about-the-data"))
    for field in open_data.FIELDS:
        assert f'id="field-{field.name}"' in about
        assert field.description in about


def test_the_atom_feed_is_valid_atom(client):
    response = client.get("/register/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{name}") is not None, name
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    self_link = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link[0].get("href") == "http://localhost/register/feed.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(PUBLISHED)
    ids = [entry.find(f"{ATOM}id").text for entry in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    stamps = []
    for entry in entries:
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{name}") is not None, name
        assert entry.find(f"{ATOM}link").get("rel") == "alternate"
        stamps.append(datetime.fromisoformat(entry.find(f"{ATOM}updated").text))
    assert all(stamp.tzinfo is not None for stamp in stamps)
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert {entry.find(f"{ATOM}title").text for entry in entries} == PUBLISHED


@pytest.mark.parametrize(
    "path", ["/register/data.csv", "/register/data.json", "/register/feed.atom"]
)
def test_open_data_answers_conditional_requests(app, client, path):
    first = client.get(path)
    last_modified, etag = first.headers["Last-Modified"], first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    earlier = format_datetime(first.last_modified - timedelta(hours=1), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200

    commit(
        app,
        lambda: publish(
            person(database.session, "manager.rev@example.org"),
            titled(APPROVED_UNPUBLISHED),
            "New.",
        ),
    )
    with app.app_context():
        latest = database.session.scalar(select(func.max(AuditEvent.occurred_at)))
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.last_modified == latest.replace(microsecond=0)
    assert APPROVED_UNPUBLISHED in visible_text(changed)


def test_filters_and_search_on_the_register_page(app, client):
    with app.app_context():
        wkp = titled(PUBLISHED_WKP).department_id
    page = visible_text(client.get(f"/register/?department={wkp}"))
    assert PUBLISHED_WKP in page and "Social norm line" not in page
    page = visible_text(client.get("/register/?q=council+tax"))
    assert "Plain-English rewrite of the council tax bill" in page and PUBLISHED_WKP not in page
    # Values not on offer (a stale bookmark) count as "any", never as an error page.
    assert client.get("/register/?pillar=nonsense&year=1999&department=x").status_code == 200
    fragment = client.get("/register/?q=bill", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="register-results"')


def test_the_register_is_linked_for_anonymous_and_signed_in_visitors(client):
    sign_in_page = client.get("/auth/sign-in").get_data(as_text=True)
    assert 'href="/register/"' in sign_in_page
    assert "public register of validated gains" in sign_in_page
    register = client.get("/register/").get_data(as_text=True)
    assert "govuk-service-navigation" in register and 'href="/register/"' in register
    sign_in(client, DEMO_LOGINS["member"])
    assert 'href="/register/"' in client.get("/").get_data(as_text=True)


def test_savings_page_totals_by_pillar(client):
    page = visible_text(client.get("/register/savings"))
    assert f"{len(PUBLISHED)} published improvements" in page
    for pillar in (
        "Pursuing goals",
        "Managing inputs",
        "Engaging users and citizens",
        "Developing system capacity",
        "All pillars",
    ):
        assert pillar in page


# --- Publishing (signed in) -----------------------------------------------------------------


def publication_events(app, improvement_id: int, action: str) -> int:
    with app.app_context():
        return database.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_id == improvement_id, AuditEvent.action == action)
        )


def test_a_manager_publishes_and_unpublishes_through_the_pages(app, client):
    with app.app_context():
        improvement_id = titled(APPROVED_UNPUBLISHED).id
    sign_in(client, "manager.rev@example.org")
    form = client.get(f"/improvements/{improvement_id}/publication")
    assert form.status_code == 200 and "Summary for the public" in form.get_data(as_text=True)
    improvement_page = client.get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert f'href="/improvements/{improvement_id}/publication"' in improvement_page

    empty = client.post(f"/improvements/{improvement_id}/publication", data={"summary": " "})
    assert empty.status_code == 422
    assert publication_events(app, improvement_id, "improvement.published") == 0

    done = client.post(
        f"/improvements/{improvement_id}/publication", data={"summary": "A text helps."}
    )
    assert done.status_code == 303
    assert publication_events(app, improvement_id, "improvement.published") == 1
    client.post("/auth/sign-out")
    assert client.get(f"/register/improvements/{improvement_id}").status_code == 200

    sign_in(client, "manager.rev@example.org")
    taken = client.post(
        f"/improvements/{improvement_id}/publication/unpublish", data={"reason": "Check"}
    )
    assert taken.status_code == 303
    assert publication_events(app, improvement_id, "improvement.unpublished") == 1
    client.post("/auth/sign-out")
    assert client.get(f"/register/improvements/{improvement_id}").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 404),
        ("debt@example.org", 403),
        ("manager", 404),
        ("treasury", 403),
        ("admin", 403),
    ],
)
def test_only_the_departments_manager_reaches_the_publish_pages(app, client, who, status):
    with app.app_context():
        improvement_id = titled(APPROVED_UNPUBLISHED).id
    sign_in(client, DEMO_LOGINS.get(who, who))
    base = f"/improvements/{improvement_id}/publication"
    assert client.get(base).status_code == status
    assert client.post(base, data={"summary": "Sneaky."}).status_code == status
    assert client.post(f"{base}/unpublish", data={}).status_code == status
    assert publication_events(app, improvement_id, "improvement.published") == 0


def test_publishing_before_approval_is_refused(app, client):
    with app.app_context():
        submitted = database.session.scalars(
            select(Improvement).where(
                Improvement.status == "submitted",
                Improvement.department_id == person(database.session, "manager").department_id,
            )
        ).first()
        improvement_id = submitted.id
    sign_in(client, DEMO_LOGINS["manager"])
    page = client.get(f"/improvements/{improvement_id}/publication").get_data(as_text=True)
    assert "Only an approved improvement can be published" in page
    refused = client.post(
        f"/improvements/{improvement_id}/publication", data={"summary": "Too soon."}
    )
    assert refused.status_code == 422
    assert "Only an approved improvement can be published" in refused.get_data(as_text=True)
    assert publication_events(app, improvement_id, "improvement.published") == 0
    assert client.get(f"/register/improvements/{improvement_id}").status_code == 404


def test_the_publish_page_says_when_a_published_item_is_off_the_register(app, client):
    with app.app_context():
        improvement_id = titled(REOPENED).id
    sign_in(client, "manager.rev@example.org")
    page = visible_text(client.get(f"/improvements/{improvement_id}/publication"))
    assert "but off the register now" in page
    assert "Only an approved improvement can be published" in page
    assert "Take it off the public register" in page  # it can still be taken down for good
    improvement_page = visible_text(client.get(f"/improvements/{improvement_id}"))
    assert "it is off the public register since its status or approval changed" in improvement_page
