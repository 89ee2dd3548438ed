"""Walk every HTML page of `app.url_map` as each role, with records in each status, and note
every form shown: which role saw it, on which page, for an improvement in which state.

The walk fills URL arguments by name from the records built for it (`URL_VALUES`); a route
with an argument no record gives (the field of an amendment) is reached through the links
on the pages that were walked. Only pages are walked: exports, charts and the API are for
the crawl (test_crawl.py) and schemathesis.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from gains.extensions import db as database
from tests.conftest import rolled_back
from tests.fuzz.conftest import ROLES, STATES, Clients, build_state
from tests.fuzz.pages import Form, fill_rule, local_path, match_route, parse_page

# URL arguments filled from the records built for the walk; any other argument (an
# amendment's field) is taken from the links the pages show.
ID_NAMES = {
    "improvement_id", "batch_id", "measurement_id", "department_id", "team_id", "user_id",
    "token_id", "token", "note_id",
}  # fmt: skip
NOT_PAGES = (".svg", ".csv", ".xlsx", ".json", ".atom", ".<file_format>")


@dataclass(frozen=True)
class Source:
    """Where a form was seen: the page's rule, its URL values that are not record ids, the
    state of the improvement the page was for (None: no improvement) and the role."""

    role: str
    state: str | None
    page_endpoint: str
    fixed_args: tuple[tuple[str, Any], ...]
    with_pending_batch: bool  # the page was asked for ?batch=<the pending batch>


def page_rules(app: Flask) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods
            and not rule.rule.startswith("/api/")
            and rule.endpoint != "static"
            and not rule.rule.endswith(NOT_PAGES)
        ),
        key=lambda rule: rule.rule,
    )


def prepare_records(app: Flask, states: list[str | None]) -> dict[str | None, dict]:
    """URL values for each state (None: no improvement)."""
    with app.app_context():
        values = {state: build_state(state) for state in states}
        database.session.remove()
    return values


def page_requests(app: Flask, values: dict[str | None, dict]) -> list[tuple[str | None, Rule]]:
    """(state, rule) for every page: improvement pages once per state, others once."""
    requests = []
    for rule in page_rules(app):
        if "improvement_id" in rule.arguments:
            requests += [(state, rule) for state in values if state is not None]
        else:
            requests.append((None, rule))
    return requests


def pending_batch_query(values: dict[str | None, dict]) -> str:
    """Pages that show what waits for confirmation read the batches from ?batch=."""
    batch = values.get("pending", {}).get("batch_id")
    return f"batch={batch}" if batch else ""


def walk(app: Flask, clients: Clients, values, roles=ROLES) -> dict[tuple[str, str], set[Source]]:
    """(endpoint, method) of every form's action → where the form was seen.

    Treasury reads everything and changes nothing (docs/DESIGN.md "Who uses it"), so its
    walk skips the improvement pages: the pages it shares with everyone are walked."""
    seen: dict[tuple[str, str], set[Source]] = defaultdict(set)
    query = pending_batch_query(values)
    for role in roles:
        client = clients(role)
        queue = [
            (state, rule, ())
            for state, rule in page_requests(app, values)
            if state is None or role != "treasury"
        ]
        visited: set[tuple] = set()
        while queue:
            state, rule, fixed = queue.pop(0)
            # A page reached by a link (an amendment's field) is walked for one state only.
            key = (rule.endpoint, fixed) if fixed else (state, rule.endpoint)
            if key in visited:
                continue
            visited.add(key)
            path = fill_rule(rule, {**values[state], **dict(fixed)})
            if path is None:
                continue
            response = client.get(path)
            with_query = response.status_code in (302, 303) and bool(query)
            if with_query:  # the page sends you away without something waiting
                response = client.get(path, query_string=query)
            clients.restore()
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            forms, links = parse_page(path, response.get_data(as_text=True))
            for form in forms:
                found = match_route(app, form.action, form.method)
                if found is not None:
                    source = Source(role, state, rule.endpoint, fixed, with_query)
                    seen[(found[0].endpoint, form.method)].add(source)
            queue += _linked_pages(app, state, links)
    return seen


def _linked_pages(app, state, links):
    """Pages linked from a page whose URLs carry values no record gives (amendment fields)."""
    found = []
    for link in links:
        path = local_path(link)
        matched = path and match_route(app, path, "GET")
        if not matched or matched[0] not in page_rules(app):
            continue
        rule, args = matched
        fixed = tuple(sorted((k, v) for k, v in args.items() if k not in ID_NAMES))
        if fixed:
            found.append((state, rule, fixed))
    return found


_DISCOVERED: dict[tuple[str, str], set[Source]] = {}


def discover(app: Flask) -> dict[tuple[str, str], set[Source]]:
    """Every form every role is shown, in a transaction rolled back afterwards. Walked once
    a run: the pages are the same on either database, only the ids differ, and a Source
    names a page by its route and state, not by id."""
    if not _DISCOVERED:
        with rolled_back(app):
            values = prepare_records(app, [None, *STATES])
            _DISCOVERED.update(walk(app, Clients(app), values))
    return _DISCOVERED


def forms_on(app: Flask, client, source: Source, states, endpoint: str, method: str) -> list[Form]:
    """The forms posting to `endpoint` on the source's page, fetched now; `states` gives the
    URL values of a state (tests/fuzz/conftest.py `states`)."""
    rule = next(r for r in page_rules(app) if r.endpoint == source.page_endpoint)
    path = fill_rule(rule, {**states(source.state), **dict(source.fixed_args)})
    query = pending_batch_query({"pending": states("pending")}) if source.with_pending_batch else ""
    response = client.get(path, query_string=query)
    forms, _ = parse_page(path, response.get_data(as_text=True))
    return [
        form
        for form in forms
        if form.method == method
        and (found := match_route(app, form.action, method)) is not None
        and found[0].endpoint == endpoint
    ]


def distinct(forms: list[tuple[str, Form]]) -> list[tuple[str, Form]]:
    kept, signatures = [], set()
    for role, form in forms:
        key = (role, form.signature)
        if key not in signatures:
            signatures.add(key)
            kept.append((role, form))
    return kept
