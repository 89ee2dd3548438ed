"""The lock table through the API's PATCH, generated from it: every plan field × every
status (the services' cases: tests/services/test_lock_table.py; the web's:
tests/web/test_lock_table.py)."""

from __future__ import annotations

import pytest

from gains.models import Status
from gains.services.audit.events import jsonable
from tests.api.conftest import assert_problem
from tests.support.lock_table import CASES, is_locked, prepared, reloaded, written


@pytest.mark.parametrize(("field", "status"), CASES)
def test_api_patch(app, client, bearer, field, status):
    improvement_id, value, before, seen = prepared(app, status, field)
    headers = bearer("member")
    url = f"/api/v1/improvements/{improvement_id}"
    locked_listed = field in client.get(url, headers=headers).get_json()["locked_fields"]
    response = client.patch(url, json={field: jsonable(value)}, headers=headers)
    if status is Status.WITHDRAWN:
        # Withdrawal is final (issue 21): every field is refused, and nothing is written.
        assert "was withdrawn, so it cannot be changed" in assert_problem(response, 409)["detail"]
        assert getattr(reloaded(app, improvement_id), field) == before
        assert written(app, improvement_id)[0] == seen
    elif is_locked(field, status):
        assert locked_listed
        assert "locked" in assert_problem(response, 409)["detail"]
        assert getattr(reloaded(app, improvement_id), field) == before
        assert written(app, improvement_id)[0] == seen
    else:
        assert not locked_listed
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        assert response.get_json()[field] == jsonable(value)
        assert getattr(reloaded(app, improvement_id), field) == value
        assert written(app, improvement_id)[1][-1] == "improvement.updated"
