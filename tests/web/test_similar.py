"""The similar-improvements page, its htmx fragment and the registration form's "Check for
similar improvements" step (issue 22 item 1)."""

from __future__ import annotations

from html import unescape

import pytest
from flask import url_for
from sqlalchemy import func, select

from gains.models import Improvement
from tests.conftest import sign_in

PUBLISHED_WKP = "Pre-fill known fields on the renewal form"
UNPUBLISHED_WKP = "Save and return on the renewal form"


def improvement_id(session, title: str) -> int:
    return session.scalar(select(Improvement.id).where(Improvement.title == title))


def test_the_page_lists_similar_improvements_linked_to_their_pages(app, signed_in, session):
    client = signed_in("member")
    response = client.get(
        "/improvements/similar", query_string={"title": "Pre-filled renewal form"}
    )
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert PUBLISHED_WKP in page
    with app.test_request_context():
        own_page = url_for(
            "improvements.view", improvement_id=improvement_id(session, PUBLISHED_WKP)
        )
    assert f'href="{own_page}"' in page
    assert 'aria-live="polite"' in page


def test_another_department_sees_the_public_page_and_never_unpublished_work(app, client, session):
    sign_in(client, "debt@example.org")  # Revenue and Customs
    response = client.get(
        "/improvements/similar",
        query_string={"title": "Pre-filled renewal form", "hypothesis": UNPUBLISHED_WKP},
        headers={"HX-Request": "true"},  # the panel alone: the page repeats what was typed
    )
    page = unescape(response.get_data(as_text=True))
    with app.test_request_context():
        public_page = url_for(
            "public.improvement", improvement_id=improvement_id(session, PUBLISHED_WKP)
        )
    assert f'href="{public_page}"' in page
    assert UNPUBLISHED_WKP not in page


def test_htmx_gets_the_panel_alone(signed_in):
    client = signed_in("manager")
    response = client.get(
        "/improvements/similar", query_string={"title": "renewal"}, headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="similar-improvements"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_the_panel_says_when_nothing_is_similar(signed_in):
    response = signed_in("treasury").get(
        "/improvements/similar", query_string={"title": "Zebra crossings for quokkas"}
    )
    assert "Nothing similar found" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "title", ["\x00", "ok\x07", "x" * 201, "renewal " * 131_072, "\"'*NEAR($)"]
)
def test_any_title_is_answered_without_an_error(signed_in, title):
    response = signed_in("member").get("/improvements/similar", query_string={"title": title})
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "govuk-error-summary" in response.get_data(as_text=True)


def test_checking_for_similar_shows_the_form_again_as_typed_and_saves_nothing(signed_in, session):
    client = signed_in("member")
    before = session.scalar(select(func.count()).select_from(Improvement))
    typed = {
        "check_similar": "1",
        "title": "Pre-filled renewal form",
        "hypothesis": "Filling in what we know saves time.",
        "metric_name": "Minutes to complete",
    }
    response = client.get("/improvements/new", query_string=typed)
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert 'value="Pre-filled renewal form"' in page
    assert 'value="Minutes to complete"' in page
    assert "Filling in what we know saves time." in page
    assert PUBLISHED_WKP in page
    assert 'formmethod="get"' in page and "hx-get" in page
    assert "govuk-error-summary" not in page
    assert session.scalar(select(func.count()).select_from(Improvement)) == before


def test_the_registration_form_offers_the_check_before_anything_is_typed(signed_in):
    page = signed_in("member").get("/improvements/new").get_data(as_text=True)
    assert "Check for similar improvements" in page
    assert "Similar improvements</h2>" not in page


def test_the_register_links_to_the_search_for_every_role(signed_in):
    page = signed_in("treasury").get("/improvements/").get_data(as_text=True)
    assert 'href="/improvements/similar"' in page
