"""Every API request body, built from the OpenAPI document, with odd values in a few places:
never a 5xx, and a refusal writes nothing.

Schemathesis (tests/api/test_schemathesis.py) sends what fits each schema and what breaks it
in the ways JSON Schema knows; this adds what JSON text can carry and a schema does not
describe: 5,000-digit and 20-digit integers, 1e400, NaN and Infinity literals, lone
surrogates, NUL, deep nesting, and edge dates inside strings. The operations are read from the
document, so a new body is fuzzed without a change here.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from gains.extensions import db as database
from gains.services.people.api_tokens import create_token
from tests.conftest import make_test_app
from tests.fuzz.conftest import (
    STATES,
    changed_tables,
    example_savepoint,
    fuzz_settings,
    snapshot,
)
from tests.fuzz.strategies import JsonText, dumps, odd_json_value
from tests.support.factories import person

WRITERS = ("member", "manager", "admin")


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def plausible(document: dict, schema: dict, team_ids: list[int]) -> st.SearchStrategy[Any]:
    """A value that fits `schema`, kept small and ordinary."""
    schema = _resolve(document, schema)
    if "enum" in schema:
        return st.sampled_from([v for v in schema["enum"] if v is not None])
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        properties = schema.get("properties", {})
        return st.fixed_dictionaries(
            {
                name: plausible(document, sub, team_ids)
                if name != "team_id"
                else st.sampled_from(team_ids)
                for name, sub in properties.items()
            }
        )
    if kind == "array":
        item = plausible(document, schema.get("items", {}), team_ids)
        return st.lists(item, min_size=max(1, schema.get("minItems", 0)), max_size=6)
    if kind == "integer":
        low = schema.get("minimum", 0)
        return st.integers(min_value=low, max_value=min(schema.get("maximum", 1000), low + 1000))
    if kind == "number":
        return st.sampled_from([0.5, 9.0, 12.25, 10])
    if kind == "boolean":
        return st.booleans()
    if schema.get("format") == "date":
        return st.sampled_from(["2026-05-01", "2026-06-30"])
    return st.sampled_from(["Fuzz", "A plain reason", "Case 7"])


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON value a leaf could be replaced."""
    if isinstance(value, dict):
        return [prefix] + [p for k, v in value.items() for p in _paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [prefix] + [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))]
    return [prefix]


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(copy[head], tuple(rest), new)
    return copy


@st.composite
def bodies(draw, document: dict, schema: dict, team_ids: list[int]) -> str:
    """JSON text: a plausible body with up to three values made odd, or an odd whole."""
    if draw(st.integers(0, 9)) == 0:
        # Deep nesting has its own test below; here, bodies that are not JSON at all.
        whole = ('{"rows": ' + "[" * 50, "", "\x00", "{", '{"rows": []}garbage', "NaN")
        return JsonText(draw(st.sampled_from(whole)))
    body = draw(plausible(document, schema, team_ids))
    for _ in range(draw(st.integers(0, 3))):
        place = draw(st.sampled_from(_paths(body)[1:] or [()]))
        body = _replace(body, place, draw(odd_json_value()))
    return JsonText(dumps(body))


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch"):
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                found.append((method.upper(), path, content["application/json"]["schema"]))
    return found


def _document() -> dict:
    return make_test_app("sqlite://").test_client().get("/api/v1/openapi.json").get_json()


DOCUMENT = _document()
OPERATIONS = _operations(DOCUMENT)
# Findings of issue 17 reproduced here, being fixed by the other items (see test_forms.py).
KNOWN: dict[str, str] = {}


def _case(method: str, path: str, _schema):
    label = f"{method} {path}"
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[label])] if label in KNOWN else []
    return pytest.param(method, path, marks=marks, id=label)


def test_every_body_is_fuzzed():
    assert len(OPERATIONS) >= 6, OPERATIONS


@pytest.mark.parametrize(("method", "path"), [_case(*operation) for operation in OPERATIONS])
def test_odd_api_bodies_never_fail_and_a_refusal_writes_nothing(app, db, states, method, path):
    schema = next(s for m, p, s in OPERATIONS if (m, p) == (method, path))
    with app.app_context():
        tokens = {
            role: create_token(person(database.session, role), "fuzz", 30) for role in WRITERS
        }
        headers = {role: {"Authorization": f"Bearer {t.secret}"} for role, t in tokens.items()}
        team_ids = [
            person(database.session, "member").team_id,
            person(database.session, "debt@example.org").team_id,
        ]
        database.session.commit()
    client = app.test_client()
    seen: list[int] = []

    @fuzz_settings(examples=10)
    @given(
        body=bodies(DOCUMENT, schema, team_ids),
        role=st.sampled_from(WRITERS),
        state=st.sampled_from(STATES),
    )
    def example(body, role, state):
        values = {**states("running"), **states(state)}  # a draft has no batch
        url = path.format(**values)
        ids = {values["improvement_id"]}
        note(f"{role} {method} {url} {body!r}")
        with example_savepoint(app):
            before = snapshot(app, ids)
            response = client.open(
                url, method=method, data=body.encode(),
                headers={**headers[role], "Content-Type": "application/json"},
            )  # fmt: skip
            seen.append(response.status_code)
            assert response.status_code < 500, response.get_data(as_text=True)[:500]
            if response.status_code >= 400:
                after = snapshot(app, ids)
                assert not changed_tables(before, after), (
                    f"refused ({response.status_code}) but wrote {changed_tables(before, after)}"
                )

    example()
    print(f"{method} {path}: {len(seen)} bodies, {sorted(set(seen))}")


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deep_json_is_refused_on_every_body(app, db, states, depth):
    """Nested arrays past any parser's recursion limit: a 400/413/422, on every operation."""
    values = states("running")
    with app.app_context():
        secret = create_token(person(database.session, "admin"), "fuzz", 30).secret
        database.session.commit()
    client = app.test_client()
    for method, path, _ in OPERATIONS:
        response = client.open(
            path.format(**values),
            method=method,
            data="[" * depth + "]" * depth,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        )
        assert response.status_code < 500, (method, path, response.status_code)
