"""Your account (`/account`) and the public set-password page behind one-time links.

`/account` is for anyone signed in: their details, changing their password (the current one
is required) and signing out everywhere. It is a page of sections so that others (API
tokens) can be added beside them.
"""

from __future__ import annotations

from flask import (
    Blueprint,
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

from gains.account.forms import (
    ChangePasswordForm,
    NotificationChoicesForm,
    SetPasswordForm,
    SignOutEverywhereForm,
)
from gains.auth import end_session, public, start_session
from gains.extensions import db
from gains.services.notifications import outbox
from gains.services.notifications.kinds import choosable_for
from gains.services.people import accounts
from gains.services.people.account_links import InvalidLink, set_password_with_link, user_for_link

blueprint = Blueprint("account", __name__, url_prefix="/account")

INVALID_LINK = (
    "This link cannot be used. It may have expired, been used already, or been replaced by a "
    "newer one. Ask your administrator for a new link."
)


# With GAINS_PASSWORD_SIGN_IN=off Gains has no passwords: these pages do not exist.
PASSWORD_ENDPOINTS = {"account.change_password", "account.set_password"}


@blueprint.before_request
def _no_passwords_when_off():
    if request.endpoint in PASSWORD_ENDPOINTS and not current_app.config["GAINS_PASSWORD_SIGN_IN"]:
        abort(404)


def _page(password_form: ChangePasswordForm, status: int = 200):
    return render_template("account/index.html", form=password_form), status


@blueprint.route("/")
def index():
    return _page(ChangePasswordForm())


@blueprint.post("/password")
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()  # the model itself, not the proxy
    if form.validate_on_submit():
        try:
            accounts.change_own_password(
                user,
                current_password=form.current_password.data,
                new_password=form.password.data,
            )
        except accounts.AccountError as error:
            db.session.rollback()
            form.current_password.errors = [*form.current_password.errors, str(error)]
        else:
            # The new session version ended every session, this one too: start a fresh one.
            start_session(user)
            db.session.commit()
            flash("Your password is changed. You are signed out everywhere else.", "success")
            return redirect(url_for(".index"), code=303)
    return _page(form, 422)


@blueprint.post("/sign-out-everywhere")
def sign_out_everywhere():
    if not SignOutEverywhereForm().validate_on_submit():
        return _page(ChangePasswordForm(), 400)
    user = current_user._get_current_object()  # the model itself, not the proxy
    accounts.sign_out_everywhere(user, user)
    end_session()
    db.session.commit()
    flash("You are signed out everywhere, on every device.", "success")
    return redirect(url_for("auth.sign_in"), code=303)


@blueprint.route("/notifications", methods=["GET", "POST"])
def notifications():
    """Which emails this person gets; read when each email is written (issue 23)."""
    user = current_user._get_current_object()
    form = NotificationChoicesForm()
    offered = choosable_for(user.role)
    form.wanted.choices = list(offered.items())
    if form.validate_on_submit():
        outbox.set_choices(user, form.wanted.data or [])
        db.session.commit()
        flash("Your choice of emails is saved.", "success")
        return redirect(url_for(".notifications"), code=303)
    if not form.is_submitted():
        form.wanted.data = [kind for kind in offered if kind not in outbox.opted_out(user.id)]
    status = 422 if form.errors else 200
    return render_template(
        "account/notifications.html", form=form, email_on=outbox.email_on()
    ), status


def _private(response):
    """The token is in the URL: keep the page out of caches. (The page's own meta tag keeps
    it out of Referer headers; the site-wide policy already sends them only to this site.)"""
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    if current_user.is_authenticated:
        # Someone else's link in a signed-in browser (or their own): sign out first, so that
        # nobody sets a password for an account while signed in as another.
        return _private(make_response(render_template("account/signed_in.html"), 409))
    secret_key = current_app.config["SECRET_KEY"]
    form = SetPasswordForm()
    try:
        user, purpose = user_for_link(token, secret_key=secret_key)
    except InvalidLink:
        return _private(
            make_response(render_template("account/invalid_link.html", message=INVALID_LINK), 404)
        )
    if form.validate_on_submit():
        try:
            set_password_with_link(token, form.password.data, secret_key=secret_key)
        except InvalidLink:
            db.session.rollback()
            return _private(
                make_response(
                    render_template("account/invalid_link.html", message=INVALID_LINK), 404
                )
            )
        except accounts.AccountError as error:
            db.session.rollback()
            form.password.errors = [*form.password.errors, str(error)]
        else:
            db.session.commit()
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.sign_in"), code=303)
    status = 422 if form.errors else 200
    page = render_template("account/set_password.html", form=form, user=user, purpose=purpose)
    return _private(make_response(page, status))
