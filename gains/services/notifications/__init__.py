"""Notifications by email (issue 23): the outbox written with each event (`outbox`), the
transports (`transports`) and the delivery after commit (`delivery`)."""
