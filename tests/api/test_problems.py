"""Every error under /api/v1 is a problem document; pages keep their HTML errors."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, find_improvement


def test_unknown_paths_and_methods(client, bearer):
    headers = bearer("member")
    for anonymous in (True, False):
        sent = {} if anonymous else headers
        body = assert_problem(client.get("/api/v1/nothing-here", headers=sent), 404)
        assert body["type"] == "about:blank" and body["instance"] == "/api/v1/nothing-here"
    response = client.delete("/api/v1/departments", headers=headers)
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_a_body_that_is_not_json(client, bearer):
    response = client.post(
        "/api/v1/improvements",
        data="{not json",
        headers=bearer("member") | {"Content-Type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert body["detail"]


HOSTILE_BODIES = {
    # Python's json raises RecursionError past ~1,000 levels; webargs let it through.
    "deep array": "[" * 100_000 + "]" * 100_000,
    "deep object": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "21 levels": '{"title": ' + "[" * 21 + "]" * 21 + "}",
    # int() refuses more than 4,300 digits with a ValueError.
    "5,000-digit integer": '{"title": "x", "scale": ' + "9" * 5_000 + "}",
    "negative 4,301 digits": '{"rows": [{"phase": "before", "value": -' + "1" * 4_301 + "}]}",
}


@pytest.mark.parametrize("name", HOSTILE_BODIES)
def test_hostile_json_is_a_400_problem_on_every_body_route(app, client, bearer, name):
    improvement = find_improvement(app)
    headers = bearer("member") | {"Content-Type": "application/json"}
    routes = [
        ("post", "/api/v1/improvements"),
        ("patch", f"/api/v1/improvements/{improvement}"),
        ("post", f"/api/v1/improvements/{improvement}/measurements"),
        ("post", f"/api/v1/improvements/{improvement}/withdraw"),
        ("post", f"/api/v1/improvements/{improvement}/decision"),
    ]
    for method, path in routes:
        response = getattr(client, method)(path, data=HOSTILE_BODIES[name], headers=headers)
        body = assert_problem(response, 400)
        assert "levels deep" in body["detail"] or "more than 4,300 digits" in body["detail"]


def test_json_within_the_bounds_reaches_validation(app, client, bearer):
    body = '{"title": ' + "[" * 19 + "]" * 19 + ', "scale": ' + "9" * 4_300 + "}"
    response = client.post(
        "/api/v1/improvements",
        data=body,
        headers=bearer("member") | {"Content-Type": "application/json"},
    )
    assert_problem(response, 422)


def test_unexpected_errors_are_a_500_problem_and_roll_back(app, client, bearer, monkeypatch):
    import gains.api.organisation as organisation

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(organisation, "paginate", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    body = assert_problem(client.get("/api/v1/departments", headers=bearer("member")), 500)
    assert "boom" not in body["detail"]
    page = client.get("/improvements/999999")  # pages still answer with HTML
    assert page.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/improvements/999999", "/no-such-page"])
def test_web_pages_keep_their_html_errors(signed_in, path):
    response = signed_in("member").get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Page not found" in response.get_data(as_text=True)
