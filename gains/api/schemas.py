"""Marshmallow schemas of the API: what goes in and out, and so the OpenAPI document.

Input limits are `gains.bounds`, the same objects and messages as the web forms and the
measurement and plan checks: strings within their column's length and free of control
characters and unpaired surrogates (PostgreSQL refuses NUL and UTF-8 the surrogates), numbers
and dates within their bounds (stated in the OpenAPI document where it has words for them).
"""

from __future__ import annotations

import math

from marshmallow import Schema, ValidationError, fields, validate

from gains import bounds
from gains.models import (
    ActDecision,
    BatchSource,
    BatchStatus,
    Decision,
    Design,
    Direction,
    ImprovementKind,
    Phase,
    Pillar,
    Status,
    StudyGroup,
)
from gains.services.estimates.plain_english import Verdict
from gains.services.improvements.register import ORDERINGS
from gains.services.measurements.rows import MAX_UNIT_REF_LENGTH
from gains.stats.evidence import LEVELS

INT32_MAX = bounds.RECORD_ID.high  # the ids these fields name


class Text(fields.String):
    """A string as `gains.bounds` allows text: no control characters (tab and line breaks
    too, unless `multiline`), no unpaired surrogate; with a `bound`, also its length."""

    def __init__(
        self,
        *,
        bound: bounds.TextBound | None = None,
        multiline: bool = False,
        what: str = "this text",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.bound = bound
        self.multiline = multiline
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.bound is not None:
            problem = self.bound.problem(text)
        else:
            problem = bounds.text_problem(text, self.what, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)
        return text


def bounded(bound: bounds.NumberBound, per_unit: int = 1) -> validate.Range:
    """A number bound as marshmallow's Range, so the OpenAPI document states it, with the
    bound's own message. `per_unit` scales the figures (100 for pence of a bound in £)."""
    return validate.Range(min=bound.low * per_unit, max=bound.high * per_unit, error=bound.message)


def checked(bound: bounds.NumberBound | bounds.DateBound):
    """A bound as a plain validator, for fields whose Range apispec cannot write (dates;
    decimals, whose Range bounds it would write as strings)."""

    def check(value) -> None:
        problem = bound.problem(value)
        if problem:
            raise ValidationError(problem)

    return check


class FiniteFloat(fields.Float):
    """A float in output: NaN and infinities (no JSON for them) become null."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or not math.isfinite(float(value)):
            return None
        return super()._serialize(value, attr, obj, **kwargs)


def enum_field(enum, **kwargs) -> fields.Enum:
    return fields.Enum(enum, by_value=True, **kwargs)


# --- problems -------------------------------------------------------------------------------


class ProblemErrorSchema(Schema):
    location = fields.String(metadata={"description": "body, query, path or header"}, required=True)
    field = fields.String(
        required=True,
        metadata={"description": "Dotted path of the value, e.g. `rows.2.value` or `per_page`"},
    )
    message = fields.String(required=True)
    row = fields.Integer(metadata={"description": "Measurement rows: the row's number (1-based)"})
    column = fields.String(metadata={"description": "Measurement rows: the column's name"})


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"description": "A URI for the kind of problem"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "What went wrong, for people"})
    instance = fields.String(required=True, metadata={"description": "The request's path"})
    errors = fields.List(
        fields.Nested(ProblemErrorSchema),
        metadata={"description": "Validation problems, one per value or row"},
    )


# --- pagination -----------------------------------------------------------------------------


class PageArgsSchema(Schema):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": "Which page, from 1 (past the last: an empty page)"},
    )
    per_page = fields.Integer(
        load_default=25,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Items per page, 1 to 100"},
    )


class PageLinksSchema(Schema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    prev = fields.String(metadata={"description": "Absent on the first page"})
    next = fields.String(metadata={"description": "Absent on the last page"})


_PAGE_SCHEMAS: dict[type, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The envelope of one page of `item_schema` (one class per item schema, so the
    OpenAPI components get one stable name each)."""
    if item_schema not in _PAGE_SCHEMAS:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _PAGE_SCHEMAS[item_schema] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "page": fields.Integer(required=True),
                "per_page": fields.Integer(required=True),
                "total": fields.Integer(required=True),
                "pages": fields.Integer(required=True),
                "links": fields.Nested(PageLinksSchema, required=True),
            },
        )
    return _PAGE_SCHEMAS[item_schema]


