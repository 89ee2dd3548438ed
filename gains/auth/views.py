"""Sign in and sign out: with a password, or with the organisation's provider (OpenID Connect,
gains/auth/organisation.py)."""

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from gains.auth import end_session, organisation, provider_id_token, public, start_session
from gains.auth.forms import SignInForm
from gains.extensions import db
from gains.services.people import accounts, organisation_sign_in

logger = logging.getLogger(__name__)
# Kept in the session cookie: where to go after the provider's callback, and, once, after
# signing out, the provider's sign-out address to offer. (The ID token itself is kept with
# the signed-in session on the server: user_sessions.)
NEXT_KEY = "organisation_next"
PROVIDER_SIGN_OUT_KEY = "provider_sign_out_url"

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
    passwords = current_app.config["GAINS_PASSWORD_SIGN_IN"]
    if request.method == "POST" and not passwords:
        abort(404)  # GAINS_PASSWORD_SIGN_IN=off: there is no password to check
    form = SignInForm()
    if passwords and form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            next_url = _safe_next(request.args.get("next"))
            start_session(user)
            db.session.commit()
            return redirect(next_url, code=303)
        # One message whether the account exists or not: no enumeration.
        form.email.errors.append("Enter a correct email address and password")
    status = 422 if form.errors else 200
    return render_template(
        "auth/sign_in.html",
        form=form if passwords else None,
        organisation=organisation.client() is not None,
        provider_sign_out_url=session.pop(PROVIDER_SIGN_OUT_KEY, None),
    ), status


@blueprint.route("/organisation")
@public
def organisation_start():
    """Send the browser to the provider (authorisation-code flow with PKCE, state and nonce).

    A link, not a form: the page's CSP (`form-action 'self'`) would block a form whose answer
    redirects to the provider, and starting a sign-in writes nothing but this browser's
    session (a forged start gains an attacker nothing: the provider asks the person)."""
    provider = organisation.client()
    if provider is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    session[NEXT_KEY] = _safe_next(request.args.get("next"))
    try:
        response = provider.authorize_redirect(
            url_for("auth.organisation_callback", _external=True)
        )
    except organisation.FAILURES:
        logger.warning("organisation sign-in: the provider could not be reached", exc_info=True)
        return render_template("auth/organisation_failed.html", reason="unreachable"), 502
    return response


@blueprint.route("/organisation/callback")
@public
def organisation_callback():
    """The provider sends the browser back here with a code. This GET writes (the session,
    the person's last sign-in, the audit event): OAuth 2.0 returns by a redirect, which a
    browser follows with GET (tests/web/test_get_never_writes.py names the exception)."""
    provider = organisation.client()
    if provider is None:
        abort(404)
    if request.args.get("error") == "access_denied":
        # The person said no at the provider (or it refused them): nothing to check.
        return render_template("auth/organisation_failed.html", reason="declined"), 400
    try:
        token = provider.authorize_access_token(
            claims_options=organisation.claims_options(provider)
        )
        claims = token["userinfo"]  # present only when the ID token was verified
    except organisation.UNREACHABLE as error:
        logger.warning("organisation sign-in: the provider could not be reached: %r", error)
        return render_template("auth/organisation_failed.html", reason="unreachable"), 502
    except organisation.FAILURES as error:
        # Nobody is known yet: logged (repr: the provider's words come from the query
        # string and must not forge log lines), not audited (anyone can call this).
        logger.warning("organisation sign-in failed: %r", error)
        return render_template("auth/organisation_failed.html"), 400
    outcome = organisation_sign_in.match_person(
        claims, current_app.config["GAINS_OIDC_EMAIL_DOMAINS"]
    )
    if outcome.user is None:
        db.session.commit()
        return render_template("auth/organisation_refused.html", outcome=outcome), 403
    next_url = session.pop(NEXT_KEY, None) or url_for("main.home")
    start_session(outcome.user, id_token=token["id_token"])
    db.session.commit()
    return redirect(next_url, code=303)


@blueprint.route("/sign-out", methods=["POST"])
def sign_out():
    id_token = provider_id_token()
    end_session()
    db.session.commit()
    if id_token:
        provider_url = organisation.end_session_url(
            id_token, url_for("auth.sign_in", _external=True)
        )
        if provider_url:
            session[PROVIDER_SIGN_OUT_KEY] = provider_url
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"), code=303)
