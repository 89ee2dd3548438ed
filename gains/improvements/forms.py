"""Forms for registering, editing and amending an improvement, and filtering the register."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from gains import bounds
from gains.form_fields import (
    BoundedForm,
    DecimalTextField,
    EnumRadioField,
    FloatTextField,
    PenceField,
    PercentField,
    WholeNumberField,
    YesNoField,
    within,
)
from gains.models import (
    APPRAISAL_DEFAULTS,
    ActDecision,
    Design,
    Direction,
    Improvement,
    ImprovementKind,
    Pillar,
    Status,
)
from gains.services.improvements.locking import amended_with
from gains.services.improvements.workflow import PLAN_FIELDS

CASHABLE_CHOICES = [
    ("yes", "Yes: the saving releases money"),
    ("no", "No: it releases time or capacity"),
]
RANDOMISED_CHOICES = [
    ("yes", "Yes: a random draw decided who got the change"),
    ("no", "No, or there is no comparison group"),
]
SEASONAL_CHOICES = [
    ("yes", "Yes: the metric goes up and down over the year"),
    ("no", "No"),
]

HEALTH_CHOICES = [
    ("yes", "Yes: discount them at 1.5 % a year, the Green Book's rate for health"),
    ("no", "No: discount them at 3.5 % a year, the Green Book's standard rate"),
]


def _defaults_by_kind(name: str, say) -> str:
    """The kind defaults of one appraisal term (`APPRAISAL_DEFAULTS`), in words for a hint."""
    return " and ".join(
        f"{say(getattr(APPRAISAL_DEFAULTS[kind], name))} for "
        f"{'an' if kind.label[0] in 'AEIOU' else 'a'} {kind.label.lower()}"
        for kind in ImprovementKind
    )


def _same_for_every_kind(name: str):
    """An appraisal term's default when every kind has the same one (the form shows it)."""
    values = {getattr(terms, name) for terms in APPRAISAL_DEFAULTS.values()}
    return values.pop() if len(values) == 1 else None


def _percent(fraction) -> str:
    return f"{(fraction * 100).normalize():f} %"


DATE_PARTS = ("day", "month", "year")


class DatePartsField(DateField):
    """A GOV.UK date input: the day, month and year posted as three values of one name.

    Any other number of values (a hand-made or cut-short post) is a form error, not a crash:
    the widget shows the three boxes again from `raw_data`, which therefore always has three.
    A date with some parts left blank says which are missing, as GOV.UK asks, and the error
    summary links to the first of them (`first_part_to_fix`, read by
    `templating.error_summary`).
    """

    first_part_to_fix = "day"

    def process_formdata(self, valuelist) -> None:
        parts = [str(value).strip() for value in valuelist]
        self.raw_data = [*parts, "", "", ""][:3]
        if not any(parts):
            self.data = None  # no date: NoDateIfEmpty or InputRequired decides if that will do
            return
        name = self.label.text.removesuffix(" (optional)")
        if len(parts) != len(DATE_PARTS):
            raise ValueError(f"Enter the {name.lower()} as a day, a month and a year")
        missing = [part for part, value in zip(DATE_PARTS, parts, strict=True) if not value]
        if missing:
            self.first_part_to_fix = missing[0]
            raise ValueError(f"{name} must include a {' and a '.join(missing)}")
        super().process_formdata(parts)


class NoDateIfEmpty(Optional):
    """`Optional` for a date input: the field is empty only if every part is (WTForms' own
    looks at the first value alone, so a month and year without a day passed as no date)."""

    def __call__(self, form, field) -> None:
        if not any(part.strip() for part in field.raw_data or [] if isinstance(part, str)):
            field.errors[:] = []
            raise StopValidation()


def _date_field(label: str, description: str) -> DatePartsField:
    return DatePartsField(
        label,
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[NoDateIfEmpty(), within(bounds.DATE)],
        description=description,
    )