# --- organisation ---------------------------------------------------------------------------


class DepartmentSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    code = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class TeamSchema(Schema):
    id = fields.Integer(required=True)
    department_id = fields.Integer(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class TeamArgsSchema(PageArgsSchema):
    department_id = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))


# --- improvements ---------------------------------------------------------------------------

# The register's sorts, as on the web list.


class ImprovementArgsSchema(PageArgsSchema):
    """The web register's filters, by the same names where they are ids."""

    q = Text(
        what="the search",
        validate=validate.Length(max=200),
        metadata={"description": "Title or hypothesis"},
    )
    department_id = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))
    team_id = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))
    kind = enum_field(ImprovementKind)
    pillar = enum_field(Pillar)
    status = enum_field(Status)
    design = enum_field(Design)
    sort = fields.String(load_default="updated", validate=validate.OneOf(tuple(ORDERINGS)))


RANGE_DESCRIPTION = (
    "The {end} end of the {what}'s plausible range: both ends or neither, only with the"
    " {what} itself, low <= {what} <= high"
)


def pounds_per_unit(description: str) -> fields.Decimal:
    """A £ rate per unit of the metric, as the plan takes it (at most 4 decimal places)."""
    return fields.Decimal(
        allow_none=True,
        validate=checked(bounds.VALUE_PER_UNIT_GBP),
        metadata={
            "description": description,
            "minimum": bounds.VALUE_PER_UNIT_GBP.low,
            "maximum": bounds.VALUE_PER_UNIT_GBP.high,
        },
    )


def fraction(bound: bounds.NumberBound, description: str) -> fields.Decimal:
    """An appraisal fraction (at most 4 decimal places); omitted at registration: the kind's
    default."""
    return fields.Decimal(
        validate=checked(bound),
        metadata={
            "description": f"{description}; omitted at registration: the kind's default",
            "minimum": bound.low,
            "maximum": float(bound.high),
        },
    )


class PlanSchema(Schema):
    """The plan's fields as the API takes them (every one optional: see the subclasses)."""

    title = Text(bound=bounds.TITLE, validate=validate.Length(min=1, max=200))
    kind = enum_field(ImprovementKind)
    pillar = enum_field(Pillar)
    hypothesis = Text(bound=bounds.HYPOTHESIS, validate=validate.Length(min=1, max=2000))
    metric_name = Text(bound=bounds.METRIC_NAME, validate=validate.Length(min=1, max=200))
    metric_unit = Text(bound=bounds.METRIC_UNIT, validate=validate.Length(min=1, max=50))
    direction = enum_field(Direction)
    unit_of_observation = Text(
        bound=bounds.UNIT_OF_OBSERVATION, validate=validate.Length(min=1, max=100)
    )
    design = enum_field(Design)
    scale = fields.Integer(
        validate=bounded(bounds.SCALE),
        metadata={"description": "1 for a plain number, 100 for a percentage"},
    )
    planned_sample_size = fields.Integer(
        allow_none=True, validate=bounded(bounds.PLANNED_SAMPLE_SIZE)
    )
    expected_effect = fields.Float(
        allow_none=True,
        validate=bounded(bounds.EXPECTED_EFFECT),
        metadata={"description": "In metric units: the raw change (after minus before)"},
    )
    planned_sd = fields.Float(
        allow_none=True,
        validate=bounded(bounds.PLANNED_SD),
        metadata={
            "description": "The metric's expected standard deviation (paired: of the units'"
            " changes), in metric units, for the minimum detectable effect"
        },
    )
    randomised = fields.Boolean(
        metadata={
            "description": "Units were assigned to the change or the comparison group at"
            " random (locked from running; evidence level 5)"
        }
    )
    seasonal = fields.Boolean(
        metadata={
            "description": "Time series only: the model allows for a yearly cycle (needs 52"
            " weeks of data before go-live; locked from running)"
        }
    )
    implementation_cost_pence = fields.Integer(
        validate=bounded(bounds.IMPLEMENTATION_COST_GBP, per_unit=100)
    )
    annual_volume = fields.Integer(allow_none=True, validate=bounded(bounds.ANNUAL_VOLUME))
    value_per_unit_gbp = pounds_per_unit("Pounds per unit of the metric, at most 4 decimal places")
    cashable = fields.Boolean()
    annual_volume_low = fields.Integer(
        allow_none=True,
        validate=bounded(bounds.ANNUAL_VOLUME),
        metadata={"description": RANGE_DESCRIPTION.format(end="low", what="annual volume")},
    )
    annual_volume_high = fields.Integer(
        allow_none=True,
        validate=bounded(bounds.ANNUAL_VOLUME),
        metadata={"description": RANGE_DESCRIPTION.format(end="high", what="annual volume")},
    )
    value_per_unit_low_gbp = pounds_per_unit(
        RANGE_DESCRIPTION.format(end="low", what="value per unit")
    )
    value_per_unit_high_gbp = pounds_per_unit(
        RANGE_DESCRIPTION.format(end="high", what="value per unit")
    )
    expected_life_years = fields.Integer(
        validate=bounded(bounds.EXPECTED_LIFE_YEARS),
        metadata={
            "description": "Years the gain lasts (the Green Book's flat discount rate holds to"
            " year 30); omitted at registration: the kind's default"
        },
    )
    persistence = fraction(
        bounds.PERSISTENCE,
        "The share of the gain that survives each further year, as a fraction (0.8 = 80 %)",
    )
    health_outcomes = fields.Boolean(
        metadata={
            "description": "Discount at the Green Book's 1.5 % health rate instead of 3.5 %;"
            " omitted at registration: false"
        }
    )
    optimism_bias_benefits = fraction(
        bounds.OPTIMISM_BIAS_BENEFITS,
        "The fraction taken off benefits for optimism bias (0.15 = 15 %)",
    )
    optimism_bias_costs = fraction(
        bounds.OPTIMISM_BIAS_COSTS,
        "The fraction added to the one-off cost for optimism bias (0.1 = 10 %)",
    )
    go_live_on = fields.Date(allow_none=True, validate=checked(bounds.DATE))
    ended_on = fields.Date(allow_none=True, validate=checked(bounds.DATE))


