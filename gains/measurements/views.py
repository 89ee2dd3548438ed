"""Measurement routes under an improvement: the table, inline rows, CSV upload and batches.

Every write is a POST (CSRF checked globally) that answers an htmx request with a fragment
(the section, with `HX-Trigger: measurements-changed` when active data changed) and a plain
form with a 303 redirect, so every action works without JavaScript. htmx responses that show
a problem use 200, because htmx does not swap error statuses; plain pages use 422.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_htmx import make_response as htmx_response
from flask_login import current_user

from gains.access import get_scoped_or_404
from gains.errors import render_error
from gains.exports import csv_response
from gains.extensions import db
from gains.htmx_support import render_page_or_fragment, wants_fragment
from gains.improvements.downloads import described, file_name, measurements_table
from gains.measurements import many
from gains.measurements.context import batch_page, may_change_measurements, measurements_section
from gains.measurements.forms import MeasurementForm, UploadForm, WithdrawBatchForm
from gains.measurements.uploads import rejected_file_message, upload_limits
from gains.models import Improvement, Measurement, UploadBatch
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.measurements import recording as service
from gains.services.measurements.csv_upload import UploadTooLarge
from gains.services.measurements.rows import COLUMNS, RowsRejected
from gains.services.public.publication import change_warning
from gains.spreadsheet_safety import write_safe_csv

blueprint = Blueprint("measurements", __name__)
# Most routes hang off one improvement; the import for many improvements (`many.py`, nested
# as `measurements.many`) does not.
blueprint.register_blueprint(many.blueprint)
IMPROVEMENT = "/improvements/<int:improvement_id>"

SECTION = "measurements/partials/section.html"
CHANGED = "measurements-changed"


def _improvement(improvement_id: int, *, write: bool = False) -> Improvement:
    return get_scoped_or_404(Improvement, improvement_id, current_user, write=write)


def _child(model: type, record_id: int, improvement: Improvement, *, write: bool = False):
    record = get_scoped_or_404(model, record_id, current_user, write=write)
    if record.improvement_id != improvement.id:
        abort(404)
    return record


def section_url(improvement: Improvement, **args: Any) -> str:
    """Where plain forms return to: the improvement's page, at its measurements, so that the
    estimate (recomputed for the new data) is in view too."""
    return url_for(
        "improvements.view", improvement_id=improvement.id, _anchor="measurements", **args
    )


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


def _problem_status() -> int:
    return 200 if wants_fragment() else 422


def _section_fragment(improvement: Improvement, *, changed: bool, **extra: Any) -> Response:
    response = htmx_response(
        render_template(SECTION, **measurements_section(improvement, current_user), **extra),
        trigger=CHANGED if changed else None,
        retarget="#measurements",
        reswap="outerHTML",
    )
    response.vary.add("HX-Request")
    return response


def _done(improvement: Improvement, message: str, *, changed: bool = True) -> Response:
    """Commit, then the refreshed section (htmx) or a 303 back to it with a message."""
    db.session.commit()
    if wants_fragment():
        return _section_fragment(improvement, changed=changed)
    flash(message, "success")
    return redirect(section_url(improvement), code=303)


def _refused(improvement: Improvement, error: WorkflowError) -> Response:
    """A rule said no: nothing changed. Say why where the person is looking."""
    db.session.rollback()
    if isinstance(error, PermissionDenied):
        abort(403)
    if wants_fragment():
        return _section_fragment(improvement, changed=False, section_problem=str(error))
    flash(str(error), "error")
    return redirect(section_url(improvement), code=303)


@blueprint.route(f"{IMPROVEMENT}/measurements")
def index(improvement_id: int):
    improvement = _improvement(improvement_id)
    return render_page_or_fragment(
        "measurements/index.html",
        SECTION,
        improvement=improvement,
        **measurements_section(improvement, current_user, _page()),
    )


def _save_row(
    improvement: Improvement,
    form: MeasurementForm,
    save: Callable[[dict[str, Any]], object],
    message: str,
) -> Response | None:
    """Save a submitted row: the finished response, or None with the problems on the form."""
    if not form.validate_on_submit():
        return None
    try:
        save(form.row())
    except RowsRejected as rejected:
        db.session.rollback()
        form.show_problems(rejected.errors)
        return None
    except WorkflowError as error:
        return _refused(improvement, error)
    return _done(improvement, message)


@blueprint.route(f"{IMPROVEMENT}/measurements", methods=["POST"])
def add(improvement_id: int):
    improvement = _improvement(improvement_id, write=True)
    form = MeasurementForm(prefix="new")
    saved = _save_row(
        improvement,
        form,
        lambda row: service.record_form_row(current_user, improvement, row),
        "Measurement added.",
    )
    return saved or render_page_or_fragment(
        "measurements/index.html",
        "measurements/partials/add_form.html",
        status=_problem_status(),
        improvement=improvement,
        form=form,
        **measurements_section(improvement, current_user, add_form=form),
    )


@blueprint.route(f"{IMPROVEMENT}/measurements/<int:measurement_id>/edit", methods=["GET", "POST"])
def edit(improvement_id: int, measurement_id: int):
    # The form itself is only for people who may change the row (403 for readers).
    improvement = _improvement(improvement_id, write=True)
    measurement = _child(Measurement, measurement_id, improvement, write=True)
    form = MeasurementForm.for_measurement(measurement)
    saved = _save_row(
        improvement,
        form,
        lambda row: service.edit_measurement(current_user, measurement, row),
        "Measurement saved.",
    )
    return saved or render_page_or_fragment(
        "measurements/edit.html",
        "measurements/partials/edit_row.html",
        status=_problem_status() if form.errors else 200,
        improvement=improvement,
        measurement=measurement,
        form=form,
        change_warning=change_warning(improvement),
    )


@blueprint.route(f"{IMPROVEMENT}/measurements/<int:measurement_id>/delete", methods=["GET", "POST"])
def delete(improvement_id: int, measurement_id: int):
    """GET asks first (the page without JavaScript; htmx asks inline and posts), POST deletes."""
    improvement = _improvement(improvement_id, write=True)
    measurement = _child(Measurement, measurement_id, improvement, write=True)
    if request.method == "GET":
        return render_template(
            "measurements/delete.html",
            improvement=improvement,
            measurement=measurement,
            open_for_data=may_change_measurements(current_user, improvement),
            change_warning=change_warning(improvement),
            cancel_url=section_url(improvement),
        )
    try:
        service.delete_measurement(current_user, measurement)
    except WorkflowError as error:
        return _refused(improvement, error)
    return _done(improvement, "Measurement deleted.")


@blueprint.route(f"{IMPROVEMENT}/measurements/upload", methods=["GET", "POST"])
def upload(improvement_id: int):
    improvement = _improvement(improvement_id, write=True)
    form = UploadForm()
    rejected: RowsRejected | None = None
    if form.validate_on_submit():
        file = form.file.data
        try:
            batch = service.upload_csv(
                current_user,
                improvement,
                file.stream,
                filename=file.filename,
                limits=upload_limits(),
            )
        except UploadTooLarge as error:
            db.session.rollback()
            return render_error(413, str(error))
        except RowsRejected as problems:
            db.session.rollback()
            rejected = problems
            form.file.errors = [rejected_file_message(problems)]
        except WorkflowError as error:
            return _refused(improvement, error)
        else:
            db.session.commit()
            return redirect(
                url_for("measurements.batch", improvement_id=improvement.id, batch_id=batch.id),
                code=303,
            )
    status = 422 if form.errors else 200
    return render_template(
        "measurements/upload.html",
        improvement=improvement,
        form=form,
        rejected=rejected,
        limits=upload_limits(),
        change_warning=change_warning(improvement),
    ), status


@blueprint.route(f"{IMPROVEMENT}/measurements/template.csv")
def template(improvement_id: int):
    improvement = _improvement(improvement_id)
    out = io.StringIO()
    unit = f"{improvement.unit_of_observation} 001"
    write_safe_csv(
        out,
        [
            COLUMNS,
            ("before", "treatment", unit, "2026-04-06", 12.5),
            ("after", "treatment", unit, "2026-06-01", 10.25),
        ],
    )
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="measurements-template.csv"'
    return response


@blueprint.route(f"{IMPROVEMENT}/measurements.csv")
def download(improvement_id: int):
    """The active measurements, streamed: an improvement may have a million rows."""
    improvement = _improvement(improvement_id)
    table = measurements_table(improvement)
    return csv_response(table, described(improvement), file_name(improvement, table))


@blueprint.route(f"{IMPROVEMENT}/batches/<int:batch_id>")
def batch(improvement_id: int, batch_id: int):
    improvement = _improvement(improvement_id)
    upload_batch = _child(UploadBatch, batch_id, improvement)
    return render_template("measurements/batch.html", **batch_page(upload_batch, current_user))


def _batch_action(improvement_id: int, batch_id: int):
    improvement = _improvement(improvement_id, write=True)
    return improvement, _child(UploadBatch, batch_id, improvement, write=True)


@blueprint.route(f"{IMPROVEMENT}/batches/<int:batch_id>/confirm", methods=["POST"])
def confirm(improvement_id: int, batch_id: int):
    improvement, upload_batch = _batch_action(improvement_id, batch_id)
    try:
        service.confirm_batch(current_user, upload_batch)
    except WorkflowError as error:
        return _refused(improvement, error)
    return _done(improvement, f"{upload_batch.row_count:,} measurements added.")


@blueprint.route(f"{IMPROVEMENT}/batches/<int:batch_id>/cancel", methods=["POST"])
def cancel(improvement_id: int, batch_id: int):
    improvement, upload_batch = _batch_action(improvement_id, batch_id)
    try:
        service.cancel_batch(current_user, upload_batch)
    except WorkflowError as error:
        return _refused(improvement, error)
    return _done(improvement, "Upload cancelled: nothing was added.", changed=False)


@blueprint.route(f"{IMPROVEMENT}/batches/<int:batch_id>/withdraw", methods=["POST"])
def withdraw(improvement_id: int, batch_id: int):
    improvement, upload_batch = _batch_action(improvement_id, batch_id)
    form = WithdrawBatchForm(prefix=f"b{upload_batch.id}")
    if form.validate_on_submit():
        try:
            service.withdraw_batch(current_user, upload_batch, form.reason.data)
        except WorkflowError as error:
            return _refused(improvement, error)
        return _done(improvement, "Measurements withdrawn: they no longer count in estimates.")
    context = batch_page(upload_batch, current_user) | {"form": form}
    return render_template("measurements/batch.html", **context), 422
