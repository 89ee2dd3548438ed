"""Measurement routes as each role, with and without htmx, and the CSV upload journey."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import (
    BatchStatus,
    Department,
    Improvement,
    Measurement,
    Team,
    UploadBatch,
)
from tests.support.web import HTMX, OPEN, counts, csv_file, data_version, first_improvement_id_where


@pytest.fixture
def own(app, db):
    """An improvement of the member's team that takes data."""
    return first_improvement_id_where(
        app, Team.name == "Benefit renewals", Improvement.status.in_(OPEN)
    )


def newest_measurement(app, improvement: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.max(Measurement.id)).where(Measurement.improvement_id == improvement)
        )


ROW = {"new-phase": "after", "new-group": "treatment", "new-value": "7.5"}


def test_the_table_is_a_page_or_a_fragment(signed_in, own):
    client = signed_in("member")
    page = client.get(f"/improvements/{own}/measurements")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="measurements"' in html and 'id="measurement-add"' in html
    fragment = client.get(f"/improvements/{own}/measurements?page=2", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section id="measurements"')
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_pager_links_pages_plainly_and_swaps_the_section_with_htmx(signed_in, own):
    client = signed_in("member")
    body = client.get(f"/improvements/{own}/measurements?page=2", headers=HTMX).get_data(
        as_text=True
    )
    pager = html.unescape(body[body.index('<nav class="govuk-pagination') :])
    for number in (1, 3):
        href = f"/improvements/{own}/measurements?page={number}"
        assert f'href="{href}"' in pager and f'hx-get="{href}"' in pager
    assert 'hx-target="#measurements"' in pager and 'hx-swap="outerHTML"' in pager
    assert "Page 2 of " in pager


def test_add_without_javascript_redirects_with_303(app, signed_in, own):
    client = signed_in("member")
    version = data_version(app, own)
    response = client.post(f"/improvements/{own}/measurements", data=ROW)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/improvements/{own}#measurements")
    assert data_version(app, own) == version + 1
    assert "Measurement added." in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("role_name", ["member", "manager", "admin"])
def test_add_with_htmx_returns_the_section_and_the_trigger(app, signed_in, own, role_name):
    client = signed_in(role_name)
    response = client.post(f"/improvements/{own}/measurements", data=ROW, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "measurements-changed"
    assert response.headers["HX-Retarget"] == "#measurements"
    assert 'id="measurements"' in response.get_data(as_text=True)


def test_a_bad_row_is_shown_in_place(app, signed_in, own):
    client = signed_in("member")
    before = counts(app, own)
    bad = {"new-phase": "", "new-value": "lots"}
    fragment = client.post(f"/improvements/{own}/measurements", data=bad, headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Trigger" not in fragment.headers
    assert html.lstrip().startswith('<form id="measurement-add"')
    assert "govuk-form-group--error" in html
    assert "Enter before or after" in html and "Enter a number" in html
    page = client.post(f"/improvements/{own}/measurements", data=bad)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "govuk-error-summary" in html and 'href="#new-value"' in html
    assert counts(app, own) == before


def test_edit_row_inline_and_save(app, signed_in, own):
    client = signed_in("member")
    client.post(f"/improvements/{own}/measurements", data=ROW)
    row = newest_measurement(app, own)
    url = f"/improvements/{own}/measurements/{row}/edit"
    editing = client.get(url, headers=HTMX).get_data(as_text=True)
    assert editing.lstrip().startswith(
        f'<tr class="govuk-table__row app-edit-row" id="measurement-{row}"'
    )
    whole_page = client.get(url)  # a whole page without JavaScript
    assert whole_page.status_code == 200
    # Its heading says what the row is, not its database id (ROW has no date or unit).
    assert '<h1 class="govuk-heading-l">Edit the after measurement of 7.5</h1>' in (
        whole_page.get_data(as_text=True)
    )
    assert f"measurement {row}" not in editing
    bad = client.post(url, data={f"m{row}-phase": "after", f"m{row}-value": "inf"}, headers=HTMX)
    assert "Enter a finite number" in bad.get_data(as_text=True)
    assert "govuk-error-message" in bad.get_data(as_text=True)
    assert (
        client.post(url, data={f"m{row}-phase": "after", f"m{row}-value": "inf"}).status_code == 422
    )
    saved = client.post(
        url, data={f"m{row}-phase": "before", f"m{row}-value": "9.25"}, headers=HTMX
    )
    assert saved.headers["HX-Trigger"] == "measurements-changed"
    with app.app_context():
        assert db.session.get(Measurement, row).value == 9.25
    assert (
        client.post(url, data={f"m{row}-phase": "before", f"m{row}-value": "9"}).status_code == 303
    )


def test_delete_row(app, signed_in, own):
    client = signed_in("member")
    client.post(f"/improvements/{own}/measurements", data=ROW)
    row = newest_measurement(app, own)
    response = client.post(f"/improvements/{own}/measurements/{row}/delete", headers=HTMX)
    assert response.headers["HX-Trigger"] == "measurements-changed"
    assert f'id="measurement-{row}"' not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Measurement, row) is None


def test_treasury_reads_but_cannot_write(app, signed_in, own):
    client = signed_in("treasury")
    page = client.get(f"/improvements/{own}/measurements").get_data(as_text=True)
    assert 'id="measurements"' in page and 'id="measurement-add"' not in page
    assert client.post(f"/improvements/{own}/measurements", data=ROW).status_code == 403
    assert client.get(f"/improvements/{own}/measurements/upload").status_code == 403
    row = newest_measurement(app, own)
    assert client.post(f"/improvements/{own}/measurements/{row}/delete").status_code == 403


def test_other_department_sees_nothing(app, signed_in, own):
    client = signed_in("member")
    other = first_improvement_id_where(app, Department.code == "REV")
    assert client.get(f"/improvements/{other}/measurements").status_code == 404
    assert client.post(f"/improvements/{other}/measurements", data=ROW).status_code == 404
    # A row of another improvement under this one's address is not found either.
    foreign_row = newest_measurement(app, other)
    url = f"/improvements/{own}/measurements/{foreign_row}/delete"
    assert client.post(url).status_code == 404


def test_upload_preview_confirm_lands_the_rows(app, signed_in, own):
    client = signed_in("member")
    before = counts(app, own)
    version = data_version(app, own)
    content = b"\xef\xbb\xbfPhase;Value;Observed on\r\nbefore;1,5\r\n"
    rejected = client.post(f"/improvements/{own}/measurements/upload", data=csv_file(content))
    assert rejected.status_code == 422
    content = b"\xef\xbb\xbfPhase;Value;Observed on\r\nbefore;1.5;2026-05-01\r\nafter;2;\r\n"
    response = client.post(f"/improvements/{own}/measurements/upload", data=csv_file(content))
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your upload" in preview
    assert "phase, value, date (headed “Observed on”)" in preview
    assert "All 2 rows" in preview
    assert data_version(app, own) == version  # pending: nothing counts yet
    batch = int(re.search(r"/batches/(\d+)", response.headers["Location"]).group(1))
    confirmed = client.post(f"/improvements/{own}/batches/{batch}/confirm")
    assert confirmed.status_code == 303
    assert counts(app, own) == (before[0] + 2, before[1] + 1)
    assert data_version(app, own) == version + 1
    again = client.post(f"/improvements/{own}/batches/{batch}/confirm", headers=HTMX)
    assert "is active, so it cannot be confirmed" in again.get_data(as_text=True)


def test_cancel_leaves_nothing(app, signed_in, own):
    client = signed_in("member")
    before = counts(app, own)
    response = client.post(
        f"/improvements/{own}/measurements/upload", data=csv_file(b"phase,value\nafter,1\n")
    )
    batch = int(re.search(r"/batches/(\d+)", response.headers["Location"]).group(1))
    cancelled = client.post(f"/improvements/{own}/batches/{batch}/cancel", headers=HTMX)
    assert cancelled.status_code == 200 and "HX-Trigger" not in cancelled.headers
    assert counts(app, own) == before


def test_a_rejected_upload_lists_every_bad_row_and_writes_nothing(app, signed_in, own):
    client = signed_in("member")
    before = counts(app, own)
    content = b"phase,group,value\nbefore,treatment,1\nduring,treatment,x\nafter,placebo,inf\n"
    response = client.post(f"/improvements/{own}/measurements/upload", data=csv_file(content))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The file has 4 problems: nothing was saved" in html and 'href="#file"' in html
    for line, column, message in [
        (3, "phase", "Enter before or after"),
        (3, "value", "Enter a number"),
        (4, "group", "Enter treatment or control"),
        (4, "value", "Enter a finite number"),
    ]:
        assert re.search(rf">{line}</td>\s*<td[^>]*>{column}</td>\s*<td[^>]*>{message}", html), (
            line,
            column,
            message,
        )
    assert counts(app, own) == before


def test_oversized_upload_answers_413(app, signed_in, own, monkeypatch):
    client = signed_in("member")
    before = counts(app, own)
    monkeypatch.setitem(app.config, "MEASUREMENT_UPLOAD_MAX_BYTES", 100)
    content = b"phase,value\n" + b"before,1\n" * 20
    response = client.post(f"/improvements/{own}/measurements/upload", data=csv_file(content))
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "MEASUREMENT_UPLOAD_MAX_ROWS", 3)
    monkeypatch.setitem(app.config, "MEASUREMENT_UPLOAD_MAX_BYTES", 10_000)
    assert (
        client.post(f"/improvements/{own}/measurements/upload", data=csv_file(content)).status_code
        == 413
    )
    # The whole request over Flask's MAX_CONTENT_LENGTH gets the same designed page.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    too_long = client.post(f"/improvements/{own}/measurements/upload", data=csv_file(content))
    assert too_long.status_code == 413
    assert "The file is too large" in too_long.get_data(as_text=True)
    assert counts(app, own) == before


def test_withdraw_a_batch(app, signed_in, own):
    client = signed_in("member")
    client.post(f"/improvements/{own}/measurements", data=ROW)
    with app.app_context():
        batch = db.session.scalar(
            select(func.max(UploadBatch.id)).where(UploadBatch.improvement_id == own)
        )
    url = f"/improvements/{own}/batches/{batch}/withdraw"
    assert "Withdraw this batch" in client.get(f"/improvements/{own}/batches/{batch}").get_data(
        as_text=True
    )
    missing = client.post(url, data={f"b{batch}-reason": ""})
    assert missing.status_code == 422
    assert "Say why the measurements are withdrawn" in missing.get_data(as_text=True)
    done = client.post(url, data={f"b{batch}-reason": "Typed twice"}, headers=HTMX)
    assert done.headers["HX-Trigger"] == "measurements-changed"
    with app.app_context():
        assert db.session.get(UploadBatch, batch).status is BatchStatus.WITHDRAWN


def test_the_template_is_formula_safe(app, signed_in, own):
    with app.app_context():
        db.session.get(Improvement, own).unit_of_observation = '=HYPERLINK("http://x")'
        db.session.commit()
    response = signed_in("member").get(f"/improvements/{own}/measurements/template.csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "phase,group,unit,date,value"
    assert lines[1].startswith("before,treatment,\"'=HYPERLINK(")
    assert lines[1].endswith(",12.5")