REQUIRED_PLAN_FIELDS = (
    "title",
    "kind",
    "pillar",
    "hypothesis",
    "metric_name",
    "metric_unit",
    "direction",
    "unit_of_observation",
    "design",
)


class ImprovementCreateSchema(PlanSchema):
    team_id = fields.Integer(required=True, validate=validate.Range(min=1, max=INT32_MAX))

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if field_name in REQUIRED_PLAN_FIELDS:
            field_obj.required = True


class ImprovementUpdateSchema(PlanSchema):
    """Any of the plan's unlocked fields; locked ones change only by amendment (409)."""


class ImprovementLinksSchema(Schema):
    self = fields.String(required=True)
    measurements = fields.String(required=True)
    batches = fields.String(required=True)
    estimate = fields.String(required=True)
    cycles = fields.String(required=True)
    web = fields.String(required=True)


EXACT_DECIMAL = 'Exact decimal pounds, as a string such as "0.0075"'


class IdeaLinkSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"example": "REV-0006"})


EXACT_FRACTION = 'An exact fraction, as a string such as "0.8000" (80 %)'


class ImprovementSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(
        required=True,
        metadata={
            "description": "How people quote it, shown on its page: the department's code "
            "and the id padded to four digits, like WKP-0042 (the measurements imports take "
            "it, or the id alone).",
            "example": "WKP-0042",
        },
    )
    department_id = fields.Integer(required=True)
    team_id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = enum_field(ImprovementKind, required=True)
    pillar = enum_field(Pillar, required=True)
    hypothesis = fields.String(required=True)
    metric_name = fields.String(required=True)
    metric_unit = fields.String(required=True)
    direction = enum_field(Direction, required=True)
    unit_of_observation = fields.String(required=True)
    design = enum_field(Design, required=True)
    scale = fields.Integer(required=True)
    planned_sample_size = fields.Integer(allow_none=True, required=True)
    expected_effect = FiniteFloat(required=True)
    planned_sd = FiniteFloat(required=True)
    randomised = fields.Boolean(required=True)
    seasonal = fields.Boolean(required=True)
    implementation_cost_pence = fields.Integer(required=True)
    annual_volume = fields.Integer(allow_none=True, required=True)
    value_per_unit_gbp = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": EXACT_DECIMAL},
    )
    cashable = fields.Boolean(required=True)
    annual_volume_low = fields.Integer(allow_none=True, required=True)
    annual_volume_high = fields.Integer(allow_none=True, required=True)
    value_per_unit_low_gbp = fields.String(
        allow_none=True, required=True, metadata={"description": EXACT_DECIMAL}
    )
    value_per_unit_high_gbp = fields.String(
        allow_none=True, required=True, metadata={"description": EXACT_DECIMAL}
    )
    expected_life_years = fields.Integer(required=True)
    persistence = fields.String(required=True, metadata={"description": EXACT_FRACTION})
    health_outcomes = fields.Boolean(required=True)
    optimism_bias_benefits = fields.String(required=True, metadata={"description": EXACT_FRACTION})
    optimism_bias_costs = fields.String(required=True, metadata={"description": EXACT_FRACTION})
    go_live_on = fields.Date(allow_none=True, required=True)
    ended_on = fields.Date(allow_none=True, required=True)
    status = enum_field(Status, required=True)
    data_version = fields.Integer(required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    stopped_early_reason = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Why the team stopped before the planned sample size, recorded on "
            "the web page while it ran; from then on the fixed-sample estimate is final"
        },
    )
    stopped_early_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    locked_fields = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Fields that change only by amendment now"},
    )
    adopted_from = fields.Nested(
        IdeaLinkSchema,
        allow_none=True,
        required=True,
        metadata={
            "description": "The original idea this improvement tries (always the original, "
            "never an adoption); null if it is an original. Its pooled result: "
            "GET /ideas/{id}"
        },
    )
    adoptions = fields.List(
        fields.Integer(),
        required=True,
        metadata={
            "description": "Ids of the improvements that adopted this idea (those outside "
            "your scope answer 404)"
        },
    )
    links = fields.Nested(ImprovementLinksSchema, required=True)


