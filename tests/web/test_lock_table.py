"""The lock table on the web, generated from it: every plan field × every status, through the
edit form and the amendment page (the services' cases: tests/services/test_lock_table.py;
the API's: tests/api/test_lock_table.py)."""

from __future__ import annotations

import pytest

from gains.models import Status
from gains.services.improvements.locking import locked_in
from gains.services.improvements.workflow import PLAN_FIELDS
from tests.support.lock_table import (
    CASES,
    form_field,
    is_locked,
    prepared,
    reloaded,
    web_data,
    web_form,
    written,
)


def assert_refused_as_withdrawn(app, response, improvement_id, field, before, seen) -> None:
    """Withdrawal is final (issue 21): every field refuses an edit and an amendment alike
    (409 with the reason), and nothing is written."""
    assert response.status_code == 409, response.get_data(as_text=True)[:2000]
    assert "was withdrawn, so it cannot be changed" in response.get_data(as_text=True)
    assert getattr(reloaded(app, improvement_id), field) == before
    assert written(app, improvement_id)[0] == seen


@pytest.mark.parametrize(("field", "status"), CASES)
def test_web_edit(app, signed_in, field, status):
    improvement_id, value, before, seen = prepared(app, status, field)
    client = signed_in("member")
    url = f"/improvements/{improvement_id}/edit"
    page = client.get(url).get_data(as_text=True)
    shown_as_input = f'name="{form_field(field)}"' in page
    amend_link = f"/improvements/{improvement_id}/amend/{field}" in page
    # With every field locked (once reviewed) the page is the amend links, with no Save.
    assert ("Save changes" in page) == (locked_in(status) != set(PLAN_FIELDS))
    # The whole form, locked fields included (a page opened before they locked, or crafted).
    response = client.post(url, data=web_form(reloaded(app, improvement_id), **{field: value}))
    if status is Status.WITHDRAWN:
        assert_refused_as_withdrawn(app, response, improvement_id, field, before, seen)
    elif is_locked(field, status):
        assert not shown_as_input and amend_link
        assert response.status_code == 409
        assert "locked while the improvement is" in response.get_data(as_text=True)
        assert getattr(reloaded(app, improvement_id), field) == before
        assert written(app, improvement_id)[0] == seen
    else:
        assert shown_as_input and not amend_link
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        assert getattr(reloaded(app, improvement_id), field) == value
        assert written(app, improvement_id)[1][-1] == "improvement.updated"


@pytest.mark.parametrize(("field", "status"), CASES)
def test_web_amend(app, signed_in, field, status):
    improvement_id, value, before, seen = prepared(app, status, field)
    client = signed_in("member")
    url = f"/improvements/{improvement_id}/amend/{field}"
    name, data = web_data(field, value)
    if status is Status.WITHDRAWN:
        response = client.post(url, data={name: data, "reason": "Agreed with finance"})
        assert_refused_as_withdrawn(app, response, improvement_id, field, before, seen)
        return
    if is_locked(field, status):
        assert f'name="{name}"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data={name: data, "reason": "Agreed with finance"})
    after = reloaded(app, improvement_id)
    if not is_locked(field, status):
        assert client.get(url).status_code == 404 and response.status_code == 404
        assert getattr(after, field) == before
        assert written(app, improvement_id)[0] == seen
        return
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert getattr(after, field) == value
    (_, amendments), history, public = written(app, improvement_id)
    assert amendments == seen[1] + 1 and "improvement.amended" in history
    assert after.status is (Status.SUBMITTED if status is Status.APPROVED else status)
    assert not public
