"""The review queue's filters and the reviewer's decision."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from gains.form_fields import BoundedForm, record_id
from gains.models import Decision
from gains.services.estimates.current import ESTIMATION_METHODS
from gains.services.review.queue import SORTS, WARNING_FILTERS, QueueFilters


class QueueFilterForm(BoundedForm):
    """A GET form: the queue works as plain links and bookmarks."""

    class Meta:
        csrf = False

    team = SelectField("Team", widget=GovSelect(), default="")
    method = SelectField(
        "Method",
        widget=GovSelect(),
        default="",
        choices=[
            ("", "Any method"),
            *((key, name) for key, (name, _) in ESTIMATION_METHODS.items()),
        ],
    )
    warnings = SelectField(
        "Warnings",
        widget=GovSelect(),
        default="",
        choices=[("", "With or without"), *WARNING_FILTERS.items()],
    )
    sort = SelectField(
        "Sort by", widget=GovSelect(), default="waiting", choices=list(SORTS.items())
    )

    def filters(self) -> QueueFilters:
        """What the service filters by; unknown values fall back to "any"."""
        return QueueFilters(
            team_id=record_id(self.team.data),
            method=self.method.data if self.method.data in ESTIMATION_METHODS else None,
            warnings=self.warnings.data if self.warnings.data in WARNING_FILTERS else None,
            sort=self.sort.data if self.sort.data in SORTS else "waiting",
        )

    def arguments(self) -> dict[str, str]:
        """The filters as query arguments (for sort links that keep them)."""
        return {
            name: str(self[name].data)
            for name in ("team", "method", "warnings", "sort")
            if self[name].data
        }


class DecisionForm(BoundedForm):
    decision = RadioField(
        "Your decision",
        choices=Decision.choices(),
        widget=GovRadioInput(),
        validators=[InputRequired("Select approve, reject or request changes")],
    )
    comment = TextAreaField(
        "Comment",
        widget=GovTextArea(),
        validators=[Length(max=5000)],
        description="Required to reject or to request changes: the team reads it. "
        "Optional when you approve.",
    )
    # The data version of the figures on the page: a decision on data that moved since is
    # refused (`services.reviews.decide`). Absent, the decision is of the current version.
    data_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField("Record the decision", widget=GovSubmitInput())

    def validate_comment(self, field) -> None:
        if (
            self.decision.data in (Decision.REJECTED, Decision.CHANGES_REQUESTED)
            and not (field.data or "").strip()
        ):
            raise ValidationError(
                "Enter a comment: a comment is required to reject or to request changes"
            )