class SimilarArgsSchema(Schema):
    """What to look for: the registration form's title and hypothesis, with its bounds."""

    title = Text(
        bound=bounds.TITLE,
        validate=validate.Length(max=bounds.TITLE.max_length),
        load_default="",
        metadata={"description": "A title"},
    )
    hypothesis = Text(
        bound=bounds.HYPOTHESIS,
        validate=validate.Length(max=bounds.HYPOTHESIS.max_length),
        load_default="",
        metadata={"description": "A hypothesis"},
    )


class SimilarLinksSchema(Schema):
    web = fields.String(
        required=True,
        metadata={"description": "Its page for you: the improvement's, or its public page"},
    )
    self = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The improvement in this API, when it is in your scope"},
    )


class SimilarImprovementSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"example": "WKP-0042"})
    title = fields.String(required=True)
    department_code = fields.String(required=True)
    department_name = fields.String(required=True)
    team_name = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Null for a published result outside your scope"},
    )
    status = enum_field(Status, required=True)
    in_your_scope = fields.Boolean(
        required=True,
        metadata={
            "description": "False: a published result from elsewhere, whose figures are the "
            "approved ones the public register shows"
        },
    )
    verdict = enum_field(Verdict, allow_none=True, required=True)
    verdict_words = fields.String(allow_none=True, required=True)
    effect = FiniteFloat(
        required=True, metadata={"description": "After minus before, in the metric's units"}
    )
    ci_low = FiniteFloat(required=True)
    ci_high = FiniteFloat(required=True)
    level = FiniteFloat(required=True)
    evidence_level = fields.Integer(allow_none=True, required=True)
    links = fields.Nested(SimilarLinksSchema, required=True)


class SimilarListSchema(Schema):
    items = fields.List(
        fields.Nested(SimilarImprovementSchema),
        required=True,
        metadata={"description": "Most similar first, at most 5"},
    )


class AdoptSchema(Schema):
    """Try the idea in a team: a draft copying its design, linked to the original."""

    team_id = fields.Integer(
        validate=validate.Range(min=1, max=INT32_MAX),
        metadata={"description": "A team you register in; by default your own (the first)"},
    )
    title = Text(
        bound=bounds.TITLE,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The draft's title; by default the idea's own"},
    )


