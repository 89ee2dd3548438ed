"""Reading the audit trail: filters, pages, readable field changes and the CSV export.

Writing it is `services/audit/events.py`. Callers pass a statement already scoped by
`gains.access.scoped` (admins: every event; the per-improvement page: the events of one
improvement the reader may see).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from gains import numbers
from gains.exports import Column, Table
from gains.extensions import db
from gains.models import (
    ApiToken,
    AuditEvent,
    ChartNote,
    Cycle,
    Department,
    Improvement,
    Measurement,
    Team,
    UploadBatch,
    User,
)
from gains.models.enums import (
    BatchSource,
    BatchStatus,
    Design,
    Direction,
    ImprovementKind,
    LabelledEnum,
    Phase,
    Pillar,
    Role,
    Status,
    StudyGroup,
)
from gains.paging import paginate

PAGE_SIZE = 50
# A CSV of more events than this is cut there, and says so: narrow the filters.
EXPORT_LIMIT = 100_000
SYSTEM_ACTOR = "system"  # the actor filter's value for events with no person behind them

# Fields whose values are ids of records people know by name.
REFERENCE_FIELDS = {"team_id": Team, "department_id": Department}
# Fields holding a stored enum value, shown with the label people know ("Submitted for
# review", not "submitted"); `status` means different things on different records.
ENUM_FIELDS: dict[str, type[LabelledEnum]] = {
    "role": Role,
    "kind": ImprovementKind,
    "pillar": Pillar,
    "direction": Direction,
    "design": Design,
    "phase": Phase,
    "study_group": StudyGroup,
    "source": BatchSource,
}
STATUS_BY_RECORD: dict[str, type[LabelledEnum]] = {
    "improvements": Status,
    "upload_batches": BatchStatus,
}
FIELD_LABELS = {
    "team_id": "Team",
    "department_id": "Department",
    "session_version": "Session version",
    "expires_at": "Expires at (UTC)",
    # The plan's fields, as its form labels them.
    "metric_name": "Metric",
    "metric_unit": "Unit of the metric",
    "planned_sd": "Expected standard deviation",
    "value_per_unit_gbp": "Value of one unit of the metric",
    "value_per_unit_low_gbp": "Low value of one unit",
    "value_per_unit_high_gbp": "High value of one unit",
    "go_live_on": "Go-live date",
    "ended_on": "Ended on",
    "randomised": "Random assignment",
    "seasonal": "Yearly cycle",
    "health_outcomes": "Health discount rate",
    "persistence": "Share of the gain that remains each year",
    "expected_life_years": "Expected life (years)",
    "observed_on": "Date observed",
    "unit_ref": "Unit reference",
    "study_group": "Group",
    # A chart note's fields, as its form labels them.
    "on_date": "Date",
    "text": "Note",
}
# Fractions stored as such and shown, as the forms take them, as percentages.
PERCENT_FIELDS = {"persistence", "optimism_bias_benefits", "optimism_bias_costs"}

# What each action did, in words ("Published on the register", not "improvement.published").
ACTION_WORDS = {
    "improvement.created": "Registered",
    "improvement.adopted": "Registered to try another team's idea",
    "improvement.updated": "Plan changed",
    "improvement.amended": "Locked field amended",
    "improvement.start": "Started: plan locked",
    "improvement.submit": "Submitted for review",
    "improvement.withdraw": "Withdrawn",
    "improvement.reopened": "Reopened for review by new data",
    "improvement.stopped_early": "Stopped before the planned sample size",
    "improvement.deleted": "Draft deleted",
    "improvement.published": "Published on the register",
    "improvement.unpublished": "Taken off the register",
    "review.approved": "Approved",
    "review.rejected": "Rejected",
    "review.changes_requested": "Changes requested",
    "batch.recorded": "Measurements added",
    "batch.confirmed": "Upload confirmed",
    "batch.cancelled": "Upload cancelled",
    "batch.expired": "Upload expired unconfirmed",
    "batch.withdrawn": "Measurements withdrawn",
    "measurement.edited": "Measurement changed",
    "measurement.deleted": "Measurement deleted",
    "chart_note.added": "Note added to the charts",
    "chart_note.deleted": "Note deleted from the charts",
    "cycle.started": "PDSA cycle started",
    "cycle.ended": "PDSA cycle ended: what happened and the act decision recorded",
    "cycle.updated": "PDSA cycle's outcome changed",
    "estimates.recomputed": "Estimates recalculated",
    "department.created": "Department added",
    "department.updated": "Department changed",
    "team.created": "Team added",
    "team.updated": "Team changed",
    "user.created": "Person invited",
    "user.updated": "Person's details changed",
    "user.deactivated": "Account deactivated",
    "user.reactivated": "Account reactivated",
    "user.password_set": "Password set",
    "user.password_changed": "Password changed",
    "user.signed_out_everywhere": "Signed out everywhere",
    "user.signed_in": "Signed in with the organisation's account",
    "user.sign_in_refused": "Organisation sign-in refused",
    "user.invite_link_issued": "Invitation link issued",
    "user.reset_link_issued": "Password reset link issued",
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "notification.sent_again": "Failed email put back to be sent again",
}

# What each kind of record is called.
RECORD_TYPE_WORDS = {
    "improvements": "Improvement",
    "upload_batches": "Upload",
    "measurements": "Measurement",
    "reviews": "Review",
    "amendments": "Amendment",
    "chart_notes": "Chart note",
    "cycles": "PDSA cycle",
    "publications": "Publication",
    "estimates": "Estimate",
    "departments": "Department",
    "teams": "Team",
    "users": "Person",
    "api_tokens": "API token",
    "notifications": "Email",
}


def action_words(action: str) -> str:
    """An action as people read it; one not listed (from an older release) in plain words."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    return action.replace(".", ": ").replace("_", " ").capitalize()


