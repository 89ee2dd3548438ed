"""Forms for a person's own account and for set-password links."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovPasswordInput, GovSubmitInput
from wtforms import PasswordField, SelectMultipleField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length

from gains.form_fields import BoundedForm
from gains.services.notifications.kinds import CHOOSABLE
from gains.services.people.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one "
    "that is easy to remember."
)


def _new_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        validators=[
            InputRequired("Enter a new password"),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"The password must be {MIN_PASSWORD_LENGTH} to "
                f"{MAX_PASSWORD_LENGTH} characters long",
            ),
        ],
    )


def _confirmation() -> PasswordField:
    return PasswordField(
        "Confirm the new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired("Enter the new password again"),
            EqualTo("password", message="The two passwords do not match: type them again"),
        ],
    )


class SetPasswordForm(BoundedForm):
    password = _new_password("New password")
    confirm = _confirmation()
    submit = SubmitField("Set the password", widget=GovSubmitInput())


class ChangePasswordForm(BoundedForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your current password"), Length(max=MAX_PASSWORD_LENGTH)],
    )
    password = _new_password("New password")
    confirm = _confirmation()
    submit = SubmitField("Change the password", widget=GovSubmitInput())


class SignOutEverywhereForm(BoundedForm):
    """A button that posts: the CSRF token is its only field."""


class NotificationChoicesForm(BoundedForm):
    """Which emails a person gets (issue 23): every kind ticked is wanted. A kind not in the
    list is refused by SelectMultipleField's own check of the choices."""

    wanted = SelectMultipleField(
        "Email me when",
        choices=list(CHOOSABLE.items()),
        widget=GovCheckboxesInput(),
        description="Untick what you do not want. Invitations and password links always come.",
    )
    submit = SubmitField("Save your choices", widget=GovSubmitInput())
