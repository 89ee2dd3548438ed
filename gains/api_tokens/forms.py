"""Forms for making and revoking personal API tokens."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from gains.form_fields import BoundedForm
from gains.services.people.api_tokens import LIFETIMES_DAYS, MAX_NAME_LENGTH


class TokenForm(BoundedForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter a name for the token"),
            Length(max=MAX_NAME_LENGTH),
        ],
        description="What will use it, like 'Call centre nightly export'.",
    )
    lifetime_days = RadioField(
        "Expires after",
        choices=[(str(days), f"{days} days") for days in LIFETIMES_DAYS],
        default="90",
        widget=GovRadioInput(),
        validators=[InputRequired("Choose how long the token lasts")],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


class RevokeForm(BoundedForm):
    submit = SubmitField("Revoke", widget=GovSubmitInput())
