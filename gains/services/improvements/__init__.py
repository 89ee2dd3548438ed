"""Improvements: registration, the status workflow, the plan's locks and amendments,
the register's filters and the home page's tasks."""
