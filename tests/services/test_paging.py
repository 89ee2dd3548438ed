"""Paging by key gives exactly the pages that paging the whole rows gives."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gains.models import Improvement, Status
from gains.paging import paginate, paginate_by_key
from gains.services.improvements.register import ORDERINGS, order_register


def as_ids(page):
    return [item.id for item in page.items], page.total, page.page, page.pages


@pytest.mark.parametrize("sort", sorted(ORDERINGS))
def test_paging_by_key_equals_paging_the_rows(session, sort):
    every = select(Improvement)
    running = select(Improvement).where(Improvement.status == Status.RUNNING)
    nothing = select(Improvement).where(Improvement.title == "No such improvement")
    total = len(session.scalars(every).all())
    assert total > 7  # several pages of 3
    for stmt in (every, running, nothing):
        ordered = order_register(stmt, sort)
        for page in (1, 2, 3, 99):  # 99: past the end, which shows the last page
            expected = as_ids(paginate(ordered, page, 3))
            paged = paginate_by_key(ordered, page, 3, joinedload(Improvement.team))
            assert as_ids(paged) == expected, (stmt, page)
