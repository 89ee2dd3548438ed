"""Sign in and sign out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from gains.auth import end_session, public, start_session
from gains.auth.forms import SignInForm
from gains.extensions import db
from gains.services.people import accounts

blueprint = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site, never to another host; anything else goes
    home. Checked before the session starts: a Location header that cannot be sent (CR/LF)
    failed after signing in, behind an error page. Browsers read "\\" as "/" ("/\\evil"
    is "//evil", another host), and other control and invisible characters have no place in
    a path."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


@blueprint.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            next_url = _safe_next(request.args.get("next"))
            start_session(user)
            db.session.commit()
            return redirect(next_url, code=303)
        # One message whether the account exists or not: no enumeration.
        form.email.errors.append("Enter a correct email address and password")
    status = 422 if form.errors else 200
    return render_template("auth/sign_in.html", form=form), status


@blueprint.route("/sign-out", methods=["POST"])
def sign_out():
    end_session()
    db.session.commit()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"), code=303)
