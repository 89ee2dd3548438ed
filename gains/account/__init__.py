"""Your account: details, password, signing out everywhere; and one-time set-password links."""
