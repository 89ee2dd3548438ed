"""Writing the audit trail, in the same transaction as the change it records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from gains.extensions import db
from gains.models import AuditEvent


def jsonable(value: Any) -> Any:
    """Make a field value safe for a JSON column, keeping money exact as a string."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(record: Any, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {name: jsonable(getattr(record, name)) for name in fields}


def improvement_id_of(entity: Any) -> int | None:
    """The improvement a record belongs to, if any (for the improvement's audit page)."""
    if type(entity).__tablename__ == "improvements":
        return entity.id
    return getattr(entity, "improvement_id", None)


def record_event(
    actor: Any,
    action: str,
    entity: Any,
    *,
    department_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    db.session.flush()  # the entity needs its id
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        department_id=department_id,
        entity_type=type(entity).__tablename__,
        entity_id=entity.id,
        improvement_id=improvement_id_of(entity),
        action=action,
        before=before,
        after=after,
        note=note,
    )
    db.session.add(event)
    return event


def record_changes(
    actor: Any,
    action: str,
    entity: Any,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    department_id: int | None = None,
) -> AuditEvent | None:
    """Audit only the fields whose values differ between two snapshots; nothing at all when
    none does (a form saved unchanged writes no event)."""
    changed = [field for field in before if before[field] != after[field]]
    if not changed:
        return None
    return record_event(
        actor,
        action,
        entity,
        department_id=department_id,
        before={field: before[field] for field in changed},
        after={field: after[field] for field in changed},
    )


def record_bulk_event(
    actor: Any, action: str, entity_type: str, *, after: dict[str, Any]
) -> AuditEvent:
    """Add an event about many records of a type at once (no one record, no department),
    such as every estimate recomputed; the caller's commit writes it with the change."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), entity_type=entity_type, action=action, after=after
    )
    db.session.add(event)
    return event
