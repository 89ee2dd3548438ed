"""CSV files, odd in every way a file can be, through every path that reads one: the web
upload of one improvement, the web import of many, `gains import` and (as JSON rows) the API.
Never a 5xx (or, for the command, an exit status other than 0, 1 or 2 with a traceback), and
a refusal writes nothing. A file that is taken is confirmed (or the import of many cancelled)
and the improvement's pages must then show it.
"""

from __future__ import annotations

import contextlib
import csv
import io

from hypothesis import given, note
from hypothesis import strategies as st

from gains.commands.imports import import_command
from gains.extensions import db as database
from gains.services.people.api_tokens import create_token
from tests.fuzz.conftest import (
    changed_tables,
    example_savepoint,
    fuzz_settings,
    snapshot,
)
from tests.fuzz.pages import local_path, match_route, parse_page
from tests.fuzz.strategies import MANY_HEADERS, JsonText, csv_files, csv_rows, dumps, odd_json_value
from tests.support.factories import person

WRITERS = ("member", "manager", "admin")
FILENAMES = ("rows.csv", "../../etc/x.csv", "a\x00b.csv", "😀.csv", "", "x" * 300 + ".csv")


def _rejected(response) -> bool:
    return response.status_code >= 400 or (
        response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)
    )


def _finish(app, client, response, decision: str) -> list[tuple[str, int]]:
    """Follow an accepted upload to its page, confirm or cancel what waits there, and read
    the pages that show the result; each (path, status)."""
    answers = []
    path = local_path(response.headers.get("Location", ""))
    if not path:
        return answers
    page = client.get(path)
    answers.append((path, page.status_code))
    forms, _ = parse_page(path, page.get_data(as_text=True))
    for form in forms:
        found = match_route(app, form.action, form.method)
        if form.method == "POST" and found and found[0].endpoint.endswith(decision):
            data = {name: field.value for name, field in form.fields.items()}
            done = client.post(form.action, data=data)
            answers.append((form.action, done.status_code))
            if "improvement_id" in found[1]:
                audit = f"/improvements/{found[1]['improvement_id']}/audit"
                answers.append((audit, client.get(audit).status_code))
                view = f"/improvements/{found[1]['improvement_id']}"
                answers.append((view, client.get(view).status_code))
            break
    return answers


def test_odd_csv_files_uploaded_on_the_web(app, db, clients, states):
    values = states("running")
    url = f"/improvements/{values['improvement_id']}/measurements/upload"
    ids = {values["improvement_id"]}

    @fuzz_settings(examples=12)
    @given(
        data=csv_files(),
        filename=st.sampled_from(FILENAMES),
        role=st.sampled_from(WRITERS),
        decision=st.sampled_from(("confirm", "cancel")),
    )
    def example(data, filename, role, decision):
        note(f"{role}: {data!r} named {filename!r}, then {decision}")
        clients.restore()
        client = clients(role)
        with example_savepoint(app):
            before = snapshot(app, ids)
            response = client.post(
                url, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
            )
            assert response.status_code < 500, (data, response.get_data(as_text=True)[-1500:])
            if _rejected(response):
                assert not changed_tables(before, snapshot(app, ids)), data
                return
            for path, status in _finish(app, client, response, decision):
                assert status < 500, f"after the upload of {data!r}: {path} -> {status}"

    example()


def test_odd_csv_files_imported_for_many_improvements(app, db, clients, states):
    running, draft = states("running"), states("draft")
    refs = [str(running["improvement_id"]), str(draft["improvement_id"]), "0", "99999999999"]
    ids = {running["improvement_id"], draft["improvement_id"]}

    @fuzz_settings(examples=12)
    @given(
        data=csv_files(headers=MANY_HEADERS, improvement_refs=refs),
        filename=st.sampled_from(FILENAMES),
        role=st.sampled_from(WRITERS),
        decision=st.sampled_from(("confirm_many", "cancel_many")),
    )
    def example(data, filename, role, decision):
        note(f"{role}: {data!r} named {filename!r}, then {decision}")
        clients.restore()
        client = clients(role)
        with example_savepoint(app):
            before = snapshot(app, ids)
            response = client.post(
                "/measurements/import",
                data={"file": (io.BytesIO(data), filename)},
                content_type="multipart/form-data",
            )
            assert response.status_code < 500, (data, response.get_data(as_text=True)[-1500:])
            if _rejected(response):
                assert not changed_tables(before, snapshot(app, ids)), data
                return
            for path, status in _finish(app, client, response, decision):
                assert status < 500, f"after the import of {data!r}: {path} -> {status}"

    example()


