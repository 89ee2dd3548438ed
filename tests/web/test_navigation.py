"""The navigation each role sees on a page, and that every link it offers lets them in."""

import re

import pytest

from gains.models import Role
from tests.support.navigation import NAVIGATION

NAVIGATION_LINK = re.compile(
    r'<li class="govuk-service-navigation__item[^"]*">\s*<a class="govuk-service-navigation__link"'
    r' href="([^"]+)"( aria-current="(?:page|true)")?>\s*(?:<strong[^>]*>)?([^<]+)<'
)


def links(html: str) -> list[tuple[str, str, bool]]:
    """(text, href, marked as where the person is) for each link of the service navigation."""
    return [
        (text.strip(), href, bool(marked)) for href, marked, text in NAVIGATION_LINK.findall(html)
    ]


def test_each_role_sees_its_navigation_and_may_follow_every_link(signed_in, role):
    client = signed_in(role)
    shown = links(client.get("/").get_data(as_text=True))
    assert [text for text, _, _ in shown] == NAVIGATION[Role(role)]
    assert [text for text, _, marked in shown if marked] == ["Home"]
    for text, href, _ in shown:
        assert client.get(href).status_code in (200, 302), (role, text, href)


@pytest.mark.parametrize(
    ("role", "path", "section"),
    [("manager", "/reviews/", "Reviews"), ("admin", "/admin/audit", "Admin")],
)
def test_the_section_being_shown_is_marked(signed_in, role, path, section):
    shown = links(signed_in(role).get(path).get_data(as_text=True))
    assert [text for text, _, marked in shown if marked] == [section]


def test_a_visitor_sees_the_register_and_sign_in(client):
    shown = links(client.get("/auth/sign-in").get_data(as_text=True))
    assert [(text, marked) for text, _, marked in shown] == [
        ("Public register", False),
        ("Sign in", True),
    ]
