"""Publishing approved results on the public register, and the one rule for what is public.

docs/DESIGN.md: managers publish approved results; anonymous visitors see published
results only. A department's manager publishes an approved improvement with a short
plain-English summary, and may take it down again; both are audited.

**The rule** (`on_the_register`), used by every public page, feed and export: an improvement
is public when it is *approved now*, its publication is *not taken down*, the publication is
of its *latest approval*, and its data are *the data that approval saw*. Nothing is written
when an approved improvement changes afterwards: reopened by new data or an amendment
(status submitted), withdrawn, or re-approved with new figures, it simply stops matching, so
no code path elsewhere has to remember to unpublish it. After a re-approval the manager
publishes again, with a summary written for the new figures.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from gains.extensions import db
from gains.models import (
    AuditEvent,
    Decision,
    Department,
    Improvement,
    Publication,
    Review,
    Role,
    Status,
)
from gains.models.base import utcnow
from gains.services.audit.events import jsonable, record_event
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.money.savings import latest_approvals
from gains.services.notifications import outbox

SUMMARY_MAX_CHARS = 600
PUBLICATION_FIELDS = ("review_id", "summary", "published_at", "unpublished_at")


class PublicationState(enum.StrEnum):
    NOT_PUBLISHED = "not_published"
    PUBLIC = "public"  # on the register now
    OFF_REGISTER = "off_register"  # published, but the improvement or its approval changed
    TAKEN_DOWN = "taken_down"  # unpublished by a manager


def _latest_approval_id():
    return (
        select(func.max(Review.id))
        .where(Review.improvement_id == Improvement.id, Review.decision == Decision.APPROVED)
        .correlate(Improvement)
        .scalar_subquery()
    )


def on_the_register() -> Select:
    """SELECT (Improvement, Publication, Review, Department) for everything public now.

    The single rule (see the module's docstring). Callers add filters and ordering; they
    never widen it.
    """
    return (
        select(Improvement, Publication, Review, Department)
        .join(Publication, Publication.improvement_id == Improvement.id)
        .join(Review, Review.id == Publication.review_id)
        .join(Department, Department.id == Improvement.department_id)
        .where(
            Improvement.status == Status.APPROVED,
            Publication.unpublished_at.is_(None),
            Review.decision == Decision.APPROVED,
            Review.id == _latest_approval_id(),
            Review.data_version == Improvement.data_version,
        )
    )


def is_public(improvement: Improvement) -> bool:
    stmt = on_the_register().where(Improvement.id == improvement.id)
    return db.session.execute(stmt).first() is not None


def publication_of(improvement: Improvement) -> Publication | None:
    return db.session.scalars(
        select(Publication).where(Publication.improvement_id == improvement.id)
    ).first()


def publication_state(improvement: Improvement) -> tuple[PublicationState, Publication | None]:
    """Where the improvement stands on the register, for its managers' page."""
    publication = publication_of(improvement)
    if publication is None:
        return PublicationState.NOT_PUBLISHED, None
    if publication.unpublished_at is not None:
        return PublicationState.TAKEN_DOWN, publication
    if is_public(improvement):
        return PublicationState.PUBLIC, publication
    return PublicationState.OFF_REGISTER, publication


class ChangeWarning(enum.StrEnum):
    """What a change to an approved improvement's data or locked plan undoes."""

    REOPENS_REVIEW = "reopens_review"
    REOPENS_AND_UNPUBLISHES = "reopens_and_unpublishes"  # it is on the register now


def change_warning(improvement: Improvement) -> ChangeWarning | None:
    """The warning to show before a measurement, upload or amendment is saved, or None.

    `recording.data_changed` and `plan_changes.amend_fields` send an approved improvement
    back to review (status submitted) and move its data version; the register's rule then
    no longer matches it, so a public one leaves the register until it is approved and
    published again. Other statuses lose nothing, so they get no warning.
    """
    if improvement.status is not Status.APPROVED:
        return None
    if is_public(improvement):
        return ChangeWarning.REOPENS_AND_UNPUBLISHES
    return ChangeWarning.REOPENS_REVIEW


def may_publish(user: Any, improvement: Improvement) -> bool:
    """The department's managers publish its approved results (docs/DESIGN.md "Who uses it")."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role is Role.MANAGER
        and user.department_id == improvement.department_id
    )


def publishable_approval(improvement: Improvement) -> Review | None:
    """The approval a publication would publish now, or None when there is none to publish."""
    if improvement.status is not Status.APPROVED:
        return None
    approval = latest_approvals([improvement.id]).get(improvement.id)
    if approval is None or approval.data_version != improvement.data_version:
        return None
    return approval


def clean_summary(summary: str | None) -> str:
    """The summary with its whitespace tidied, or WorkflowError saying what is wrong."""
    text = "\n\n".join(
        " ".join(paragraph.split())
        for paragraph in (summary or "").replace("\r\n", "\n").split("\n\n")
        if paragraph.strip()
    )
    if not text:
        raise WorkflowError("Write a short summary for the public")
    if len(text) > SUMMARY_MAX_CHARS:
        raise WorkflowError(f"The summary must be {SUMMARY_MAX_CHARS} characters or fewer")
    return text


def _state(publication: Publication | None) -> dict[str, Any] | None:
    if publication is None:
        return None
    return {name: jsonable(getattr(publication, name)) for name in PUBLICATION_FIELDS}


def publish(actor: Any, improvement: Improvement, summary: str) -> Publication:
    """Put the improvement's latest approval on the public register with `summary`.

    Publishing again (a new summary, or after a re-approval) updates the one entry; its
    publication date moves only when the approval it publishes changes or it comes back
    after being taken down.
    """
    if not may_publish(actor, improvement):
        raise PermissionDenied("Only a manager of this department can publish its results")
    text = clean_summary(summary)
    approval = publishable_approval(improvement)
    if approval is None:
        raise WorkflowError("Only an approved improvement can be published")
    publication = publication_of(improvement)
    before = _state(publication)
    if publication is None:
        publication = Publication(improvement_id=improvement.id)
        db.session.add(publication)
    elif (
        publication.unpublished_at is None
        and publication.review_id == approval.id
        and publication.summary == text
    ):
        raise WorkflowError("It is already published with this summary")
    fresh = (
        before is None
        or publication.unpublished_at is not None
        or publication.review_id != approval.id
    )
    publication.review_id = approval.id
    publication.summary = text
    publication.published_by_id = actor.id
    publication.unpublished_at = None
    publication.unpublished_by_id = None
    if fresh:
        publication.published_at = utcnow()
    db.session.flush()
    event = record_event(
        actor,
        "improvement.published",
        improvement,
        department_id=improvement.department_id,
        before=before,
        after=_state(publication),
    )
    if fresh:  # a corrected summary is not news to the team
        outbox.published(event, improvement)
    return publication


def unpublish(actor: Any, improvement: Improvement, reason: str | None = None) -> Publication:
    """Take the improvement off the public register (kept, and audited with the reason)."""
    if not may_publish(actor, improvement):
        raise PermissionDenied("Only a manager of this department can unpublish its results")
    publication = publication_of(improvement)
    if publication is None or publication.unpublished_at is not None:
        raise WorkflowError("It is not published")
    before = _state(publication)
    publication.unpublished_at = utcnow()
    publication.unpublished_by_id = actor.id
    record_event(
        actor,
        "improvement.unpublished",
        improvement,
        department_id=improvement.department_id,
        before=before,
        after=_state(publication),
        note=(reason or "").strip() or None,
    )
    return publication


def register_last_modified() -> datetime | None:
    """When anything the register shows last changed, for `Last-Modified`.

    Everything public comes from improvements that have been published (their fields,
    status, approvals and publication are all audited on the improvement) and from
    department names; the latest audit event among those bounds it. It may move for a change
    that shows nowhere (harmless: a client fetches once more), never stay put for one that
    does.
    """
    ever_published = select(Publication.improvement_id)
    return db.session.scalar(
        select(func.max(AuditEvent.occurred_at)).where(
            or_(
                and_(
                    AuditEvent.entity_type == Improvement.__tablename__,
                    AuditEvent.entity_id.in_(ever_published),
                ),
                AuditEvent.entity_type == Department.__tablename__,
            )
        )
    )