class ImprovementForm(BoundedForm):
    """Every field of an improvement's plan (docs/DESIGN.md "Domain")."""

    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a title"), within(bounds.TITLE)],
        description="A short name people will recognise, like 'Pre-fill the renewal form'.",
    )
    team = SelectField("Team", coerce=int, widget=GovSelect())
    kind = EnumRadioField(
        "Kind of improvement",
        enum=ImprovementKind,
        validators=[InputRequired("Select the kind of improvement")],
    )
    pillar = EnumRadioField(
        "Public Value Framework pillar",
        enum=Pillar,
        validators=[InputRequired("Select the pillar it serves")],
    )
    hypothesis = TextAreaField(
        "Hypothesis",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the hypothesis"), within(bounds.HYPOTHESIS)],
        description="What you change, and what you expect it to do to the metric.",
    )
    metric_name = StringField(
        "Metric",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the metric's name"), within(bounds.METRIC_NAME)],
        description="What you measure, like 'Time to complete the form'.",
    )
    metric_unit = StringField(
        "Unit of the metric",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the metric's unit"), within(bounds.METRIC_UNIT)],
        description="Like min, s, days, % of letters, per 1,000 bills.",
    )
    direction = EnumRadioField(
        "Which way is better?",
        enum=Direction,
        validators=[InputRequired("Select whether higher or lower is better")],
    )
    unit_of_observation = StringField(
        "Unit of observation",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter what one measurement is about"),
            within(bounds.UNIT_OF_OBSERVATION),
        ],
        description="What one measurement is about: a case, a call, a collection round.",
    )
    scale = WholeNumberField(
        "Scale",
        what="the scale",
        bound=bounds.SCALE,
        default=1,
        filters=[lambda scale: scale or 1],  # left empty: a plain number
        description="1 for a plain number, 100 for a percentage, 1,000 for 'per 1,000'.",
    )
    design = EnumRadioField(
        "Design",
        enum=Design,
        validators=[InputRequired("Select the design")],
    )
    planned_sample_size = WholeNumberField(
        "Planned sample size",
        what="the planned sample size",
        bound=bounds.PLANNED_SAMPLE_SIZE,
        description=(
            "Measurements you plan in each phase (and group); for a paired design, units "
            "measured in both phases. While it runs, the page shows progress to this size."
        ),
    )
    expected_effect = FloatTextField(
        "Expected effect",
        places=6,
        bound=bounds.EXPECTED_EFFECT,
        what="the expected effect",
        description="The change you expect, after minus before, in the metric's unit.",
    )
    planned_sd = FloatTextField(
        "Expected standard deviation (optional)",
        places=6,
        bound=bounds.PLANNED_SD,
        what="the expected standard deviation",
        description=(
            "How much one measurement usually differs from the average, in the metric's unit."
            " For a paired design, how much the units' changes differ. Leave it empty to use"
            " the measurements before the change once there are some."
        ),
    )
    randomised = YesNoField(
        "Were units put in the change group or the comparison group at random?",
        choices=RANDOMISED_CHOICES,
        default=False,
        description=(
            "Answer yes only if a lottery or random numbers decided, before any results were"
            " seen, which units got the change. Choosing by hand, by area or by taking turns"
            " is not random. This cannot be changed once the improvement is running."
        ),
    )
    seasonal = YesNoField(
        "Allow for a yearly cycle (time series only)",
        choices=SEASONAL_CHOICES,
        default=False,
        description=(
            "Adds a yearly up-and-down to the model. Needs a year of weekly data before"
            " go-live. This cannot be changed once the improvement is running."
        ),
    )
    implementation_cost_pence = PenceField(
        "Implementation cost (£)",
        name="implementation_cost",
        places=2,
        bound=bounds.IMPLEMENTATION_COST_GBP,
        what="the implementation cost",
        description="One-off cost in pounds. An innovation at no extra cost costs £0.",
    )
    annual_volume = WholeNumberField(
        "Annual volume",
        what="the annual volume",
        bound=bounds.ANNUAL_VOLUME,
        description="Units of observation a year that the change applies to.",
    )
    value_per_unit_gbp = DecimalTextField(
        "Value of one unit of the metric (£)",
        places=4,
        bound=bounds.VALUE_PER_UNIT_GBP,
        what="the value per unit",
        description="Pounds per unit of the metric, like 0.45 for a minute of staff time.",
    )
    annual_volume_low = WholeNumberField(
        "Low annual volume (optional)",
        what="the low annual volume",
        bound=bounds.ANNUAL_VOLUME,
        description="The fewest a year it could plausibly apply to.",
    )
    annual_volume_high = WholeNumberField(
        "High annual volume (optional)",
        what="the high annual volume",
        bound=bounds.ANNUAL_VOLUME,
        description="The most a year it could plausibly apply to.",
    )
    value_per_unit_low_gbp = DecimalTextField(
        "Low value of one unit (£, optional)",
        places=4,
        bound=bounds.VALUE_PER_UNIT_GBP,
        what="the low value per unit",
        description="The least one unit of the metric could plausibly be worth.",
    )
    value_per_unit_high_gbp = DecimalTextField(
        "High value of one unit (£, optional)",
        places=4,
        bound=bounds.VALUE_PER_UNIT_GBP,
        what="the high value per unit",
        description="The most one unit of the metric could plausibly be worth.",
    )
    cashable = YesNoField("Is the saving cashable?", choices=CASHABLE_CHOICES, default=False)
    expected_life_years = WholeNumberField(
        "Expected life (years)",
        what="the expected life",
        bound=bounds.EXPECTED_LIFE_YEARS,
        description=(
            "How many years the change keeps paying off, from 1 to 30. Leave it empty for "
            + _defaults_by_kind("expected_life_years", lambda years: f"{years} years")
            + "."
        ),
    )
    persistence = PercentField(
        "Share of the gain that remains each year (%)",
        places=2,
        bound=bounds.PERSISTENCE,
        what="the share of the gain that remains each year",
        description=(
            "Gains fade as staff and systems change: 80 means each year keeps 80 % of the"
            " year before's gain. Leave it empty for "
            + _defaults_by_kind("persistence", _percent)
            + "."
        ),
    )
    health_outcomes = YesNoField(
        "Are the benefits health outcomes?",
        choices=HEALTH_CHOICES,
        default=_same_for_every_kind("health_outcomes"),
    )
    optimism_bias_benefits = PercentField(
        "Optimism bias on benefits (%)",
        places=2,
        bound=bounds.OPTIMISM_BIAS_BENEFITS,
        what="the optimism bias on benefits",
        default=_same_for_every_kind("optimism_bias_benefits"),
        description=(
            "Plans tend to promise more than they deliver. This share is taken off the"
            " benefits until your department has its own evidence of how far off it is."
        ),
    )
    optimism_bias_costs = PercentField(
        "Optimism bias on the cost (%)",
        places=2,
        bound=bounds.OPTIMISM_BIAS_COSTS,
        what="the optimism bias on the cost",
        default=_same_for_every_kind("optimism_bias_costs"),
        description="Costs tend to come in higher than planned. This share is added to the cost.",
    )
    go_live_on = _date_field("Go-live date", "The day the change started. For example, 27 3 2026")
    ended_on = _date_field(
        "Ended on (optional)", "If the change was withdrawn or superseded. Savings stop then."
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_implementation_cost_pence(self, field) -> None:
        kind = getattr(self, "kind", None)
        if kind is not None and kind.data is ImprovementKind.NO_EXTRA_COST and field.data:
            raise ValidationError(
                "An innovation at no extra cost must have an implementation cost of £0"
            )

    def validate_ended_on(self, field) -> None:
        go_live = getattr(self, "go_live_on", None)
        if not field.data or go_live is None:
            return  # without the go-live field here, the service checks the pair
        if go_live.data is None:
            raise ValidationError("Enter the go-live date before the end date")
        if field.data <= go_live.data:
            raise ValidationError("The end date must be after the go-live date")


def changes_from(form: FlaskForm) -> dict[str, Any]:
    """The plan changes a submitted form asks for, for the plan's fields it still has (each
    field's data is already the plan's type; text is trimmed)."""
    changes = SimpleNamespace()
    for name in PLAN_FIELDS:
        if name in form:
            form[name].populate_obj(changes, name)
    return {
        name: value.strip() if isinstance(value, str) else value
        for name, value in vars(changes).items()
    }


def plan_form(form_class: type[FlaskForm], improvement: Improvement) -> FlaskForm:
    """A form of the plan: what was posted, or on a GET the improvement's plan as it stands."""
    return form_class(obj=improvement) if request.method == "GET" else form_class()


class AmendmentReasonMixin:
    reason = TextAreaField(
        "Why is this change needed?",
        widget=GovTextArea(),
        validators=[InputRequired("Explain why the locked field must change"), Length(max=2000)],
        description="Shown to reviewers with the improvement's history.",
    )
    submit = SubmitField("Record the amendment", widget=GovSubmitInput())


def amendment_form_class(plan_field: str) -> type[FlaskForm]:
    """A form with one field of the plan (with its range, or its range's central value:
    `locking.amended_with`), as in ImprovementForm, and the reason for changing it."""
    return type(
        "AmendmentForm",
        (AmendmentReasonMixin, BoundedForm),
        {name: getattr(ImprovementForm, name) for name in amended_with(plan_field)},
    )


class WithdrawForm(BoundedForm):
    reason = TextAreaField(
        "Why is it withdrawn?",
        widget=GovTextArea(),
        validators=[InputRequired("Say why the improvement is withdrawn"), Length(max=2000)],
    )
    submit = SubmitField("Withdraw the improvement", widget=GovSubmitInput())


class StopReasonForm(BoundedForm):
    reason = TextAreaField(
        "Why did you stop before the planned sample size?",
        widget=GovTextArea(),
        # Stripped first, so that spaces alone are refused here as no answer.
        filters=[lambda text: text.strip() if text else text],
        validators=[DataRequired("Say why you stopped early"), within(bounds.STOP_REASON)],
        description=(
            "For example: the service changed under the trial, the data source ended, or the "
            "funding stopped. Reviewers see it; it cannot be changed later."
        ),
    )
    submit = SubmitField("Record why it stopped", widget=GovSubmitInput())


class ChartNoteForm(BoundedForm):
    """A note at a date on the improvement's weekly charts (services/improvements/chart_notes)."""

    on_date = DatePartsField(
        "Date",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date of the note"), within(bounds.DATE)],
        description="The day it happened. For example, 1 3 2026",
    )
    text = StringField(
        "Note",
        widget=GovTextInput(),
        filters=[lambda text: text.strip() if text else text],
        validators=[DataRequired("Enter the note"), within(bounds.CHART_NOTE)],
        description="What changed then, for example: new script from 1 March",
    )
    submit = SubmitField("Add the note", widget=GovSubmitInput())


# The act decision's radios, with the choice to decide later (models/enums.ActDecision).
UNDECIDED = "undecided"
ACT_CHOICES = [
    (decision.value, f"{decision.label}: {decision.meaning[:1].lower()}{decision.meaning[1:]}")
    for decision in ActDecision
] + [(UNDECIDED, "Not decided yet")]


class CycleStartForm(BoundedForm):
    """The next PDSA cycle's plan (services/improvements/cycles.start_cycle)."""

    plan = TextAreaField(
        "What will you try?",
        widget=GovTextArea(),
        validators=[DataRequired("Enter what you will try"), within(bounds.CYCLE_PLAN)],
        description="The change as you will run it in this cycle",
    )
    prediction = TextAreaField(
        "What do you predict will happen?",
        widget=GovTextArea(),
        validators=[DataRequired("Enter what you predict"), within(bounds.CYCLE_PREDICTION)],
        description="Write it before you see the data, for example: 2 minutes quicker a renewal",
    )
    started_on = DatePartsField(
        "Start date",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the day the cycle starts"), within(bounds.DATE)],
        description="For example, 1 3 2026",
    )
    submit = SubmitField("Start the cycle", widget=GovSubmitInput())


class CycleOutcomeForm(BoundedForm):
    """What happened in a cycle and what the team decides (services/improvements/cycles)."""

    ended_on = DatePartsField(
        "End date",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the day the cycle ended"), within(bounds.DATE)],
        description="For example, 31 3 2026",
    )
    notes = TextAreaField(
        "What happened?",
        widget=GovTextArea(),
        filters=[lambda text: text.strip() if text else text],
        validators=[Optional(), within(bounds.CYCLE_NOTES)],
        description="Compare it with your prediction (optional)",
    )
    act_decision = RadioField(
        "What will you do next?",
        choices=ACT_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired("Select what you will do next, or that it is not decided yet")],
    )
    submit = SubmitField("Save what happened", widget=GovSubmitInput())

    @property
    def decision(self) -> ActDecision | None:
        return ActDecision.parse(self.act_decision.data)


