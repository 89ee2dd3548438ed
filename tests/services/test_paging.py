"""Every way of paging gives the pages `db.paginate` gives, a page past the end showing the
last one."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gains.models import Improvement, Status, Team
from gains.paging import MAX_PAGE, paginate, paginate_by_key, paginate_rows
from gains.services.improvements.register import ORDERINGS, order_register


def as_ids(page, key=lambda item: item.id):
    return [key(item) for item in page.items], page.total, page.page, page.pages


@pytest.mark.parametrize("sort", sorted(ORDERINGS))
def test_paging_by_key_or_by_row_equals_paging_the_records(session, sort):
    every = select(Improvement)
    running = select(Improvement).where(Improvement.status == Status.RUNNING)
    nothing = select(Improvement).where(Improvement.title == "No such improvement")
    total = len(session.scalars(every).all())
    assert total > 7  # several pages of 3
    for stmt in (every, running, nothing):
        ordered = order_register(stmt, sort)
        with_team = ordered.add_columns(Team.name).join(Team, Team.id == Improvement.team_id)
        for page in (1, 2, 3, 99, MAX_PAGE * 10):  # past the end: the last page
            expected = as_ids(paginate(ordered, page, 3))
            paged = paginate_by_key(ordered, page, 3, joinedload(Improvement.team))
            assert as_ids(paged) == expected, (stmt, page)
            rows = paginate_rows(with_team, page, 3)
            assert as_ids(rows, key=lambda row: row[0].id) == expected, (stmt, page)
            assert all(row[1] == row[0].team.name for row in rows.items)


def test_a_page_past_the_end_shows_the_last_page(session):
    ordered = select(Improvement).order_by(Improvement.id)
    total = len(session.scalars(ordered).all())
    last = paginate(ordered, 10**6, 3)
    assert last.pages == -(-total // 3) and last.page == last.pages
    assert [i.id for i in last.items] == [i.id for i in session.scalars(ordered)][
        (last.page - 1) * 3 :
    ]
    assert paginate(ordered, 0, 3).page == 1


def test_a_known_total_saves_the_count_and_still_clamps(session):
    ordered = select(Improvement).order_by(Improvement.id)
    total = len(session.scalars(ordered).all())
    known = paginate(ordered, 99, 3, total=total)
    assert as_ids(known) == as_ids(paginate(ordered, 99, 3))
