"""What a person's pages offer them: the service navigation, and the role flags templates read
(`may.see_review_queue`, ...), each from the predicate that enforces the same rule on the route.

Templates never compare roles: a rule stated once in `gains.access` or its service reaches
the page through here, so a link is shown exactly when its page would let the person in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gains.access import may_administer, reads_every_department
from gains.services.dashboards.treasury import may_see_treasury
from gains.services.review.queue import may_see_queue


@dataclass(frozen=True)
class Permissions:
    """What a person may reach, as templates ask it: `may.administer`."""

    see_every_department: bool
    see_treasury: bool
    see_review_queue: bool
    administer: bool


def permissions_for(user: Any) -> Permissions:
    return Permissions(
        see_every_department=reads_every_department(user),
        see_treasury=may_see_treasury(user),
        see_review_queue=may_see_queue(user),
        administer=may_administer(user),
    )


@dataclass(frozen=True)
class NavigationItem:
    """One link of the service navigation.

    `section` names the endpoints (by prefix) of the pages the item leads into: on those it
    is marked active. An item without a section is one page, marked current on it.
    """

    text: str
    endpoint: str
    section: tuple[str, ...] = ()

    def govuk(self, href: str, endpoint: str) -> dict[str, Any]:
        """The item as `govukServiceNavigation` takes it, on the page at `endpoint`."""
        if not self.section:
            return {"href": href, "text": self.text, "current": endpoint == self.endpoint}
        return {"href": href, "text": self.text, "active": endpoint.startswith(self.section)}


# The public register is for everyone, signed in or not.
PUBLIC_REGISTER = NavigationItem("Public register", "public.register", ("public.",))
SIGN_IN = NavigationItem("Sign in", "auth.sign_in", ("auth.sign_in",))


def navigation_for(user: Any) -> list[NavigationItem]:
    """The service navigation's links for `user` (anonymous or signed in), in order."""
    if not getattr(user, "is_authenticated", False):
        return [PUBLIC_REGISTER, SIGN_IN]
    may = permissions_for(user)
    items = [
        NavigationItem("Home", "main.home"),
        NavigationItem("Improvements", "improvements.index", ("improvements.",)),
        # Members and managers have one department: the link goes straight to its dashboard.
        NavigationItem(
            "Departments" if may.see_every_department else "Dashboard",
            "dashboards.departments",
            ("dashboards.department",),
        ),
    ]
    if may.see_treasury:
        items.append(NavigationItem("Savings", "dashboards.treasury", ("dashboards.treasury",)))
    if may.see_review_queue:
        items.append(NavigationItem("Reviews", "reviews.queue", ("reviews.",)))
    if may.administer:
        items.append(NavigationItem("Admin", "admin.index", ("admin.",)))
    items.append(NavigationItem("Account", "account.index", ("account.", "api_tokens.")))
    items.append(PUBLIC_REGISTER)
    return items