def record_type_words(entity_type: str) -> str:
    return RECORD_TYPE_WORDS.get(entity_type) or entity_type.replace("_", " ").capitalize()


def _day(value: date | datetime) -> str:
    return numbers.govuk_date(value)


def when(moment: datetime) -> str:
    """An event's time as GOV.UK writes one, in UTC (pages say so once): "3 December 2026 at
    14:05"."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return numbers.govuk_datetime(moment)


def record_names(events: Iterable[AuditEvent]) -> dict[tuple[str, int | None], str]:
    """What each event's record is called: an improvement by its title, an upload as "Upload
    of 12 rows on 3 December 2026", a measurement by its date, a person or team by name; a
    record since deleted by its type; records about an improvement say which."""
    events = list(events)
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.entity_id is not None:
            wanted.setdefault(event.entity_type, set()).add(event.entity_id)
        if event.improvement_id is not None:
            wanted.setdefault("improvements", set()).add(event.improvement_id)

    def load(model, entity_type: str) -> dict[int, Any]:
        ids = wanted.get(entity_type)
        if not ids:
            return {}
        return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}

    improvements = load(Improvement, "improvements")
    batches = load(UploadBatch, "upload_batches")
    measurements = load(Measurement, "measurements")
    named = {
        **{("departments", k): v.name for k, v in load(Department, "departments").items()},
        **{("teams", k): v.name for k, v in load(Team, "teams").items()},
        **{("users", k): v.name for k, v in load(User, "users").items()},
        **{
            ("api_tokens", k): f"API token “{v.name}”"
            for k, v in load(ApiToken, "api_tokens").items()
        },
        **{("chart_notes", k): v.described for k, v in load(ChartNote, "chart_notes").items()},
        **{("cycles", k): v.described for k, v in load(Cycle, "cycles").items()},
    }
    names: dict[tuple[str, int | None], str] = {}
    for event in events:
        key = (event.entity_type, event.entity_id)
        kind = record_type_words(event.entity_type)
        about = improvements.get(event.improvement_id)
        if event.entity_id is None:
            name = f"{kind}s, all of them"
        elif event.entity_type == "improvements":
            name = about.title if about else kind
        elif event.entity_type == "upload_batches" and event.entity_id in batches:
            name = batches[event.entity_id].described
        elif event.entity_type == "measurements" and event.entity_id in measurements:
            described = measurements[event.entity_id].described
            name = described[:1].upper() + described[1:]
        else:
            name = named.get(key, kind)
        if about is not None and event.entity_type != "improvements":
            name = f"{name}, for “{about.title}”"
        names[key] = name
    return names


@dataclass(frozen=True)
class AuditFilters:
    department_id: int | None = None
    actor: int | str | None = None  # a user id, SYSTEM_ACTOR, or any
    entity_type: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive

    def describe(self, names: dict[str, str]) -> list[tuple[str, str]]:
        """The filters in words (for the top of the export); `names` labels the ids."""
        rows = [
            ("Department", names.get("department", "Any")),
            ("Actor", names.get("actor", "Anyone")),
            ("Record type", record_type_words(self.entity_type) if self.entity_type else "Any"),
            ("Action", action_words(self.action) if self.action else "Any"),
            ("From", _day(self.date_from) if self.date_from else "The beginning"),
            ("To", _day(self.date_to) if self.date_to else "Today"),
        ]
        return rows


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def filtered(stmt: Select, filters: AuditFilters) -> Select:
    """Narrow a SELECT over AuditEvent by the filters (dates are whole UTC days)."""
    if filters.department_id is not None:
        stmt = stmt.where(AuditEvent.department_id == filters.department_id)
    if filters.actor == SYSTEM_ACTOR:
        stmt = stmt.where(AuditEvent.actor_id.is_(None))
    elif isinstance(filters.actor, int):
        stmt = stmt.where(AuditEvent.actor_id == filters.actor)
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= _start_of(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.occurred_at < _start_of(filters.date_to + timedelta(days=1)))
    return stmt


def _newest_first(stmt: Select) -> Select:
    return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).options(
        selectinload(AuditEvent.actor)
    )


def page_of(stmt: Select, page: int, page_size: int = PAGE_SIZE) -> Pagination:
    """One page of events, newest first; a page past the end shows the last one."""
    return paginate(_newest_first(stmt), page, page_size)


def all_of(stmt: Select, limit: int = EXPORT_LIMIT) -> list[AuditEvent]:
    return list(db.session.scalars(_newest_first(stmt).limit(limit)))


def choices(stmt: Select) -> dict[str, list[Any]]:
    """The values the filters offer: the actions, record types and actors in the trail."""
    events = stmt.subquery()
    actions = db.session.scalars(select(events.c.action).distinct().order_by(events.c.action))
    types = db.session.scalars(
        select(events.c.entity_type).distinct().order_by(events.c.entity_type)
    )
    actor_ids = select(events.c.actor_id).where(events.c.actor_id.is_not(None)).distinct()
    actors = db.session.scalars(select(User).where(User.id.in_(actor_ids)).order_by(User.name))
    return {"actions": list(actions), "entity_types": list(types), "actors": list(actors)}


def words_for(events: Sequence[AuditEvent]) -> dict[str, Any]:
    """What `audit/partials/events.html` needs to show these events in words: the names of
    the ids in their values and of their records, and the functions wording their changes,
    actions and times."""
    return {
        "names": reference_names(events),
        "field_changes": field_changes,
        "record_names": record_names(events),
        "action_words": action_words,
        "when": when,
    }


# -- readable changes -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str | None  # None: the field had no "before" (a creation)
    after: str | None  # None: no "after" (a deletion)


def field_label(field: str) -> str:
    """A field as the forms label it: "implementation_cost_pence" as "Implementation cost"."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    words = re.sub(r"_(pence|gbp)$", "", field)
    return words.replace("_", " ").capitalize()


