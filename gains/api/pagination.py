"""One page of a list, the same way on every list endpoint: the body's envelope (`items`,
`page`, `per_page`, `total`, `pages`, `links`) and the same links in a `Link` header
(RFC 8288). A page past the last is an empty page, not an error."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from sqlalchemy import Select

from gains.bounds import RECORD_ID
from gains.extensions import db

# Record ids in paths: bounded, so that no id reaches the database as an integer it cannot hold.
ID = f"int(min={RECORD_ID.low}, max={RECORD_ID.high})"

LINK_HEADER_DOC = {
    "Link": {
        "description": "first, prev, next and last pages (RFC 8288)",
        "schema": {"type": "string"},
    }
}


def _url(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


def paginate(stmt: Select, page: int, per_page: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The page's body (records in `items`, for the schema to dump) and its headers."""
    listed = db.paginate(stmt, page=page, per_page=per_page, max_per_page=None, error_out=False)
    pages = max(listed.pages, 1)
    links = {"self": _url(page), "first": _url(1), "last": _url(pages)}
    if page > 1:
        links["prev"] = _url(min(page - 1, pages))
    if page < pages:
        links["next"] = _url(page + 1)
    body = {
        "items": listed.items,
        "page": page,
        "per_page": per_page,
        "total": listed.total,
        "pages": pages,
        "links": links,
    }
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if rel != "self")
    return body, {"Link": header}
