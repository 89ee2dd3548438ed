"""One CSV for many improvements (an `improvement` column): upload → check → confirm or
cancel, all or nothing across improvements, and only improvements the person may write to."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import AuditEvent, Department, Improvement, Status, Team, UploadBatch
from tests.support.web import OPEN, counts, csv_file, data_version, first_improvement_id_where

URL = "/measurements/import"


@pytest.fixture
def own_two(app, db):
    """Two improvements of the member's team that take data."""
    with app.app_context():
        ids = db.session.scalars(
            select(Improvement.id)
            .join(Team)
            .where(Team.name == "Benefit renewals", Improvement.status.in_(OPEN))
            .order_by(Improvement.id)
        ).all()
    assert len(ids) >= 2
    return ids[:2]


def rows(*improvement_ids: int) -> bytes:
    lines = ["Improvement,Phase,Value"]
    for number in improvement_ids:
        lines += [f"{number},before,10", f"{number},after,8.5"]
    return ("\n".join(lines) + "\n").encode()


def batch_ids(location: str) -> list[int]:
    return [int(n) for n in re.findall(r"batch=(\d+)", location)]


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def test_the_improvements_list_links_to_the_import(signed_in):
    client = signed_in("member")
    html = client.get("/improvements/").get_data(as_text=True)
    assert f'href="{URL}"' in html
    page = client.get(URL)
    assert page.status_code == 200
    assert "Import measurements for several improvements" in page.get_data(as_text=True)


def test_upload_check_confirm_adds_every_improvements_rows(app, signed_in, own_two):
    client = signed_in("member")
    first, second = own_two
    before = [counts(app, n) for n in own_two]
    versions = [data_version(app, n) for n in own_two]
    recorded = audit_count(app, "batch.recorded")

    response = client.post(URL, data=csv_file(rows(first, second, first)))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    ids = batch_ids(response.headers["Location"])
    assert len(ids) == 2
    check = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your import" in check and "Confirm and add 6 measurements" in check
    assert [data_version(app, n) for n in own_two] == versions  # pending: nothing counts yet
    assert audit_count(app, "batch.recorded") == recorded + 2  # one event per batch

    confirmed = client.post(f"{URL}/confirm", data={"batch": ids})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith("/improvements/")
    assert [counts(app, n) for n in own_two] == [
        (before[0][0] + 4, before[0][1] + 1),
        (before[1][0] + 2, before[1][1] + 1),
    ]
    assert [data_version(app, n) for n in own_two] == [v + 1 for v in versions]
    again = client.post(f"{URL}/confirm", data={"batch": ids})
    assert again.status_code == 303 and again.headers["Location"].endswith(URL)


def test_a_row_for_another_departments_improvement_is_a_row_problem(app, signed_in, own_two):
    client = signed_in("member")
    other = first_improvement_id_where(app, Department.code == "REV")
    with app.app_context():
        neighbour = db.session.scalars(
            select(Improvement.id)
            .join(Team)
            .join(Department)
            .where(
                Team.name != "Benefit renewals",
                Department.id
                == select(Team.department_id)
                .where(Team.name == "Benefit renewals")
                .scalar_subquery(),
            )
        ).first()
    before = [counts(app, n) for n in (*own_two, other, neighbour)]
    content = rows(own_two[0], other, neighbour) + b"12x,before,1\n"
    response = client.post(URL, data=csv_file(content))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The file has 5 problems: nothing was saved" in html and 'href="#file"' in html
    for line, message in [
        (4, f"There is no improvement {other} that you can see"),
        # A member sees only their own team's improvements (gains/access.py).
        (6, f"There is no improvement {neighbour} that you can see"),
        (8, "Enter the improvement’s reference, like WKP-0042, or its number, like 42"),
    ]:
        assert re.search(rf">{line}</td>\s*<td[^>]*>Improvement</td>\s*<td[^>]*>{message}", html)
    assert [counts(app, n) for n in (*own_two, other, neighbour)] == before