def reference_names(events: Iterable[AuditEvent]) -> dict[tuple[str, Any], str]:
    """Names for the team and department ids that appear in these events' values."""
    wanted: dict[str, set[int]] = {field: set() for field in REFERENCE_FIELDS}
    for event in events:
        for values in (_fields(event.before), _fields(event.after)):
            for field in REFERENCE_FIELDS:
                if type(values.get(field)) is int:  # not bool, which is an int to Python
                    wanted[field].add(values[field])
    names: dict[tuple[str, Any], str] = {}
    for field, model in REFERENCE_FIELDS.items():
        if wanted[field]:
            for record in db.session.scalars(select(model).where(model.id.in_(wanted[field]))):
                names[(field, record.id)] = record.name
    return names


def _enum_label(entity_type: str, field: str, value: Any) -> str | None:
    enum = STATUS_BY_RECORD.get(entity_type) if field == "status" else ENUM_FIELDS.get(field)
    if enum is None or not isinstance(value, str):
        return None
    try:
        return enum(value).label
    except ValueError:  # a value from an older vocabulary: show it as stored
        return None


def _fields(values: Any) -> dict[str, Any]:
    """An event's before or after as fields. Events are written with a dict, but the JSON
    column holds any shape: anything else is shown as one field rather than breaking a page."""
    if values is None:
        return {}
    if isinstance(values, dict):
        return values
    return {"value": values}