SORTS = {
    "updated": "Recently changed",
    "title": "Title (A to Z)",
    "go_live": "Go-live date (newest first)",
    "status": "Status",
}


class FilterForm(BoundedForm):
    """The register's filters. A GET form: it must work as plain links and bookmarks."""

    class Meta:
        csrf = False

    q = StringField("Search titles and hypotheses", widget=GovTextInput())
    department = SelectField("Department", widget=GovSelect(), default="")
    team = SelectField("Team", widget=GovSelect(), default="")
    kind = SelectField(
        "Kind",
        widget=GovSelect(),
        default="",
        choices=[("", "Any kind"), *ImprovementKind.choices()],
    )
    pillar = SelectField(
        "Pillar", widget=GovSelect(), default="", choices=[("", "Any pillar"), *Pillar.choices()]
    )
    status = SelectField(
        "Status", widget=GovSelect(), default="", choices=[("", "Any status"), *Status.choices()]
    )
    design = SelectField(
        "Design", widget=GovSelect(), default="", choices=[("", "Any design"), *Design.choices()]
    )
    sort = SelectField(
        "Sort by", widget=GovSelect(), default="updated", choices=list(SORTS.items())
    )


class SimilarForm(BoundedForm):
    """What to look for among similar improvements: a title and a hypothesis, as typed into
    the registration form (the same bounds). A GET form, so no CSRF token of its own."""

    class Meta:
        csrf = False

    title = StringField("Title", widget=GovTextInput(), validators=[within(bounds.TITLE)])
    hypothesis = TextAreaField(
        "Hypothesis", widget=GovTextArea(), validators=[within(bounds.HYPOTHESIS)]
    )


class AdoptForm(BoundedForm):
    """Try another team's idea: the team it is for and the draft's title (issue 22)."""

    team = SelectField("Which team will try it?", coerce=int, widget=GovSelect())
    title = StringField(
        "Title of your draft",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a title"), within(bounds.TITLE)],
        description="Your department cannot have two improvements with the same title.",
    )
