"""The signed-in home page (a task list per role) and the health check."""

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gains.auth import public
from gains.extensions import csrf, db
from gains.services.improvements.tasks import tasks_for

blueprint = Blueprint("main", __name__)


@blueprint.route("/")
def home():
    return render_template("main/home.html", task_groups=tasks_for(current_user))


@blueprint.route("/healthz")
@public
@csrf.exempt
def health():
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