class WithdrawSchema(Schema):
    reason = Text(
        required=True, multiline=True, what="the reason", validate=validate.Length(min=1, max=2000)
    )


class DecisionSchema(Schema):
    decision = enum_field(Decision, required=True)
    comment = Text(
        multiline=True,
        what="the comment",
        load_default="",
        validate=validate.Length(max=5000),
        metadata={"description": "Required to reject or request changes"},
    )
    data_version = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0),
        metadata={
            "description": "The data version you reviewed (the improvement's `data_version`). "
            "If the data changed since, the decision is refused (409). Without it, the "
            "decision is of the current version."
        },
    )


# --- measurements and batches ---------------------------------------------------------------


class MeasurementRowSchema(Schema):
    """One row, checked by the same validation as the web form and CSV upload: problems come
    back as `errors` with the row number and column, and nothing is saved."""

    phase = Text(required=True, metadata={"enum": [p.value for p in Phase]})
    group = Text(
        allow_none=True,
        metadata={"enum": [g.value for g in StudyGroup], "description": "Default: treatment"},
    )
    unit_ref = Text(
        what="the unit reference",
        allow_none=True,
        metadata={"description": f"A case or unit reference, at most {MAX_UNIT_REF_LENGTH}"},
    )
    observed_on = Text(
        allow_none=True, metadata={"description": "YYYY-MM-DD (or DD/MM/YYYY)", "example": ""}
    )
    value = fields.Raw(
        required=True,
        metadata={"type": "number", "description": "A finite number (a numeric string is taken)"},
    )


MAX_ROWS_PER_REQUEST = 10_000


class MeasurementBatchCreateSchema(Schema):
    rows = fields.List(
        fields.Nested(MeasurementRowSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ROWS_PER_REQUEST),
        metadata={"description": "Stored as one batch: all of them or, on any problem, none"},
    )
    filename = Text(
        what="the file name",
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={"description": "Where the rows came from (shown with the batch)"},
    )


class MeasurementSchema(Schema):
    id = fields.Integer(required=True)
    batch_id = fields.Integer(required=True)
    phase = enum_field(Phase, required=True)
    group = enum_field(StudyGroup, required=True)
    unit_ref = fields.String(allow_none=True, required=True)
    observed_on = fields.Date(allow_none=True, required=True)
    value = FiniteFloat(required=True)


class MeasurementArgsSchema(PageArgsSchema):
    batch_status = enum_field(BatchStatus, metadata={"description": "Only rows of such batches"})


class BatchSchema(Schema):
    id = fields.Integer(required=True)
    improvement_id = fields.Integer(required=True)
    source = enum_field(BatchSource, required=True)
    status = enum_field(BatchStatus, required=True)
    filename = fields.String(allow_none=True, required=True)
    row_count = fields.Integer(required=True)
    checksum_sha256 = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    confirmed_at = fields.DateTime(allow_none=True, required=True)
    withdrawn_at = fields.DateTime(allow_none=True, required=True)
    withdrawal_reason = fields.String(allow_none=True, required=True)
    cycle = fields.Function(
        lambda batch: batch.cycle.number if batch.cycle is not None else None,
        allow_none=True,
        required=True,
        metadata={
            "type": "integer",
            "description": "The PDSA cycle open when the rows arrived; null outside cycles",
        },
    )


class BatchArgsSchema(PageArgsSchema):
    status = enum_field(BatchStatus)


# --- chart notes ----------------------------------------------------------------------------


class ChartNoteCreateSchema(Schema):
    on_date = fields.Date(
        required=True,
        validate=checked(bounds.DATE),
        metadata={"description": "The day the note marks on the charts, YYYY-MM-DD"},
    )
    text = Text(
        required=True,
        bound=bounds.CHART_NOTE,
        metadata={"description": "What happened then, as the charts label it"},
    )


class ChartNoteSchema(Schema):
    id = fields.Integer(required=True)
    improvement_id = fields.Integer(required=True)
    on_date = fields.Date(required=True)
    text = fields.String(required=True)
    created_by_id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


# --- PDSA cycles -----------------------------------------------------------------------------