def test_odd_csv_files_through_gains_import(app, db, states, tmp_path):
    values = states("running")
    ids = {values["improvement_id"]}
    runner = app.test_cli_runner()

    @fuzz_settings(examples=12)
    @given(data=csv_files(), dry_run=st.booleans())
    def example(data, dry_run):
        note(f"gains import {data!r}{' --dry-run' if dry_run else ''}")
        path = tmp_path / "rows.csv"
        path.write_bytes(data)
        args = [str(path), "--improvement", str(values["improvement_id"])]
        with example_savepoint(app):
            before = snapshot(app, ids)
            result = runner.invoke(import_command, args + (["--dry-run"] if dry_run else []))
            # 0 imported, 2 the file was refused, 1 nothing could be tried: anything else
            # (or an exception other than SystemExit) is the command's 500.
            assert result.exit_code in (0, 1, 2), (data, result.exit_code, result.output[-1500:])
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                data,
                result.exception,
            )
            if result.exit_code != 0 or dry_run:
                assert not changed_tables(before, snapshot(app, ids)), result.output[-500:]

    example()


@st.composite
def json_rows(draw) -> str:
    """The API's rows: a CSV file's rows as JSON, a few values made odd (as JSON can be)."""
    header = ["phase", "group", "unit_ref", "observed_on", "value"]
    rows = [dict(zip(header, row, strict=False)) for row in draw(csv_rows(header))]
    for row in rows:
        if draw(st.integers(0, 3)) == 0:
            row[draw(st.sampled_from(header))] = draw(odd_json_value())
        if draw(st.booleans()) and isinstance(row.get("value"), str):
            with contextlib.suppress(ValueError):
                row["value"] = float(row["value"])
    body = {"rows": rows, "filename": draw(st.sampled_from(FILENAMES))}
    return JsonText(dumps(body))


def test_odd_rows_posted_to_the_api(app, db, states):
    values = states("running")
    ids = {values["improvement_id"]}
    with app.app_context():
        tokens = {
            role: create_token(person(database.session, role), "fuzz", 30) for role in WRITERS
        }
        headers = {role: {"Authorization": f"Bearer {t.secret}"} for role, t in tokens.items()}
        database.session.commit()
    client = app.test_client()
    url = f"/api/v1/improvements/{values['improvement_id']}/measurements"

    @fuzz_settings(examples=12)
    @given(body=json_rows(), role=st.sampled_from(WRITERS))
    def example(body, role):
        note(f"{role} POST {url} {body!r}")
        with example_savepoint(app):
            before = snapshot(app, ids)
            response = client.post(
                url,
                data=body.encode(),
                headers={**headers[role], "Content-Type": "application/json"},
            )
            assert response.status_code < 500, response.get_data(as_text=True)[:500]
            if response.status_code >= 400:
                assert not changed_tables(before, snapshot(app, ids))
            else:
                view = client.get(f"/api/v1/improvements/{values['improvement_id']}/estimate",
                                  headers=headers[role])  # fmt: skip
                assert view.status_code < 500

    example()


def test_csv_strategy_makes_the_odd_shapes():
    """The strategy reaches the shapes the issue lists (a guard against a strategy that
    quietly stops making them)."""
    seen = set()

    # Always the same 60 examples (a guard of the strategy, not a fuzz): random runs
    # (FUZZ_RANDOM=1) may miss a shape in 60 draws.
    @fuzz_settings(examples=60, derandomize=True)
    @given(data=csv_files())
    def example(data):
        if not data.strip():
            seen.add("empty")
        if b"\r" in data and b"\n" not in data:
            seen.add("cr only")
        if data.count(b",") > 10_000:
            seen.add("wide")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            seen.add("not utf-8")
            return
        rows = list(csv.reader(io.StringIO(text.replace("\x00", ""), newline="")))
        if len(rows) == 1:
            seen.add("header only")

    example()
    assert {"empty", "not utf-8", "header only", "cr only"} <= seen, seen
