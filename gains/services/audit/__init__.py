"""The audit trail: writing events (events.py) and reading them (log.py)."""
