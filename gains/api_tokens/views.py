"""/account/tokens: every signed-in person manages their own API tokens here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from gains.api_tokens.forms import RevokeForm, TokenForm
from gains.extensions import db
from gains.models import ApiToken
from gains.models.base import utcnow
from gains.services.people.api_tokens import TokenError, create_token, revoke_token, tokens_of

blueprint = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _page(form: TokenForm, status: int = 200, new_secret: str | None = None):
    response = render_template(
        "api_tokens/index.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=tokens_of(current_user),
        now=utcnow(),
        new_secret=new_secret,
    )
    return response, status, {"Cache-Control": "no-store"}


@blueprint.get("/")
def index():
    return _page(TokenForm())


@blueprint.post("/")
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        new = create_token(current_user, form.name.data, int(form.lifetime_days.data))
    except (TokenError, ValueError) as error:
        form.name.errors = [*form.name.errors, str(error)]
        return _page(form, 422)
    db.session.commit()
    # Shown once, on this response only (no redirect, no store): it is never kept in clear.
    return _page(TokenForm(formdata=None), new_secret=new.secret)


@blueprint.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    ).first()
    if token is None:
        abort(404)  # someone else's token is not revealed
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        revoke_token(current_user, token)
    except TokenError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"The token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for(".index"), code=303)
