"""The fragment-or-page decision, as htmx sends its headers."""

import pytest
from flask import Flask

from gains.htmx_support import wants_fragment


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, False),
        ({"HX-Request": "true"}, True),
        ({"HX-Request": "true", "HX-Boosted": "true"}, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
    ],
)
def test_only_real_swaps_get_fragments(app_without_database: Flask, headers, fragment):
    with app_without_database.test_request_context("/", headers=headers):
        assert wants_fragment() is fragment
