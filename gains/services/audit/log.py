"""Reading the audit trail: filters, pages, readable field changes and the CSV export.

Writing it is `services/audit/events.py`. Callers pass a statement already scoped by
`gains.access.scoped` (admins: every event; the per-improvement page: the events of one
improvement the reader may see).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from gains.exports import Column, Table
from gains.extensions import db
from gains.models import AuditEvent, Department, Team, User
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
}


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
            ("Record type", self.entity_type or "Any"),
            ("Action", self.action or "Any"),
            ("From", self.date_from.isoformat() if self.date_from else "The beginning"),
            ("To", self.date_to.isoformat() if self.date_to else "Today"),
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


# -- readable changes -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str | None  # None: the field had no "before" (a creation)
    after: str | None  # None: no "after" (a deletion)


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


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
    return str(value)


def _text(entity_type: str, field: str, value: Any, names: dict[tuple[str, Any], str]) -> str:
    if isinstance(value, dict | list):  # before the look-ups below: neither can be a key
        return _plain(value)
    if type(value) is int and (field, value) in names:
        return f"{names[(field, value)]} (#{value})"
    label = _enum_label(entity_type, field, value)
    if label is not None:
        return label
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
            event.entity_type,
            event.entity_id,
            event.improvement_id,
            event.action,
            changes_in_words(field_changes(event, names)),
            raw(event.before),
            raw(event.after),
            event.note or "",
        ]
        for event in events
    ]
    return Table(name="audit-trail", title="Gains audit trail", columns=EXPORT_COLUMNS, rows=rows)
