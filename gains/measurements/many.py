"""Importing many improvements' measurements from one CSV file (an `improvement` column).

The same flow as a single upload: upload → check page (nothing counts yet) → confirm or
cancel, each a plain form. The service (`services/measurements/multi_upload.py`) does the
checking: a
row for an improvement the person cannot write to is a row problem, and one bad row rejects
the whole file. The pending batches travel between the pages as their numbers in the URL
and the form; each is loaded again through `scoped(..., write=True)`.

A blueprint nested in `measurements` (endpoints `measurements.many.*`), so its routes keep
their own writers-only rule without reaching into the single-upload views.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from gains.errors import render_error
from gains.extensions import db
from gains.form_fields import record_id
from gains.measurements.forms import ManyUploadForm
from gains.measurements.uploads import rejected_file_message, upload_limits
from gains.models import Role
from gains.services.improvements.workflow import WorkflowError
from gains.services.measurements import multi_upload
from gains.services.measurements.csv_upload import UploadTooLarge
from gains.services.measurements.rows import RowsRejected
from gains.services.public.publication import change_warning

blueprint = Blueprint("many", __name__)

WRITERS = (Role.MEMBER, Role.MANAGER, Role.ADMIN)


@blueprint.before_request
def _writers_only() -> None:
    # The app-wide rule has already sent anonymous visitors to sign in.
    if current_user.role not in WRITERS:
        abort(403)


def _batch_ids(values: list[str]) -> list[int]:
    """The batch ids asked for; a value that cannot be an id names no batch (no 500)."""
    return sorted({ident for ident in map(record_id, values) if ident is not None})


@blueprint.route("/measurements/import", methods=["GET", "POST"])
def import_many():
    form = ManyUploadForm()
    rejected: RowsRejected | None = None
    if form.validate_on_submit():
        file = form.file.data
        try:
            batches = multi_upload.upload_many(
                current_user, file.stream, filename=file.filename, limits=upload_limits()
            )
        except UploadTooLarge as error:
            db.session.rollback()
            return render_error(413, str(error))
        except RowsRejected as problems:
            db.session.rollback()
            rejected = problems
            form.file.errors = [rejected_file_message(problems)]
        except WorkflowError as error:  # an improvement closed while the file was read
            db.session.rollback()
            form.file.errors = [f"{error}: nothing was saved"]
        else:
            db.session.commit()
            return redirect(url_for(".check_many", batch=[b.id for b in batches]), code=303)
    return render_template(
        "measurements/import_many.html",
        form=form,
        rejected=rejected,
        limits=upload_limits(),
    ), (422 if form.errors else 200)


@blueprint.route("/measurements/import/check")
def check_many():
    batches = multi_upload.pending_batches(current_user, _batch_ids(request.args.getlist("batch")))
    if not batches:
        flash("There is no upload waiting: it was confirmed, cancelled or has expired.", "error")
        return redirect(url_for(".import_many"), code=303)
    return render_template(
        "measurements/import_check.html",
        batches=batches,
        total=sum(batch.row_count for batch in batches),
        change_warnings=[
            (batch.improvement, warning)
            for batch in batches
            if (warning := change_warning(batch.improvement))
        ],
    )


def _requested_batches():
    ids = _batch_ids(request.form.getlist("batch"))
    batches = multi_upload.pending_batches(current_user, ids)
    return batches if ids and len(batches) == len(ids) else None


@blueprint.route("/measurements/import/confirm", methods=["POST"])
def confirm_many():
    batches = _requested_batches()
    if batches is None:
        flash(
            "Some of these uploads were cancelled or have expired, so nothing was added: "
            "upload the file again.",
            "error",
        )
        return redirect(url_for(".import_many"), code=303)
    try:
        multi_upload.confirm_batches(current_user, batches)
    except WorkflowError as error:
        db.session.rollback()
        flash(f"{error}. Nothing was added.", "error")
        return redirect(url_for(".check_many", batch=[b.id for b in batches]), code=303)
    total = sum(batch.row_count for batch in batches)
    db.session.commit()
    flash(
        f"{total:,} measurements added to {len(batches)} "
        f"improvement{'s' if len(batches) != 1 else ''}.",
        "success",
    )
    return redirect(url_for("improvements.index"), code=303)


@blueprint.route("/measurements/import/cancel", methods=["POST"])
def cancel_many():
    ids = _batch_ids(request.form.getlist("batch"))
    batches = multi_upload.pending_batches(current_user, ids)
    multi_upload.cancel_batches(current_user, batches)
    db.session.commit()
    flash("Upload cancelled: nothing was added.", "success")
    return redirect(url_for(".import_many"), code=303)
