"""Improvements: the register and one improvement's page."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from gains.access import get_scoped_or_404, scoped
from gains.extensions import db
from gains.models import Improvement, Status
from gains.services.summaries import cell_summaries, measurement_counts

blueprint = Blueprint("improvements", __name__, url_prefix="/improvements")

PAGE_SIZE = 25


@blueprint.route("/")
def index():
    status = request.args.get("status", "")
    stmt = scoped(select(Improvement), current_user)
    if status in {option.value for option in Status}:
        stmt = stmt.where(Improvement.status == Status(status))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    improvements = db.session.scalars(
        stmt.order_by(Improvement.updated_at.desc(), Improvement.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "improvements/index.html",
        improvements=improvements,
        counts=measurement_counts(i.id for i in improvements),
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        status=status,
        statuses=list(Status),
    )


@blueprint.route("/<int:improvement_id>")
def view(improvement_id: int):
    improvement = get_scoped_or_404(Improvement, improvement_id, current_user)
    return render_template(
        "improvements/view.html",
        improvement=improvement,
        cells=cell_summaries([improvement.id]),
    )