def test_rows_name_their_improvement_by_reference_or_number(app, signed_in, own_two):
    """Decision 0042: the reference shown on the page ("WKP-0042", any case) or the bare
    number; a reference with another department's code is a row problem naming the right one."""
    client = signed_in("member")
    first, second = own_two
    with app.app_context():
        references = [db.session.get(Improvement, n).reference for n in own_two]
    page = client.get(f"/improvements/{first}").get_data(as_text=True)
    assert f'<span id="reference">{references[0]}</span>' in page
    listed = client.get("/improvements/").get_data(as_text=True)
    assert all(reference in listed for reference in references)
    before = [counts(app, n) for n in own_two]
    content = (
        f"Improvement,Phase,Value\n{references[0]},before,10\n{references[1].lower()},after,8\n"
        f"{second},before,9\n"
    ).encode()
    response = client.post(URL, data=csv_file(content))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    check = client.get(response.headers["Location"]).get_data(as_text=True)
    assert all(reference in check for reference in references)
    client.post(f"{URL}/cancel", data={"batch": batch_ids(response.headers["Location"])})
    wrong = client.post(
        URL, data=csv_file(f"improvement,phase,value\nREV-{first},after,1\n".encode())
    )
    assert wrong.status_code == 422
    assert (
        f"REV-{first:04d} has the wrong department code: improvement {first:,}’s reference is "
        f"{references[0]}" in wrong.get_data(as_text=True)
    )
    assert [counts(app, n) for n in own_two] == before


def test_one_bad_row_writes_nothing_for_any_improvement(app, signed_in, own_two):
    client = signed_in("manager")
    before = [counts(app, n) for n in own_two]
    content = rows(*own_two) + f"{own_two[1]},during,3\n".encode()
    response = client.post(URL, data=csv_file(content))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r">6</td>\s*<td[^>]*>Phase</td>\s*<td[^>]*>Enter before or after", html)
    assert [counts(app, n) for n in own_two] == before


def test_an_improvement_that_takes_no_data_is_a_row_problem(app, signed_in):
    client = signed_in("manager")
    closed = first_improvement_id_where(
        app, Team.name == "Benefit renewals", Improvement.status == Status.DRAFT
    )
    response = client.post(URL, data=csv_file(rows(closed)))
    assert response.status_code == 422
    assert f"Improvement {closed} is draft: it takes no measurements now" in response.get_data(
        as_text=True
    )


def test_cancel_throws_the_whole_upload_away(app, signed_in, own_two):
    client = signed_in("member")
    before = [counts(app, n) for n in own_two]
    response = client.post(URL, data=csv_file(rows(*own_two)))
    ids = batch_ids(response.headers["Location"])
    cancelled = client.post(f"{URL}/cancel", data={"batch": ids})
    assert cancelled.status_code == 303
    assert [counts(app, n) for n in own_two] == before
    assert audit_count(app, "batch.cancelled") >= 2


def test_confirm_refuses_batches_the_person_cannot_change(app, signed_in, own_two, client):
    member = signed_in("member")
    response = member.post(URL, data=csv_file(rows(*own_two)))
    ids = batch_ids(response.headers["Location"])
    member.post("/auth/sign-out")
    signed_in("treasury")
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}/confirm", data={"batch": ids}).status_code == 403
    with app.app_context():
        pending = db.session.scalars(select(UploadBatch.status).where(UploadBatch.id.in_(ids)))
        assert {status.value for status in pending} == {"pending"}


def test_confirm_is_all_or_nothing_across_improvements(app, signed_in, own_two):
    client = signed_in("manager")
    versions = [data_version(app, n) for n in own_two]
    response = client.post(URL, data=csv_file(rows(*own_two)))
    ids = batch_ids(response.headers["Location"])
    with app.app_context():
        db.session.get(Improvement, own_two[1]).status = Status.WITHDRAWN
        db.session.commit()
    refused = client.post(f"{URL}/confirm", data={"batch": ids})
    assert (
        refused.status_code == 303 and "/measurements/import/check" in refused.headers["Location"]
    )
    assert data_version(app, own_two[0]) == versions[0]
    with app.app_context():
        pending = db.session.scalars(select(UploadBatch.status).where(UploadBatch.id.in_(ids)))
        assert {status.value for status in pending} == {"pending"}
