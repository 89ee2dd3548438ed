"""Every web form, posted with odd input as each role that is shown it: never a 5xx, and a
refusal (4xx, or the form shown again with errors) writes nothing.

There is one test per POST route of `app.url_map` (outside the API, which schemathesis and
test_api_bodies.py cover). The forms themselves are found on the pages (tests/fuzz/
discovery.py), so a new route or a new field is fuzzed without a change here; a POST route no
page shows fails `test_every_post_route_is_shown_on_a_page` until it is listed in
`NOT_ON_ANY_PAGE` with the reason.

Each example starts from the same records (a savepoint per example) and changes a few fields
of a plausible submission into odd values (tests/fuzz/strategies.py), so most examples get
past the first check and carry the odd values into the services. After an accepted post, the
page it leads to and the improvement's audit trail are fetched too: what was stored must show.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re

import pytest
from flask_wtf import FlaskForm
from hypothesis import given, note
from hypothesis import strategies as st

import gains
from tests.conftest import make_test_app
from tests.fuzz import discovery
from tests.fuzz.conftest import (
    changed_tables,
    example_savepoint,
    fuzz_settings,
    snapshot,
)
from tests.fuzz.pages import Field, Form, local_path, match_route
from tests.fuzz.strategies import csv_files, odd_date_parts, odd_text, plausible_text

# POST routes no page of the demo records shows a form for, and the test that fuzzes each.
NOT_ON_ANY_PAGE: dict[str, str] = {
    "admin.reactivate_user": "shown only for a deactivated account: "
    "test_reactivating_with_odd_input_never_fails",
    "admin.send_email_again": "shown only for an email that failed, which the demo records "
    "have none of: test_sending_an_email_again_with_odd_input_never_fails",
}
PREFIXED = re.compile(r"^m\d+-")
ERROR_SUMMARY = "govuk-error-summary"
MAX_PAGES = 16  # pages fetched per route to find its forms (amendments: one per field)


def _post_endpoints() -> list[str]:
    app = make_test_app("sqlite://")
    # The API's own routes are JSON (schemathesis); its token pages are web forms.
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods
            and (rule.endpoint.startswith("api_tokens.") or not rule.endpoint.startswith("api_"))
        }
    )


POST_ENDPOINTS = _post_endpoints()
# Findings of issue 17 the fuzzers reproduce, being fixed by the other items: the lead removes
# each mark as its fix lands (strict, so a fixed finding fails until its mark goes).
KNOWN: dict[str, str] = {}


def _case(endpoint: str):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[endpoint])] if endpoint in KNOWN else []
    return pytest.param(endpoint, marks=marks, id=endpoint)


@pytest.fixture(scope="session")
def discovered(app):
    return discovery.discover(app)


def test_every_post_route_is_shown_on_a_page(discovered):
    shown = {endpoint for endpoint, method in discovered if method == "POST"}
    missing = sorted(set(POST_ENDPOINTS) - shown - NOT_ON_ANY_PAGE.keys())
    assert not missing, f"POST routes no page shows a form for: {missing}"


def _form_classes() -> list[type[FlaskForm]]:
    classes = []
    for module in pkgutil.walk_packages(gains.__path__, "gains."):
        if module.name.endswith(".forms"):
            for _, value in inspect.getmembers(importlib.import_module(module.name)):
                if (
                    inspect.isclass(value)
                    and issubclass(value, FlaskForm)
                    and value.__module__ == module.name
                ):
                    classes.append(value)
    return classes


def test_every_form_class_is_found_on_a_page(app, discovered, db, clients, states):
    """Each WTForms class's fields appear in a form some page shows, so the walk (and so the
    fuzzers) reach every form in gains/*/forms.py."""
    shown: list[set[str]] = []
    for (endpoint, method), sources in discovered.items():
        for source in sorted(sources, key=repr)[:1]:
            client = clients(source.role)
            for form in discovery.forms_on(app, client, source, states, endpoint, method):
                shown.append({_form_name(name) for name in form.fields})
    missing = []
    for form_class in _form_classes():
        with app.test_request_context():
            names = {
                field.name
                for field in form_class(meta={"csrf": False})
                if field.type not in ("SubmitField", "CSRFTokenField")
            }
        if names and not any(names <= fields for fields in shown):
            missing.append(f"{form_class.__module__}.{form_class.__name__} {sorted(names)}")
    assert not missing, f"form classes no page shows: {missing}"


def _form_name(name: str) -> str:
    """A field's name without the prefix a form on a list page carries (`m12-value`)."""
    return PREFIXED.sub("", name)


def _plausible(field: Field) -> st.SearchStrategy:
    if field.kind in ("select", "radio"):
        options = [option for option in field.options if option] or field.options or [""]
        return st.sampled_from(options)
    if field.kind == "checkbox":
        return st.sampled_from(["", field.options[0] if field.options else "on"])
    if field.is_date:
        return st.just(field.parts if any(field.parts) else ["27", "3", "2026"])
    if field.kind == "file":
        return st.just(b"phase,value\nbefore,10\nbefore,11\nafter,8\nafter,9\n")
    if field.value:
        return st.just(field.value)
    name = field.name.lower()
    if "email" in name:
        return st.just("fuzz.person@example.org")
    if "password" in name:
        return st.just("correct horse battery staple 42")
    if "date" in name or "observed_on" in name:
        return st.just("2026-05-01")
    if name.endswith("code"):
        return st.just("FUZ")
    return plausible_text()


def _odd(field: Field) -> st.SearchStrategy:
    if field.kind == "file":
        return csv_files()
    if field.is_date:  # some parts left out, as when a browser posts an emptied input
        return st.one_of(
            odd_date_parts().map(list), odd_date_parts().map(lambda parts: list(parts[:2]))
        )
    return st.one_of(st.none(), odd_text())  # None: the field is left out of the post


@st.composite
def submissions(draw, form: Form) -> dict:
    """A plausible submission of `form` with a few fields (a date as a whole) made odd."""
    body = {name: draw(_plausible(field)) for name, field in form.fields.items()}
    names = sorted(form.fields)
    for name in draw(st.sets(st.sampled_from(names), max_size=3)) if names else ():
        body[name] = draw(_odd(form.fields[name]))
    for name, field in form.fields.items():
        if field.kind == "file" and body.get(name) is not None:
            filename = draw(
                st.sampled_from(("rows.csv", "../../x.csv", "a\x00b.csv", "😀.csv", ""))
            )
            body[name] = (io.BytesIO(body[name]), filename)
    return {name: value for name, value in body.items() if value is not None}


def _rejected(response) -> bool:
    if response.status_code >= 400:
        return True
    return response.status_code == 200 and ERROR_SUMMARY in response.get_data(as_text=True)


def _follow_up(app, client, response, action_values: dict) -> list[tuple[str, int]]:
    """After an accepted post: the page it leads to, and the improvement's audit trail."""
    paths = []
    location = response.headers.get("Location")
    if location and (path := local_path(location)):
        paths.append(path)
    if "improvement_id" in action_values:
        paths.append(f"/improvements/{action_values['improvement_id']}/audit")
    answers = []
    for path in paths:
        answer = client.get(path)
        answers.append((path, answer.status_code))
        answer.close()
    return answers


def _some_sources(sources) -> list:
    """At most one page per role and state (a sign-out button is on every page)."""
    chosen = {}
    for source in sorted(sources, key=lambda s: (s.fixed_args != (), repr(s))):
        key = (source.role, source.state, source.fixed_args)
        chosen.setdefault(key, source)
    return list(chosen.values())[:MAX_PAGES]


def _candidates(app, endpoint, sources, clients, states):
    found = []
    for source in _some_sources(sources):
        client = clients(source.role)
        for form in discovery.forms_on(app, client, source, states, endpoint, "POST"):
            found.append((source.role, form))
        clients.restore()
    return discovery.distinct(found)[:12]


@pytest.mark.parametrize(
    "endpoint", [_case(endpoint) for endpoint in POST_ENDPOINTS if endpoint not in NOT_ON_ANY_PAGE]
)
def test_odd_form_input_never_fails_and_a_refusal_writes_nothing(
    app, db, discovered, clients, states, endpoint
):
    sources = discovered.get((endpoint, "POST"))
    assert sources, "no page shows this form (test_every_post_route_is_shown_on_a_page)"
    candidates = _candidates(app, endpoint, sources, clients, states)
    assert candidates, f"the pages that showed a form for {endpoint} no longer do"
    seen: list[int] = []

    # A button (no field but hidden ones) has little to vary: two examples.
    buttons = all(f.kind == "hidden" for _, form in candidates for f in form.fields.values())

    @fuzz_settings(examples=2 if buttons else None)
    @given(data=st.data())
    def example(data):
        role, form = data.draw(st.sampled_from(candidates), label="role and form")
        body = data.draw(submissions(form), label="body")
        _, action_values = match_route(app, form.action, "POST")
        ids = {action_values["improvement_id"]} if "improvement_id" in action_values else set()
        note(f"{role} POST {form.action} {body!r}")
        clients.restore()
        client = clients(role)
        with example_savepoint(app):
            before = snapshot(app, ids)
            response = client.post(form.action, data=body, content_type=form.enctype)
            status = response.status_code
            seen.append(status)
            text = response.get_data(as_text=True)
            assert status < 500, f"{role} POST {form.action} -> {status}\n{text[-1500:]}"
            if _rejected(response):
                after = snapshot(app, ids)
                assert not changed_tables(before, after), (
                    f"{role} POST {form.action} refused ({status}) but wrote "
                    f"{changed_tables(before, after)}"
                )
            else:
                for path, answer in _follow_up(app, client, response, action_values):
                    assert answer < 500, f"after {role} POST {form.action}: GET {path} -> {answer}"

    example()
    print(f"{endpoint}: {len(candidates)} forms, {len(seen)} posts: {sorted(set(seen))}")


ODD_BUTTON_BODIES = [{}, {"csrf_token": "\x00"}, {"x": "9" * 5000}, {"confirm": "\u202e😀$x$"}]


def _odd_button_posts_never_fail(clients, path: str, record_ids) -> None:
    """A button no demo page shows, posted as each role with odd fields and at odd ids
    (`path` has one `{}` for the id): never a 5xx."""
    for role in ("member", "manager", "treasury", "admin"):
        for record_id in record_ids:
            for body in ODD_BUTTON_BODIES:
                response = clients(role).post(path.format(record_id), data=body)
                assert response.status_code < 500, (role, record_id, body)


def test_reactivating_with_odd_input_never_fails(app, db, clients):
    """The reactivate button shows only on a deactivated account's page, which the demo
    records have none of: deactivate one, then post the button as each role, with odd fields
    and odd ids, and once as it is."""
    from gains.extensions import db as database
    from gains.services.people.accounts import deactivate_user
    from tests.support.factories import person

    with app.app_context():
        target = person(database.session, "manager.hlt@example.org")
        deactivate_user(person(database.session, "admin"), target)
        database.session.commit()
        target_id = target.id
        database.session.remove()
    admin = clients("admin")
    page = admin.get(f"/admin/users/{target_id}")
    assert page.status_code == 200 and f"/admin/users/{target_id}/reactivate" in page.text
    _odd_button_posts_never_fail(
        clients, "/admin/users/{}/reactivate", (target_id, 0, 2**31, 2**63)
    )
    done = admin.post(f"/admin/users/{target_id}/reactivate")
    assert done.status_code in (302, 303)
    with app.app_context():
        assert person(database.session, "manager.hlt@example.org").active
        database.session.remove()


def test_sending_an_email_again_with_odd_input_never_fails(app, db, clients):
    """The send-again button shows only beside a failed email: write one, then post the
    button as each role, with odd fields and odd ids, and once as it is."""
    from gains.extensions import db as database
    from gains.models.notification import FAILED, PENDING, Notification
    from tests.support.factories import person

    with app.app_context():
        failed = Notification(
            recipient_id=person(database.session, "manager").id,
            kind="submitted",
            subject="Waiting for your review",
            body="An improvement waits for review.",
            reason="you review your department's improvements",
            idempotency_key="gains-fuzz-failed",
            status=FAILED,
            attempts=10,
            last_error="The mail server said 550: 'no such mailbox'",
        )
        database.session.add(failed)
        database.session.commit()
        failed_id = failed.id
        database.session.remove()
    admin = clients("admin")
    page = admin.get("/admin/emails")
    assert page.status_code == 200 and f"/admin/emails/{failed_id}/send-again" in page.text
    _odd_button_posts_never_fail(clients, "/admin/emails/{}/send-again", (0, 2**31, 2**63))
    done = admin.post(f"/admin/emails/{failed_id}/send-again")
    assert done.status_code in (302, 303)
    with app.app_context():
        assert database.session.get(Notification, failed_id).status == PENDING
        database.session.remove()
