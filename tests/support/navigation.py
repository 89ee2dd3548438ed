"""What each role's service navigation offers, written out by hand: the oracle for the
navigation tests with and without a request."""

from gains.models import Role

SIGNED_IN_EVERYWHERE = ["Home", "Improvements"]
ACCOUNT_AND_REGISTER = ["Account", "Public register"]

# Written out by hand from DESIGN's roles, like the access matrix: what each role is offered.
NAVIGATION = {
    Role.MEMBER: [*SIGNED_IN_EVERYWHERE, "Dashboard", *ACCOUNT_AND_REGISTER],
    Role.MANAGER: [*SIGNED_IN_EVERYWHERE, "Dashboard", "Reviews", *ACCOUNT_AND_REGISTER],
    Role.TREASURY: [*SIGNED_IN_EVERYWHERE, "Departments", "Savings", *ACCOUNT_AND_REGISTER],
    Role.ADMIN: [
        *SIGNED_IN_EVERYWHERE,
        *("Departments", "Savings", "Reviews", "Admin"),
        *ACCOUNT_AND_REGISTER,
    ],
}
