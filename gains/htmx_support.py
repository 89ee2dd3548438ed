"""The one place that decides between a whole page and an htmx fragment (house style rule 6).

A fragment is wanted only for a real htmx swap: `HX-Request` present, and neither a boosted
navigation (which expects a whole page) nor a history restore (htmx asking for the whole page
after a cache miss). Responses that differ by it say so with `Vary: HX-Request`, so no cache
hands a fragment to a browser that asked for a page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template

from gains.extensions import htmx


def wants_fragment() -> bool:
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page_or_fragment(
    page_template: str, fragment_template: str, *, status: int = 200, **context: Any
) -> Response:
    """The fragment for an htmx swap, else the page (which includes the same fragment)."""
    template = fragment_template if wants_fragment() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
