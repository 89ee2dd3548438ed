"""Similar improvements through the API: the same search and the same scoping as the web
(issue 22 item 1)."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.support.api import register

URL = "/api/v1/improvements/similar"
PUBLISHED_WKP = "Pre-fill known fields on the renewal form"
UNPUBLISHED_WKP = "Save and return on the renewal form"


def test_the_issues_example_pair_find_each_other(app, client, bearer):
    headers = bearer("member")
    registered = register(app, client, headers, title="Pre-filled renewal form")
    assert registered.status_code == 201, registered.get_json()
    found = client.get(URL, query_string={"title": "Pre-filled renewal form"}, headers=headers)
    assert found.status_code == 200
    titles = [item["title"] for item in found.get_json()["items"]]
    assert set(titles[:2]) == {"Pre-filled renewal form", PUBLISHED_WKP}
    back = client.get(URL, query_string={"title": PUBLISHED_WKP}, headers=headers).get_json()
    assert "Pre-filled renewal form" in [item["title"] for item in back["items"][:2]]
    mine = next(item for item in back["items"] if item["title"] == PUBLISHED_WKP)
    assert mine["in_your_scope"] and mine["links"]["self"].endswith(f"/improvements/{mine['id']}")


def test_another_departments_unpublished_work_never_appears(client, bearer):
    headers = bearer("debt@example.org")  # Revenue and Customs
    body = client.get(
        URL,
        query_string={"title": UNPUBLISHED_WKP, "hypothesis": "Pre-filled renewal form"},
        headers=headers,
    ).get_json()
    titles = [item["title"] for item in body["items"]]
    assert UNPUBLISHED_WKP not in titles
    published = next(item for item in body["items"] if item["title"] == PUBLISHED_WKP)
    assert published["in_your_scope"] is False
    assert published["team_name"] is None and published["links"]["self"] is None
    assert published["links"]["web"].endswith(f"/register/improvements/{published['id']}")
    assert published["verdict"] == "better" and published["evidence_level"] is not None


@pytest.mark.parametrize(
    "query", [{"title": "\x00"}, {"title": "x" * 201}, {"hypothesis": "y" * 2001}]
)
def test_text_outside_the_bounds_is_refused(client, bearer, query):
    assert_problem(client.get(URL, query_string=query, headers=bearer("member")), 422)


def test_nothing_typed_finds_nothing(client, bearer):
    body = client.get(URL, headers=bearer("treasury")).get_json()
    assert body == {"items": []}
