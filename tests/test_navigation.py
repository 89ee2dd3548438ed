"""The service navigation and the role flags templates read, per role (no database)."""

from types import SimpleNamespace

import pytest

from gains.models import Role
from gains.navigation import NavigationItem, Permissions, navigation_for, permissions_for
from tests.support.navigation import NAVIGATION

PERMISSIONS = {
    Role.MEMBER: Permissions(False, False, False, False),
    Role.MANAGER: Permissions(False, False, True, False),
    Role.TREASURY: Permissions(True, True, False, False),
    Role.ADMIN: Permissions(True, True, True, True),
}
ANONYMOUS = SimpleNamespace(is_authenticated=False)


def person(role: Role) -> SimpleNamespace:
    return SimpleNamespace(is_authenticated=True, role=role, department_id=1, team_id=1, id=7)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_offered_its_pages(role):
    assert [item.text for item in navigation_for(person(role))] == NAVIGATION[role]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_its_flags(role):
    assert permissions_for(person(role)) == PERMISSIONS[role]


def test_a_visitor_is_offered_the_register_and_sign_in_and_may_nothing():
    assert [item.endpoint for item in navigation_for(ANONYMOUS)] == [
        "public.register",
        "auth.sign_in",
    ]
    assert permissions_for(ANONYMOUS) == Permissions(False, False, False, False)
    assert permissions_for(None) == Permissions(False, False, False, False)


def test_an_item_is_current_on_its_page_or_active_in_its_section():
    home = NavigationItem("Home", "main.home")
    assert home.govuk("/", "main.home")["current"] is True
    assert home.govuk("/", "improvements.index")["current"] is False
    account = NavigationItem("Account", "account.index", ("account.", "api_tokens."))
    assert account.govuk("/account", "api_tokens.index") == {
        "href": "/account",
        "text": "Account",
        "active": True,
    }
    assert account.govuk("/account", "admin.index")["active"] is False
