"""Administration pages: thin views over `services.organisation`, `services.accounts`,
`services.account_links` and `services.audit_log`.

Admins only: the blueprint refuses every other role (403) before any view runs, so a new
route cannot forget the check; anonymous visitors are sent to sign in by the app-wide rule
first. Each POST changes one thing, writes one audit event and commits once; a refused change
rolls back and shows the form again with a GOV.UK error summary (422).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from gains.access import get_scoped_or_404, may_administer, scoped
from gains.admin import audit_views
from gains.admin.forms import (
    ConfirmForm,
    DepartmentForm,
    InviteForm,
    TeamForm,
    UserEditForm,
    UserFilterForm,
    forget_errors,
    team_choices,
)
from gains.extensions import db
from gains.models import AuditEvent, Department, Role, Team, User
from gains.models.notification import Notification
from gains.paging import paginate
from gains.services.audit import log as audit_log
from gains.services.notifications import outbox
from gains.services.notifications import status as email_status
from gains.services.people import account_links, accounts, organisation

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
# The whole audit trail (`audit_views.py`): nested, so `_admins_only` guards it too.
blueprint.register_blueprint(audit_views.blueprint)

USERS_PAGE_SIZE = 50


@blueprint.before_request
def _admins_only():
    # The app-wide rule has already sent anonymous visitors to sign in.
    if not may_administer(current_user):
        abort(403)


def _refused(error: Exception, form) -> None:
    db.session.rollback()
    form.form_errors.append(str(error))


@blueprint.route("/")
def index():
    return render_template("admin/index.html")


# -- departments and teams --------------------------------------------------------------------


@blueprint.route("/departments")
def departments():
    rows = db.session.scalars(scoped(select(Department), current_user).order_by(Department.name))
    return render_template("admin/departments.html", departments=list(rows))


@blueprint.route("/departments/new", methods=["GET", "POST"])
def new_department():
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = organisation.create_department(
                current_user, name=form.name.data, code=form.code.data
            )
        except organisation.OrganisationError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(f"{department.name} is added. Add its teams next.", "success")
            return redirect(url_for(".department", department_id=department.id), code=303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/department_form.html", form=form, department=None), status


@blueprint.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department(department_id: int):
    """The department's teams, with the form to add one (it posts here)."""
    record = get_scoped_or_404(Department, department_id, current_user)
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = organisation.create_team(current_user, department=record, name=form.name.data)
        except organisation.OrganisationError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(f"The team {team.name} is added to {record.name}.", "success")
            return redirect(url_for(".department", department_id=record.id), code=303)
    status = 422 if form.errors or form.form_errors else 200
    # Active people per team, counted by the database rather than loaded team by team.
    counts = dict(
        db.session.execute(
            select(User.team_id, func.count())
            .join(Team, Team.id == User.team_id)
            .where(Team.department_id == record.id, User.active)
            .group_by(User.team_id)
        ).all()
    )
    return render_template(
        "admin/department.html", department=record, form=form, member_counts=counts
    ), status


