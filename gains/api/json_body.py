"""Bounds on the JSON bodies the API accepts, checked once before webargs parses them.

Python's json module raises, rather than answering, on two legal but hostile bodies: nesting
deeper than the interpreter's recursion limit (RecursionError) and an integer of more than
4,300 digits (ValueError, Python 3.11's guard against slow int()). webargs catches neither, so
each was a 500. No body of this API nests more than three levels (a list of rows of values)
or needs a number of more than a few digits, so the bounds here are wide, and a body past them
is a 400 problem. What a sensible number may be for each field is `gains.bounds`' business.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from gains.api.problems import is_api_request, problem

MAX_DEPTH = 20
# Python's own limit on int() from text (sys.get_int_max_str_digits): anything shorter is
# read, and left to the schemas and bounds to refuse with a message about its field.
MAX_INTEGER_DIGITS = 4_300


class BodyRefused(ValueError):
    """A JSON body outside the bounds; the message says which and what to do."""


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BodyRefused(
            f"A number in the body has more than {MAX_INTEGER_DIGITS:,} digits: "
            "send numbers of a sensible size"
        )
    return int(text)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def check_bounds(body: bytes) -> None:
    """Raise BodyRefused if `body` nests too deeply or holds too long an integer. A body that
    is not JSON at all is left to webargs, which answers it in its own words."""
    too_deep = BodyRefused(
        f"The body nests arrays or objects more than {MAX_DEPTH} levels deep: "
        "send the shape the API describes"
    )
    try:
        value = json.loads(body, parse_int=_whole_number)
    except RecursionError:
        raise too_deep from None
    except BodyRefused:
        raise
    except ValueError:  # not JSON (json.JSONDecodeError and UnicodeDecodeError included)
        return
    if isinstance(value, dict | list) and _deeper_than(value, MAX_DEPTH):
        raise too_deep


def refuse_unbounded_json() -> Response | None:
    """A before-request hook: an API request's JSON body within the bounds, or a 400."""
    if not (is_api_request() and request.is_json):
        return None
    body = request.get_data(cache=True)
    if not body:
        return None
    try:
        check_bounds(body)
    except BodyRefused as refused:
        return problem(400, str(refused))
    return None
