"""The signed-in person's personal API tokens: make (shown once), list, revoke."""
