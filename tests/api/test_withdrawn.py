"""A withdrawn improvement refuses every change through the API (issue 21): 409, nothing
written."""

from __future__ import annotations

from tests.api.conftest import assert_problem
from tests.web.test_withdrawn import WITHDRAWN, footprint, withdrawn_improvement


def test_every_api_write_to_a_withdrawn_improvement_is_a_conflict(session, client, bearer):
    improvement = withdrawn_improvement(session)
    batch = improvement.batches[0].id
    url = f"/api/v1/improvements/{improvement.id}"
    headers = bearer("member")  # a token first: making one is an audit event
    before = footprint(session, improvement)
    writes = [
        (client.patch, url, {}),
        (client.patch, url, {"hypothesis": "Changed after withdrawal"}),
        (client.post, f"{url}/measurements", {"rows": [{"phase": "after", "value": 7.5}]}),
        (client.post, f"/api/v1/batches/{batch}/withdraw", {"reason": "Duplicate"}),
    ]
    for method, path, body in writes:
        problem = assert_problem(method(path, json=body, headers=headers), 409)
        assert WITHDRAWN in problem["detail"], (path, body)
    assert footprint(session, improvement) == before
