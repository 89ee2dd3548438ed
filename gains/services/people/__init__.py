"""People: accounts, set-password links, API tokens, sessions, departments and teams."""
