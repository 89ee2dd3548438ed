"""Forms for publishing an approved result on the public register, and taking it down."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from gains.form_fields import BoundedForm
from gains.services.public.publication import SUMMARY_MAX_CHARS


class PublishForm(BoundedForm):
    summary = TextAreaField(
        "Summary for the public",
        description=(
            "In plain English, for someone who has never heard of the team: what changed, "
            f"and what it achieved. No names or case details. Up to {SUMMARY_MAX_CHARS} "
            "characters."
        ),
        widget=GovTextArea(),
        validators=[
            InputRequired("Write a short summary for the public"),
            Length(
                max=SUMMARY_MAX_CHARS,
                message=f"The summary must be {SUMMARY_MAX_CHARS} characters or fewer",
            ),
        ],
    )
    submit = SubmitField("Publish on the public register", widget=GovSubmitInput())


class UnpublishForm(BoundedForm):
    reason = TextAreaField(
        "Why take it down? (optional)",
        description="Kept in the audit trail; not shown to the public.",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=1000)],
    )
    submit = SubmitField("Take it off the public register", widget=GovSubmitInput())
