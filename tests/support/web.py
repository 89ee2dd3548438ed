"""Helpers for the tests that drive the app over HTTP: the htmx header, page text, an upload,
and look-ups of the records a request acted on (each opens its own app context)."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Department, Improvement, Measurement, Status, Team, UploadBatch

HTMX = {"HX-Request": "true"}
# The statuses in which an improvement still takes measurements.
OPEN = (Status.RUNNING, Status.SUBMITTED, Status.CHANGES_REQUESTED)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def csv_file(content: bytes, name: str = "rows.csv"):
    return {"file": (io.BytesIO(content), name)}


def improvement_id_by_title(app, title: str) -> int:
    """The one improvement with this title (fails if none or several)."""
    with app.app_context():
        return db.session.scalars(select(Improvement.id).where(Improvement.title == title)).one()


def first_improvement_id_where(app, *criteria) -> int:
    """The lowest-numbered improvement matching criteria on Improvement, Team or Department."""
    with app.app_context():
        return db.session.scalars(
            select(Improvement.id)
            .join(Team)
            .join(Department)
            .where(*criteria)
            .order_by(Improvement.id)
        ).first()


def counts(app, improvement: int) -> tuple[int, int]:
    """How many measurements and how many upload batches the improvement has."""
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count()).where(Measurement.improvement_id == improvement)
            ),
            db.session.scalar(
                select(func.count()).where(UploadBatch.improvement_id == improvement)
            ),
        )


def data_version(app, improvement: int) -> int:
    with app.app_context():
        return db.session.get(Improvement, improvement).data_version