def _plain(value: Any, nested: bool = False) -> str:
    """Any JSON value in words: `key: value, …` for objects, `a, b` for arrays; a nested one
    in brackets so its edges show (`columns: (date: Date, value: Value)`)."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list) and not value:
        return "(empty)"
    if isinstance(value, dict):
        text = ", ".join(f"{key}: {_plain(item, nested=True)}" for key, item in value.items())
        return f"({text})" if nested else text
    if isinstance(value, list):
        text = ", ".join(_plain(item, nested=True) for item in value)
        return f"[{text}]" if nested else text
    if type(value) in (int, float):
        return numbers.exact(value)
    return str(value)


def _money_or_date(field: str, value: Any) -> str | None:
    """A stored amount, fraction or date as the forms show it: pence as "£22,000.00", a £
    rate as "£0.45", a fraction as "80%", an ISO date as "3 March 2026"."""
    number = type(value) in (int, float) or (isinstance(value, str) and _DECIMAL.fullmatch(value))
    if field.endswith("_pence") and type(value) is int:
        return _pounds(Decimal(value) / 100)
    if field.endswith("_gbp") and number:
        return _pounds(Decimal(str(value)))
    if field in PERCENT_FIELDS and number:
        return numbers.exact_percent(Decimal(str(value)))
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return _day(date.fromisoformat(value))
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:  # text that only starts like a date: shown as written
            return None
    return None


def _pounds(amount: Decimal) -> str:
    """£22,000.00; a rate with the places it has, up to its 4 (£0.0075)."""
    return numbers.gbp_rate(amount)


_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(entity_type: str, field: str, value: Any, names: dict[tuple[str, Any], str]) -> str:
    if isinstance(value, dict | list):  # before the look-ups below: neither can be a key
        return _plain(value)
    if type(value) is int and (field, value) in names:
        return names[(field, value)]
    shown = _money_or_date(field, value)
    if shown is not None:
        return shown
    label = _enum_label(entity_type, field, value)
    if label is not None:
        return label
    if field == "id" or field.endswith(("_id", "year")):  # a reference, not an amount
        return str(value)
    return _plain(value)


def field_changes(event: AuditEvent, names: dict[tuple[str, Any], str]) -> list[FieldChange]:
    """The event's before/after as one row per field, in the order the fields were written."""
    before, after = _fields(event.before), _fields(event.after)
    fields = list(dict.fromkeys([*before, *after]))
    return [
        FieldChange(
            field=field,
            label=field_label(field),
            before=_text(event.entity_type, field, before[field], names)
            if field in before
            else None,
            after=_text(event.entity_type, field, after[field], names) if field in after else None,
        )
        for field in fields
    ]


def changes_in_words(changes: Sequence[FieldChange]) -> str:
    """`Role: member → manager; Team: …` for a single spreadsheet cell."""
    parts = []
    for change in changes:
        if change.before is None:
            parts.append(f"{change.label}: {change.after}")
        elif change.after is None:
            parts.append(f"{change.label}: was {change.before}")
        else:
            parts.append(f"{change.label}: {change.before} → {change.after}")
    return "; ".join(parts)


EXPORT_COLUMNS = (
    Column("When (UTC)"),
    Column("Actor"),
    Column("Actor email"),
    Column("Department id", "number"),
    Column("Record type"),
    Column("Record id", "number"),
    Column("Improvement id", "number"),
    Column("Action"),
    Column("Changes"),
    Column("Before (JSON)"),
    Column("After (JSON)"),
    Column("Note"),
)


def events_table(events: Sequence[AuditEvent]) -> Table:
    """The events as an export table: one row each, changes in words and as raw JSON."""
    names = reference_names(events)

    def raw(values: dict | None) -> str:
        return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""

    rows = [
        [
            event.occurred_at.astimezone(UTC).isoformat(timespec="seconds"),
            event.actor.name if event.actor else "System",
            event.actor.email if event.actor else "",
            event.department_id,
            record_type_words(event.entity_type),
            event.entity_id,
            event.improvement_id,
            action_words(event.action),
            changes_in_words(field_changes(event, names)),
            raw(event.before),
            raw(event.after),
            event.note or "",
        ]
        for event in events
    ]
    return Table(name="audit-trail", title="Gains audit trail", columns=EXPORT_COLUMNS, rows=rows)
