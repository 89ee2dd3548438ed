"""One page of a query's results, with the total, for lists that page."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from gains.extensions import db


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    pages: int


def paginate(stmt: Select, page: int, page_size: int) -> Page:
    """Page `page` (from 1) of an ordered SELECT; a page past the end shows the last one."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)))
    return Page(items=items, total=total, page=page, pages=pages)
