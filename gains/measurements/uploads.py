"""What the two CSV upload pages share: the app's upload limits and the message for a rejected
file. Used by the single-improvement upload (`views.py`) and the import for many (`many.py`)."""

from __future__ import annotations

from flask import current_app

from gains.services.measurements.csv_upload import UploadLimits
from gains.services.measurements.rows import RowsRejected


def upload_limits() -> UploadLimits:
    """Limits from the app's config (MEASUREMENT_UPLOAD_MAX_BYTES/_ROWS/_ERRORS), else defaults."""
    defaults = UploadLimits()
    config = current_app.config
    return UploadLimits(
        max_bytes=config.get("MEASUREMENT_UPLOAD_MAX_BYTES", defaults.max_bytes),
        max_rows=config.get("MEASUREMENT_UPLOAD_MAX_ROWS", defaults.max_rows),
        max_errors=config.get("MEASUREMENT_UPLOAD_MAX_ERRORS", defaults.max_errors),
    )


def rejected_file_message(problems: RowsRejected) -> str:
    """The file field's error when a file is rejected (its problems are listed below it)."""
    return (
        f"The file has {problems.total:,} problem{'s' if problems.total != 1 else ''}: "
        "nothing was saved. Correct them and upload it again"
    )
