"""How URLs name records: every `<int:…>` in a route is a record id, bounded.

Werkzeug's `int` converter matches digits of any length, and a path such as
`/improvements/99999999999999999999` reached the database as an integer it cannot hold (a
500). Bounded here, once, for every route, such a path matches no route: a 404 like any other
missing record. The API's routes name their bounds in full (`api/pagination.ID`).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from gains.form_fields import MAX_RECORD_ID


class RecordIdConverter(IntegerConverter):
    """`int`, at most the largest record id unless the route says otherwise."""

    def __init__(self, map, *args, max: int | None = MAX_RECORD_ID, **kwargs) -> None:
        super().__init__(map, *args, max=max, **kwargs)


def init_app(app: Flask) -> None:
    """Before any blueprint: a rule takes its converter when it is added."""
    app.url_map.converters["int"] = RecordIdConverter