class CycleCreateSchema(Schema):
    plan = Text(
        required=True,
        bound=bounds.CYCLE_PLAN,
        metadata={"description": "What the team will try in this cycle"},
    )
    prediction = Text(
        required=True,
        bound=bounds.CYCLE_PREDICTION,
        metadata={"description": "What the team predicts will happen, written before the data"},
    )
    started_on = fields.Date(
        required=True,
        validate=checked(bounds.DATE),
        metadata={"description": "The cycle's first day, YYYY-MM-DD"},
    )


class CycleOutcomeSchema(Schema):
    """Any of a cycle's outcome fields; those left out keep their values. Ending an open
    cycle needs `ended_on`."""

    ended_on = fields.Date(
        validate=checked(bounds.DATE), metadata={"description": "The cycle's last day"}
    )
    notes = Text(
        allow_none=True,
        bound=bounds.CYCLE_NOTES,
        metadata={"description": "What happened (Study)"},
    )
    act_decision = enum_field(
        ActDecision,
        allow_none=True,
        metadata={"description": "Act: adopt, adapt or abandon; null while undecided"},
    )


class CycleEstimateSchema(Schema):
    """The cycle's estimate, descriptive: the baseline against this cycle's after rows. The
    improvement's one estimate (`/estimate`) is the figure that is reviewed and counted."""

    data_version = fields.Integer(required=True)
    method = fields.String(allow_none=True, required=True)
    effect = fields.Float(allow_none=True, required=True)
    ci_low = fields.Float(allow_none=True, required=True)
    ci_high = fields.Float(allow_none=True, required=True)
    level = fields.Float(allow_none=True, required=True)
    n_before = fields.Integer(allow_none=True, required=True)
    n_after = fields.Integer(allow_none=True, required=True)
    no_estimate_reason = fields.String(allow_none=True, required=True)


class CycleSchema(Schema):
    number = fields.Integer(required=True)
    improvement_id = fields.Integer(required=True)
    plan = fields.String(required=True)
    prediction = fields.String(required=True)
    started_on = fields.Date(required=True)
    ended_on = fields.Date(allow_none=True, required=True)
    notes = fields.String(allow_none=True, required=True)
    act_decision = enum_field(ActDecision, allow_none=True, required=True)
    adopted = fields.Boolean(
        required=True,
        metadata={"description": "The adopted change: the latest cycle decided adopt"},
    )
    estimate = fields.Nested(CycleEstimateSchema, required=True)
    created_at = fields.DateTime(required=True)


# --- estimates ------------------------------------------------------------------------------


class AnnualSavingSchema(Schema):
    annual_saving_pence = fields.Integer(
        required=True, metadata={"description": "gain ÷ scale × annual volume × £ per unit"}
    )
    se_pence = fields.Integer(required=True)
    ci_low_pence = fields.Integer(required=True)
    ci_high_pence = fields.Integer(required=True)
    ci_excludes_zero = fields.Boolean(
        required=True, metadata={"description": "The gain's interval excludes zero"}
    )
    includes_input_ranges = fields.Boolean(
        required=True,
        metadata={
            "description": "The interval also includes the ranges given for the annual volume"
            " and the value of one unit (seeded simulation); else statistical uncertainty only"
        },
    )


class AppraisalSchema(Schema):
    """As `gains stats appraise --json`: pounds to the penny (docs/STATISTICS.md)."""

    pv_benefits = FiniteFloat(
        required=True, metadata={"description": "Present value of benefits over the life, £"}
    )
    pv_costs = FiniteFloat(
        required=True, metadata={"description": "The one-off cost with its optimism bias, £"}
    )
    npv = FiniteFloat(required=True, metadata={"description": "pv_benefits − pv_costs, £"})
    bcr = FiniteFloat(
        required=True,
        metadata={"description": "pv_benefits ÷ pv_costs; null at zero cost (no ratio)"},
    )
    payback_month = fields.Integer(
        allow_none=True,
        required=True,
        metadata={
            "description": "First month after go-live by whose end the undiscounted benefits"
            " cover the cost; null if not within the expected life"
        },
    )


