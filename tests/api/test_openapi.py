"""The OpenAPI document generated from the code, and the docs page rendered from it."""

from __future__ import annotations

import re


def test_the_document_describes_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.0.3"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    routes = {
        (re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("api_docs.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes


def test_errors_are_documented_as_problems(client):
    document = client.get("/api/v1/openapi.json").get_json()
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
    for item in document["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert "default" in operation["responses"], (method, operation["summary"])


def test_the_docs_page_lists_every_operation_and_schema_within_the_csp(client):
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in document["paths"]:
        assert f"<code>{path}</code>" in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "Authorization: Bearer" in page and "curl" in page
    assert 'id="problem-validation"' in page
    # Strict CSP: no inline style attributes, no script without the nonce.
    assert "style=" not in page
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    for script in re.findall(r"<script[^>]*>", page):
        assert 'src="/assets/' in script or f'nonce="{nonce}"' in script