@blueprint.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id: int):
    record = get_scoped_or_404(Department, department_id, current_user, write=True)
    form = DepartmentForm(obj=record)
    if form.validate_on_submit():
        try:
            organisation.update_department(
                current_user, record, name=form.name.data, code=form.code.data
            )
        except organisation.OrganisationError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash("The department is saved.", "success")
            return redirect(url_for(".department", department_id=record.id), code=303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/department_form.html", form=form, department=record), status


@blueprint.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
def edit_team(team_id: int):
    team = get_scoped_or_404(Team, team_id, current_user, write=True)
    form = TeamForm(obj=team)
    if form.validate_on_submit():
        try:
            organisation.rename_team(current_user, team, name=form.name.data)
        except organisation.OrganisationError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash("The team is saved.", "success")
            return redirect(url_for(".department", department_id=team.department_id), code=303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/team_form.html", form=form, team=team), status


# -- people -----------------------------------------------------------------------------------


def _all_teams() -> list[Team]:
    return list(
        db.session.scalars(
            scoped(select(Team), current_user).join(Department).order_by(Department.code, Team.name)
        )
    )


def _team_from(form) -> Team | None:
    if not form.team.data:
        return None
    return get_scoped_or_404(Team, int(form.team.data), current_user)


@blueprint.route("/users")
def users():
    form = UserFilterForm(request.args)
    departments = db.session.scalars(
        scoped(select(Department), current_user).order_by(Department.name)
    )
    form.department.choices = [("", "Any department")] + [(str(d.id), d.name) for d in departments]
    form.validate()
    chosen = {
        name: form[name].data
        for name in ("department", "role", "status")
        if form[name].data and not form[name].errors
    }
    forget_errors(form)  # a value that is not offered means "any", not an error
    stmt = scoped(select(User), current_user)
    if "department" in chosen:
        in_department = select(Team.id).where(Team.department_id == int(chosen["department"]))
        stmt = stmt.where(User.team_id.in_(in_department))
    if "role" in chosen:
        stmt = stmt.where(User.role == Role(chosen["role"]))
    if "status" in chosen:
        stmt = stmt.where(User.active.is_(chosen["status"] == "active"))
    page = paginate(
        stmt.order_by(User.name, User.id), request.args.get("page", type=int) or 1, USERS_PAGE_SIZE
    )
    return render_template("admin/users.html", form=form, people=page, arguments=form.arguments())


def _render_link(user: User, link: account_links.IssuedLink, *, created: bool) -> Response:
    """The one-time link, shown once and never cached."""
    url = url_for("account.set_password", token=link.token, _external=True)
    response = make_response(
        render_template(
            "admin/link.html",
            user=user,
            link=link,
            url=url,
            created=created,
            emailed=outbox.email_on() and user.active,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/users/new", methods=["GET", "POST"])
def invite_user():
    form = InviteForm()
    form.team.choices = team_choices(_all_teams())
    if not current_app.config["GAINS_PASSWORD_SIGN_IN"]:
        form.submit.label.text = "Create the account"  # no link: they use their organisation's
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                team=_team_from(form),
                password=None,
            )
            link = account_links.invite(
                current_user,
                user,
                passwords=current_app.config["GAINS_PASSWORD_SIGN_IN"],
                secret_key=current_app.config["SECRET_KEY"],
                lifetimes=account_links.lifetimes_from(current_app.config),
            )
        except accounts.AccountError as error:
            _refused(error, form)
        else:
            db.session.commit()
            if link is None:
                return render_template("admin/invited.html", user=user, emailed=outbox.email_on())
            return _render_link(user, link, created=True)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/invite.html", form=form, emailed=outbox.email_on()), status


@blueprint.route("/users/<int:user_id>")
def user(user_id: int):
    person = get_scoped_or_404(User, user_id, current_user)
    trail = scoped(select(AuditEvent), current_user).where(
        ((AuditEvent.entity_type == User.__tablename__) & (AuditEvent.entity_id == person.id))
        | (AuditEvent.actor_id == person.id)
    )
    recent = audit_log.page_of(trail, 1, page_size=20)
    return render_template(
        "admin/user.html",
        person=person,
        recent=recent,
        **audit_log.words_for(recent.items),
        link_purpose=account_links.purpose_for(person),
        lifetimes=account_links.lifetimes_from(current_app.config),
        emailed=outbox.email_on(),
    )


@blueprint.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    person = get_scoped_or_404(User, user_id, current_user, write=True)
    form = UserEditForm(
        data=None
        if request.method == "POST"
        else {
            "name": person.name,
            "role": person.role.value,
            "team": str(person.team_id or ""),
        }
    )
    form.team.choices = team_choices(_all_teams())
    if form.validate_on_submit():
        try:
            accounts.update_user(
                current_user,
                person,
                name=form.name.data,
                role=Role(form.role.data),
                team=_team_from(form),
            )
        except accounts.AccountError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash("The changes are saved.", "success")
            return redirect(url_for(".user", user_id=person.id), code=303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/user_edit.html", form=form, person=person), status


def _account_action(user_id: int, change, done: str):
    """A POSTed button on the person's page: one change, one audit event, back to the page."""
    person = get_scoped_or_404(User, user_id, current_user, write=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        change(current_user, person)
    except accounts.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".user", user_id=person.id), code=303)
    db.session.commit()
    flash(done.format(name=person.name), "success")
    return redirect(url_for(".user", user_id=person.id), code=303)


@blueprint.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    return _account_action(
        user_id, accounts.deactivate_user, "{name}'s account is deactivated and signed out."
    )


@blueprint.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    return _account_action(user_id, accounts.reactivate_user, "{name}'s account is active again.")


@blueprint.post("/users/<int:user_id>/sign-out-everywhere")
def sign_out_user_everywhere(user_id: int):
    return _account_action(
        user_id, accounts.sign_out_everywhere, "{name} is signed out of every session."
    )


@blueprint.post("/users/<int:user_id>/link")
def issue_link(user_id: int):
    """A new set-password link: an invitation while there is no password, else a reset."""
    if not current_app.config["GAINS_PASSWORD_SIGN_IN"]:
        abort(404)  # GAINS_PASSWORD_SIGN_IN=off: there is no password to set
    person = get_scoped_or_404(User, user_id, current_user, write=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        link = account_links.issue_link(
            current_user,
            person,
            secret_key=current_app.config["SECRET_KEY"],
            lifetimes=account_links.lifetimes_from(current_app.config),
        )
    except accounts.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".user", user_id=person.id), code=303)
    db.session.commit()
    return _render_link(person, link, created=False)


@blueprint.route("/emails")
def emails():
    """The outbox: what waits, what failed and why (issue 23)."""
    return render_template(
        "admin/emails.html",
        counts=email_status.counts(),
        not_sent=email_status.not_sent(),
        shown_at_most=email_status.NOT_SENT_SHOWN,
        email_on=outbox.email_on(),
        form=ConfirmForm(),
    )


@blueprint.post("/emails/<int:notification_id>/send-again")
def send_email_again(notification_id: int):
    row = get_scoped_or_404(Notification, notification_id, current_user, write=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        email_status.send_again(current_user, row)
    except email_status.NotFailed as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"The email to {row.recipient.name} will be sent again.", "success")
    return redirect(url_for(".emails"), code=303)