class EstimateSchema(Schema):
    improvement_id = fields.Integer(required=True)
    data_version = fields.Integer(required=True)
    available = fields.Boolean(required=True)
    reason = fields.String(
        allow_none=True, required=True, metadata={"description": "Why there is no estimate"}
    )
    method = fields.String(allow_none=True, required=True)
    method_name = fields.String(allow_none=True, required=True)
    computed_at = fields.DateTime(allow_none=True, required=True)
    effect = FiniteFloat(required=True)
    se = FiniteFloat(required=True)
    ci_low = FiniteFloat(required=True)
    ci_high = FiniteFloat(required=True)
    p_value = FiniteFloat(required=True)
    gain = FiniteFloat(required=True)
    hedges_g = FiniteFloat(required=True)
    hedges_g_variance = FiniteFloat(required=True)
    n_before = fields.Integer(allow_none=True, required=True)
    n_after = fields.Integer(allow_none=True, required=True)
    evidence_level = fields.Integer(
        allow_none=True,
        required=True,
        metadata={
            "description": "2-5: how far the design rules out other explanations (Maryland"
            " Scientific Methods Scale; docs/STATISTICS.md)"
        },
    )
    evidence_label = fields.String(
        allow_none=True, required=True, metadata={"description": "The level in plain words"}
    )
    annual_saving = fields.Nested(
        AnnualSavingSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Null until the estimate and the money terms are both set"},
    )
    appraisal = fields.Nested(
        AppraisalSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Green Book appraisal of the annual saving over the life"},
    )
    result = fields.Dict(
        allow_none=True,
        required=True,
        metadata={"description": "The whole result: warnings, relative change, per-group n"},
    )


class PooledArgsSchema(Schema):
    method = fields.String(
        load_default="dl",
        validate=validate.OneOf(("dl", "pm")),
        metadata={"description": "DerSimonian-Laird or Paule-Mandel"},
    )
    include_level_2 = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Pool evidence-level-2 improvements too (before and after, no "
            "comparison group); left out by default"
        },
    )


class PooledStudySchema(Schema):
    improvement_id = fields.Integer(required=True)
    title = fields.String(required=True)
    hedges_g = FiniteFloat(required=True)
    variance = FiniteFloat(required=True)
    standardiser = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "smd: pooled SD of the two groups; smcr: before-period SD"},
    )
    ci_low = FiniteFloat(required=True)
    ci_high = FiniteFloat(required=True)


class PooledResultSchema(Schema):
    ci_method = fields.String(
        required=True,
        metadata={"description": "knha: Hartung-Knapp-Sidik-Jonkman (t on df); z: normal"},
    )
    df = fields.Integer(allow_none=True, required=True)
    k = fields.Integer(required=True)
    level = FiniteFloat(required=True)
    estimate = FiniteFloat(required=True)
    se = FiniteFloat(required=True)
    ci_low = FiniteFloat(required=True)
    ci_high = FiniteFloat(required=True)
    pi_low = FiniteFloat(required=True)
    pi_high = FiniteFloat(required=True)
    tau2 = FiniteFloat(required=True)
    i2 = FiniteFloat(required=True)
    q = FiniteFloat(required=True)
    q_p_value = FiniteFloat(required=True)


class PooledEstimateSchema(Schema):
    department_id = fields.Integer(required=True)
    method = fields.String(required=True)
    studies = fields.List(fields.Nested(PooledStudySchema), required=True)
    excluded_time_series = fields.Integer(required=True)
    excluded_no_effect_size = fields.Integer(required=True)
    include_level_2 = fields.Boolean(required=True)
    excluded_level_2 = fields.Integer(required=True)
    result = fields.Nested(PooledResultSchema, allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)


