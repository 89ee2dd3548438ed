"""The whole audit trail, for admins: filters, pages, and the CSV export of what the filters
match. A blueprint nested in `admin` (endpoints `admin.audit_trail.*`), so the admin
blueprint's admins-only rule runs before these views too."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from gains.access import scoped
from gains.admin.forms import AuditFilterForm, forget_errors
from gains.exports import table_to_csv
from gains.extensions import db
from gains.models import AuditEvent, Department
from gains.models.base import utcnow
from gains.services.audit import log as audit_log

blueprint = Blueprint("audit_trail", __name__)


def _audit_form() -> tuple[AuditFilterForm, audit_log.AuditFilters]:
    form = AuditFilterForm(request.args)
    everything = scoped(select(AuditEvent), current_user)
    offered = audit_log.choices(everything)
    departments = db.session.scalars(
        scoped(select(Department), current_user).order_by(Department.name)
    )
    form.department.choices = [("", "Any department")] + [(str(d.id), d.name) for d in departments]
    form.actor.choices = [("", "Anyone"), (audit_log.SYSTEM_ACTOR, "The system")] + [
        (str(u.id), f"{u.name} ({u.email})") for u in offered["actors"]
    ]
    form.entity_type.choices = [("", "Any record")] + [
        (t, audit_log.record_type_words(t)) for t in offered["entity_types"]
    ]
    form.action.choices = [("", "Any action")] + [
        (a, audit_log.action_words(a)) for a in offered["actions"]
    ]
    form.validate()
    filters = form.filters()
    # Only a date can be wrong; any other value that is not offered simply means "any".
    forget_errors(form, keep=("date_from", "date_to"))
    return form, filters


@blueprint.route("/audit")
def index():
    form, filters = _audit_form()
    stmt = audit_log.filtered(scoped(select(AuditEvent), current_user), filters)
    page = audit_log.page_of(stmt, request.args.get("page", type=int) or 1)
    arguments = form.arguments()
    return render_template(
        "admin/audit.html",
        form=form,
        errors=form.errors,
        page=page,
        page_endpoint="admin.audit_trail.index",
        page_arguments=arguments,
        **audit_log.words_for(page.items),
        arguments=arguments,
    ), (422 if form.errors else 200)


@blueprint.route("/audit.csv")
def csv_export():
    form, filters = _audit_form()
    stmt = audit_log.filtered(scoped(select(AuditEvent), current_user), filters)
    events = audit_log.all_of(stmt)
    names = {}
    if filters.department_id is not None:
        names["department"] = dict(form.department.choices)[str(filters.department_id)]
    if filters.actor is not None:
        names["actor"] = dict(form.actor.choices)[str(filters.actor)]
    described = [*filters.describe(names), ("Made", utcnow().isoformat(timespec="seconds"))]
    if len(events) == audit_log.EXPORT_LIMIT:
        described.append(("Cut at", f"{audit_log.EXPORT_LIMIT} events: narrow the filters"))
    body = table_to_csv(audit_log.events_table(events), described)
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="gains-audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
