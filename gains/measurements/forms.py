"""Forms for measurements. Row rules live in the service (`measurement_rows.parse_row`):
these forms only carry the input and show the service's problems against the right field."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from gains.form_fields import BoundedForm
from gains.models import Measurement, Phase, StudyGroup
from gains.services.measurements.rows import RowError

# The service's column names → this form's fields.
FIELD_FOR_COLUMN = {
    "phase": "phase",
    "group": "group",
    "unit": "unit_ref",
    "date": "observed_on",
    "value": "value",
}


class MeasurementForm(BoundedForm):
    phase = SelectField(
        "Phase",
        choices=[("", "Choose"), *Phase.choices()],
        validate_choice=False,
        widget=GovSelect(),
    )
    group = SelectField(
        "Group",
        choices=StudyGroup.choices(),
        default=StudyGroup.TREATMENT.value,
        validate_choice=False,
        widget=GovSelect(),
    )
    unit_ref = StringField("Unit reference (optional)", widget=GovTextInput())
    observed_on = StringField(
        "Date observed (optional)", description="For example, 31/5/2026", widget=GovTextInput()
    )
    value = StringField("Value", widget=GovTextInput())
    submit = SubmitField("Add measurement", widget=GovSubmitInput())

    def row(self) -> dict[str, Any]:
        """The input as the service reads a row."""
        return {name: getattr(self, name).data for name in FIELD_FOR_COLUMN.values()}

    def show_problems(self, errors: list[RowError]) -> None:
        for error in errors:
            field = getattr(self, FIELD_FOR_COLUMN.get(error.column, "value"))
            field.errors = [*field.errors, error.message]

    @classmethod
    def for_measurement(cls, measurement: Measurement, **kwargs: Any) -> MeasurementForm:
        form = cls(
            prefix=f"m{measurement.id}",
            data={
                "phase": measurement.phase.value,
                "group": measurement.group.value,
                "unit_ref": measurement.unit_ref or "",
                "observed_on": f"{measurement.observed_on:%d/%m/%Y}"
                if measurement.observed_on
                else "",
                "value": f"{measurement.value:g}",
            },
            **kwargs,
        )
        form.submit.label.text = "Save"
        return form


class UploadForm(BoundedForm):
    file = FileField(
        "CSV file",
        description="Columns phase and value, and optionally group, unit and date",
        widget=GovFileInput(),
        validators=[FileRequired(message="Choose a CSV file to upload")],
    )
    submit = SubmitField("Upload and preview", widget=GovSubmitInput())


class ManyUploadForm(BoundedForm):
    file = FileField(
        "CSV file",
        description="Columns improvement and phase and value, and optionally group, unit and date",
        widget=GovFileInput(),
        validators=[FileRequired(message="Choose a CSV file to upload")],
    )
    submit = SubmitField("Upload and check", widget=GovSubmitInput())


class WithdrawBatchForm(BoundedForm):
    reason = TextAreaField(
        "Why are you withdrawing these measurements?",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Say why the measurements are withdrawn"),
            Length(max=2000),
        ],
    )
    submit = SubmitField("Withdraw these measurements", widget=GovSubmitInput())