class IdeaItemSchema(Schema):
    improvement_id = fields.Integer(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    team = fields.String(required=True)
    department = fields.String(required=True)
    status = enum_field(Status, required=True)
    effect = FiniteFloat(
        required=True, metadata={"description": "On the idea's scale; positive is better"}
    )
    variance = FiniteFloat(required=True)
    ci_low = FiniteFloat(required=True)
    ci_high = FiniteFloat(required=True)


class IdeaSchema(Schema):
    original_id = fields.Integer(required=True)
    title = fields.String(required=True)
    scale = fields.String(
        required=True,
        metadata={
            "description": "relative: relative change as a fraction (0.1 is 10% better), "
            "when every place has one; hedges_g otherwise"
        },
    )
    items = fields.List(fields.Nested(IdeaItemSchema), required=True)
    not_shown = fields.Integer(
        required=True, metadata={"description": "Places outside your scope, not pooled"}
    )
    not_on_scale = fields.Integer(required=True)
    without_estimate = fields.Integer(required=True)
    draft_or_withdrawn = fields.Integer(
        required=True, metadata={"description": "Drafts and withdrawn places, not pooled"}
    )
    result = fields.Nested(
        PooledResultSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The prediction interval is what to expect if you adopt it"},
    )
    reason = fields.String(allow_none=True, required=True)


# --- savings --------------------------------------------------------------------------------

MONTH = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"


class SavingsArgsSchema(Schema):
    department_id = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=INT32_MAX)),
        metadata={"description": "Repeat for several departments; none means all"},
    )
    pillar = enum_field(Pillar)
    kind = enum_field(ImprovementKind)
    start = fields.String(
        data_key="from", validate=validate.Regexp(MONTH), metadata={"description": "YYYY-MM"}
    )
    end = fields.String(
        data_key="to", validate=validate.Regexp(MONTH), metadata={"description": "YYYY-MM"}
    )
    level = fields.Integer(
        validate=validate.OneOf(LEVELS),
        metadata={
            "description": "Only improvements at this evidence level (2-5); none means all. "
            "Validated figures still count level 3 and above only."
        },
    )


class SavingsPointSchema(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    claimed_pence = fields.Integer(required=True)
    claimed_low_pence = fields.Integer(required=True)
    claimed_high_pence = fields.Integer(required=True)
    validated_pence = fields.Integer(required=True)
    validated_low_pence = fields.Integer(required=True)
    validated_high_pence = fields.Integer(required=True)
    validated_shrunk_pence = fields.Integer(required=True)
    npv_pence = fields.Integer(
        required=True,
        metadata={"description": "Whole-life NPV (shrunk) of the validated live by the month"},
    )


class SavingsTotalSchema(Schema):
    total_pence = fields.Integer(required=True)
    se_pence = fields.Integer(required=True)
    band_low_pence = fields.Integer(required=True)
    band_high_pence = fields.Integer(required=True)
    from_items_excluding_zero_pence = fields.Integer(
        required=True,
        metadata={
            "description": "The part of the total from items whose own interval excludes"
            " zero: exactly the items approval tends to select, so the most inflated; not a"
            " figure to bank"
        },
    )
    n_items = fields.Integer(required=True)
    level = FiniteFloat(required=True)


class BandSchema(Schema):
    total_pence = fields.Integer(required=True)
    band_low_pence = fields.Integer(required=True)
    band_high_pence = fields.Integer(required=True)
    n_items = fields.Integer(required=True)
    level = FiniteFloat(required=True)


class SavingsByLevelSchema(Schema):
    evidence_level = fields.Integer(required=True)
    claimed = fields.Nested(SavingsTotalSchema, required=True)
    validated = fields.Nested(SavingsTotalSchema, required=True)
    validated_shrunk_pence = fields.Integer(required=True)
    realised_pence = fields.Integer(required=True)
    npv_pence = fields.Integer(required=True)
    reported_pence = fields.Integer(required=True)


class SavingsSeriesSchema(Schema):
    filters = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    months = fields.List(fields.Nested(SavingsPointSchema), required=True)
    claimed = fields.Nested(SavingsTotalSchema, required=True)
    validated = fields.Nested(
        SavingsTotalSchema,
        required=True,
        metadata={"description": "Approvals at evidence level 3 and above, as approved"},
    )
    validated_shrunk = fields.Nested(
        SavingsTotalSchema,
        required=True,
        metadata={"description": "The same, shrunk toward each department's pool: to bank"},
    )
    npv = fields.Nested(
        BandSchema,
        required=True,
        metadata={"description": "Whole-life NPV of the validated savings, shrunk"},
    )
    npv_raw = fields.Nested(BandSchema, required=True)
    reported = fields.Nested(
        SavingsTotalSchema,
        required=True,
        metadata={"description": "Evidence level 2: reported, not validated by a comparison"},
    )
    by_evidence_level = fields.List(fields.Nested(SavingsByLevelSchema), required=True)
