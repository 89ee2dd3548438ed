"""Publishing on the public register: who may, when, the audit trail, and the one rule that
keeps everything not both approved and published off the register."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from gains.demo.catalogue import PUBLIC_SUMMARIES
from gains.models import (
    AuditEvent,
    BatchSource,
    Decision,
    Design,
    Improvement,
    ImprovementKind,
    Pillar,
    Publication,
    Review,
    Role,
    Status,
    Team,
    User,
)
from gains.services.improvements import plan_changes, workflow
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.measurements.recording import record_batch
from gains.services.public.publication import (
    SUMMARY_MAX_CHARS,
    PublicationState,
    is_public,
    publication_state,
    publish,
    register_last_modified,
    unpublish,
)
from gains.services.public.register import (
    MIN_UNITS,
    RegisterFilters,
    headline,
    public_entry,
    register_entries,
    smallest_cell,
)
from gains.services.review.decisions import decide
from tests.support.factories import person

REOPENED = "Wrap-up codes reduced from 40 to 12"  # published, then new data reopened it
PUBLISHED = set(PUBLIC_SUMMARIES) - {REOPENED}
APPROVED_UNPUBLISHED = "Text before a fine is escalated"  # Revenue and Customs
PUBLISHED_WKP = "Pre-fill known fields on the renewal form"  # Work and Pensions


def titled(session, title: str) -> Improvement:
    return session.scalars(select(Improvement).where(Improvement.title == title)).one()


def events(session, improvement: Improvement, action: str) -> list[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "improvements",
            AuditEvent.entity_id == improvement.id,
            AuditEvent.action == action,
        )
        .order_by(AuditEvent.id)
    ).all()


def public_titles(filters: RegisterFilters | None = None) -> set[str]:
    return {entry.title for entry in register_entries(filters)}


def test_the_demo_register_is_exactly_the_published_approved_items(session):
    assert public_titles() == PUBLISHED
    reopened = titled(session, REOPENED)
    assert reopened.status is Status.SUBMITTED
    assert publication_state(reopened)[0] is PublicationState.OFF_REGISTER
    for improvement in session.scalars(select(Improvement)):
        assert is_public(improvement) == (improvement.title in PUBLISHED), improvement.title


def test_a_manager_publishes_an_approved_improvement_with_one_audit_event(session):
    improvement = titled(session, APPROVED_UNPUBLISHED)
    manager = person(session, "manager.rev@example.org")
    assert publication_state(improvement) == (PublicationState.NOT_PUBLISHED, None)

    publication = publish(manager, improvement, "  A text before escalation.\n\n Fines paid. ")
    session.flush()

    assert publication.summary == "A text before escalation.\n\nFines paid."
    assert publication.review_id == improvement.reviews[-1].id
    assert is_public(improvement)
    [event] = events(session, improvement, "improvement.published")
    assert event.actor_id == manager.id and event.department_id == improvement.department_id
    assert event.before is None
    assert event.after["summary"] == publication.summary
    assert event.after["review_id"] == publication.review_id
    assert event.after["unpublished_at"] is None


@pytest.mark.parametrize(
    "who",
    ["member", "debt@example.org", "manager", "treasury", "admin"],
    ids=["member of another team", "member of its team", "manager elsewhere", "treasury", "admin"],
)
def test_only_the_departments_managers_may_publish(session, who):
    improvement = titled(session, APPROVED_UNPUBLISHED)
    with pytest.raises(PermissionDenied):
        publish(person(session, who), improvement, "A summary.")
    assert events(session, improvement, "improvement.published") == []
    assert not is_public(improvement)
    assert session.scalar(select(func.count()).select_from(Publication)) == len(PUBLIC_SUMMARIES)


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.RUNNING, Status.SUBMITTED, Status.REJECTED, Status.WITHDRAWN]
)
def test_nothing_but_an_approved_improvement_can_be_published(session, status):
    improvement = session.scalars(select(Improvement).where(Improvement.status == status)).first()
    manager = session.scalars(
        select(User)
        .join(Team, Team.id == User.team_id)
        .where(User.role == Role.MANAGER, Team.department_id == improvement.department_id)
    ).first()
    already = events(session, improvement, "improvement.published")  # the reopened one has one
    with pytest.raises(WorkflowError, match="Only an approved improvement"):
        publish(manager, improvement, "A summary.")
    assert events(session, improvement, "improvement.published") == already
    assert not is_public(improvement)


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ("", "Write a short summary"),
        ("   \n ", "Write a short summary"),
        ("x" * (SUMMARY_MAX_CHARS + 1), "characters or fewer"),
    ],
)
def test_a_summary_is_required_and_short(session, summary, message):
    improvement = titled(session, APPROVED_UNPUBLISHED)
    with pytest.raises(WorkflowError, match=message):
        publish(person(session, "manager.rev@example.org"), improvement, summary)
    assert events(session, improvement, "improvement.published") == []


def test_publishing_the_same_summary_twice_is_refused_and_a_new_one_updates(session):
    improvement = titled(session, PUBLISHED_WKP)
    manager = person(session, "manager")
    current = improvement_publication(session, improvement)
    published_at = current.published_at
    with pytest.raises(WorkflowError, match="already published"):
        publish(manager, improvement, current.summary)
    publish(manager, improvement, "A better summary.")
    session.flush()
    assert current.summary == "A better summary." and current.published_at == published_at
    [event] = events(session, improvement, "improvement.published")[-1:]
    assert event.before["summary"] != event.after["summary"] == "A better summary."


def improvement_publication(session, improvement) -> Publication:
    return session.scalars(
        select(Publication).where(Publication.improvement_id == improvement.id)
    ).one()


def test_unpublishing_takes_it_off_with_one_audit_event_and_may_be_undone(session):
    improvement = titled(session, PUBLISHED_WKP)
    manager = person(session, "manager")
    unpublish(manager, improvement, "Figures under query")
    session.flush()
    assert not is_public(improvement) and PUBLISHED_WKP not in public_titles()
    assert publication_state(improvement)[0] is PublicationState.TAKEN_DOWN
    [event] = events(session, improvement, "improvement.unpublished")
    assert event.note == "Figures under query"
    assert event.before["unpublished_at"] is None and event.after["unpublished_at"] is not None
    with pytest.raises(WorkflowError, match="not published"):
        unpublish(manager, improvement)
    assert len(events(session, improvement, "improvement.unpublished")) == 1

    publish(manager, improvement, "Back again.")
    assert is_public(improvement)


def test_a_manager_elsewhere_cannot_unpublish(session):
    improvement = titled(session, PUBLISHED_WKP)
    with pytest.raises(PermissionDenied):
        unpublish(person(session, "manager.rev@example.org"), improvement)
    assert is_public(improvement)
    assert events(session, improvement, "improvement.unpublished") == []


def test_withdrawing_a_published_improvement_takes_it_off_the_register(session):
    improvement = titled(session, PUBLISHED_WKP)
    workflow.withdraw(person(session, "member"), improvement, "Superseded")
    session.flush()
    assert not is_public(improvement)
    assert PUBLISHED_WKP not in public_titles()
    assert public_entry(improvement.id) is None
    assert publication_state(improvement)[0] is PublicationState.OFF_REGISTER
    with pytest.raises(WorkflowError, match="Only an approved improvement"):
        publish(person(session, "manager"), improvement, "Again.")


def test_new_data_reopens_it_and_a_reapproval_needs_publishing_again(session):
    improvement = titled(session, PUBLISHED_WKP)
    member, manager = person(session, "member"), person(session, "manager")
    record_batch(
        member,
        improvement,
        [
            {"phase": "after", "value": 14.0 + i / 10, "observed_on": date(2026, 10, 20)}
            for i in range(6)
        ],
        source=BatchSource.API,
    )
    session.flush()
    assert improvement.status is Status.SUBMITTED
    assert not is_public(improvement)

    decide(manager, improvement, Decision.APPROVED, "")
    session.flush()
    assert improvement.status is Status.APPROVED
    # Approved again, with new figures: the summary was written for the old ones.
    assert not is_public(improvement)
    assert publication_state(improvement)[0] is PublicationState.OFF_REGISTER

    publish(manager, improvement, "Updated with the latest data.")
    session.flush()
    assert is_public(improvement)
    entry = public_entry(improvement.id)
    assert entry.n_after == improvement.reviews[-1].snapshot["estimate"]["n_after"]


def test_an_amendment_after_approval_takes_it_off_the_register(session):
    improvement = titled(session, PUBLISHED_WKP)
    plan_changes.amend(
        person(session, "manager"), improvement, "annual_volume", 300_000, "Volumes were revised"
    )
    session.flush()
    assert improvement.status is Status.SUBMITTED
    assert not is_public(improvement)


def test_filters_search_and_years(session):
    wkp = titled(session, PUBLISHED_WKP)
    assert public_titles(RegisterFilters(department_id=wkp.department_id)) == {
        PUBLISHED_WKP,
        "Standing huddle instead of a weekly meeting",
    }
    assert public_titles(RegisterFilters(text="pre-FILL")) == {PUBLISHED_WKP}
    assert public_titles(RegisterFilters(text="fewer miles")) == {
        "Route planning change for bin collection crews"
    }  # found in the summary
    assert public_titles(RegisterFilters(text="%")) == set()  # no wildcard
    assert public_titles(RegisterFilters(text="fine is escalated")) == set()  # not published
    for pillar in Pillar:
        assert all(e.pillar is pillar for e in register_entries(RegisterFilters(pillar=pillar)))
    by_kind = [public_titles(RegisterFilters(kind=kind)) for kind in ImprovementKind]
    assert set.union(*by_kind) == PUBLISHED and not set.intersection(*by_kind)
    by_design = [public_titles(RegisterFilters(design=design)) for design in Design]
    assert set.union(*by_design) == PUBLISHED
    years = {e.go_live_on.year for e in register_entries()}
    by_year = {year: public_titles(RegisterFilters(year=year)) for year in years}
    assert set.union(*by_year.values()) == PUBLISHED
    for year, titles in by_year.items():
        assert all(titled(session, t).go_live_on.year == year for t in titles)


def test_a_cell_with_fewer_than_five_measurements_suppresses_the_figures(session):
    assert smallest_cell({"n_before": 40, "n_after": 4}) == 4
    assert (
        smallest_cell(
            {
                "n_before": 0,
                "n_after": 30,
                "n_treatment_after": 12,
                "n_control_after": 18,
                "n_treatment_before": 0,
            }
        )
        == 12
    )
    improvement = titled(session, PUBLISHED_WKP)
    review = improvement.reviews[-1]
    estimate = dict(review.snapshot["estimate"], n_after=MIN_UNITS - 1)
    review.snapshot = dict(review.snapshot, estimate=estimate)
    session.flush()
    entry = public_entry(improvement.id)
    assert entry.suppressed
    assert entry.effect is entry.result is entry.saving is None
    totals = headline(date(2026, 11, 1))
    assert totals.suppressed == 1
    assert totals.total.improvements - totals.total.suppressed == len(PUBLISHED) - 1


def test_headline_totals_add_up(session):
    entries = register_entries()
    totals = headline(date(2026, 11, 1), entries)
    assert totals.improvements == len(PUBLISHED)
    assert sum(p.improvements for p in totals.pillars) == len(PUBLISHED)
    assert sum(p.annual.total_pence for p in totals.pillars) == totals.total.annual.total_pence
    assert totals.total.annual.total_pence == sum(
        e.saving.annual_saving_pence for e in entries if e.saving
    )
    assert sum(p.cumulative_pence for p in totals.pillars) == pytest.approx(
        totals.total.cumulative_pence, abs=len(Pillar)
    )


def test_last_modified_follows_publication(session):
    before = register_last_modified()
    improvement = titled(session, APPROVED_UNPUBLISHED)
    publish(person(session, "manager.rev@example.org"), improvement, "Published now.")
    session.flush()
    assert register_last_modified() >= before
    assert (
        register_last_modified()
        == events(session, improvement, "improvement.published")[0].occurred_at
    )


def test_only_the_latest_approval_is_ever_public(session):
    """Belt and braces: every real path to a new approval moves the data version too, so this
    builds the one case the data-version check alone would miss."""
    improvement = titled(session, PUBLISHED_WKP)
    published = improvement.reviews[-1]
    later = Review(
        improvement_id=improvement.id,
        reviewer_id=published.reviewer_id,
        decision=Decision.APPROVED,
        data_version=improvement.data_version,
        decided_at=published.decided_at + timedelta(days=1),
        snapshot=published.snapshot,
    )
    session.add(later)
    session.flush()
    assert not is_public(improvement)
    assert publication_state(improvement)[0] is PublicationState.OFF_REGISTER
