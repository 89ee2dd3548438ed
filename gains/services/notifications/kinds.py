"""The kinds of notification, what each person may turn off, and their wording on the account
page."""

from __future__ import annotations

from gains.models import Role

SUBMITTED = "submitted"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
REJECTED = "rejected"
PUBLISHED = "published"
REOPENED = "reopened"
WEEKLY_SUMMARY = "weekly_summary"
INVITATION = "invitation"
RESET = "reset"

# What a person chooses on their account page, in the order shown. Invitation and reset
# emails are not among them: they carry the link an administrator made for that person.
CHOOSABLE = {
    SUBMITTED: "An improvement in your department is submitted for review (managers)",
    CHANGES_REQUESTED: "A reviewer asks for changes to your team's improvement",
    APPROVED: "Your team's improvement is approved",
    REJECTED: "Your team's improvement is rejected",
    PUBLISHED: "Your team's improvement is published on the public register",
    REOPENED: "Your team's approved improvement goes back to review because its data changed",
    WEEKLY_SUMMARY: "A weekly summary of approvals across departments (Treasury)",
}

# Who can get each kind: offered on the account page only to them.
_TEAMS = frozenset({Role.MEMBER, Role.MANAGER})
FOR_ROLES = {
    SUBMITTED: frozenset({Role.MANAGER}),
    CHANGES_REQUESTED: _TEAMS,
    APPROVED: _TEAMS,
    REJECTED: _TEAMS,
    PUBLISHED: _TEAMS,
    REOPENED: _TEAMS,
    WEEKLY_SUMMARY: frozenset({Role.TREASURY}),
}
assert FOR_ROLES.keys() == CHOOSABLE.keys()


def choosable_for(role: Role) -> dict[str, str]:
    """The kinds a person in `role` can get and so may turn off, with their wording."""
    return {kind: words for kind, words in CHOOSABLE.items() if role in FOR_ROLES[kind]}
