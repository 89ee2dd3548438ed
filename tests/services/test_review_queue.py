"""The review queue and the review page's figures, pinned to values computed here by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from gains.models import (
    BatchSource,
    Decision,
    Department,
    Improvement,
    Status,
    Team,
)
from gains.models.base import utcnow
from gains.services.estimates.current import current_estimate
from gains.services.improvements import plan_changes
from gains.services.measurements.recording import record_batch
from gains.services.review.decisions import decide, family_member
from gains.services.review.queue import (
    QueueFilters,
    may_see_queue,
    review_queue,
    since_approval,
)
from gains.stats.money import financial_year_start
from tests.support.demo_records import SAVE_AND_RETURN
from tests.support.factories import late_rows, person, submitted_by
from tests.support.review_oracles import bh_by_hand, family_p_values

# The demo's "today": inside financial year 2026-27, which began on 1 April 2026.
DEMO_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def titled(session, title: str) -> Improvement:
    return session.scalars(select(Improvement).where(Improvement.title == title)).one()


def wkp_submitted(session) -> set[int]:
    return set(
        session.scalars(
            select(Improvement.id)
            .join(Department, Department.id == Improvement.department_id)
            .where(Department.code == "WKP", Improvement.status == Status.SUBMITTED)
        )
    )


def test_only_managers_and_admins_have_a_queue(session):
    assert may_see_queue(person(session, "manager"))
    assert may_see_queue(person(session, "admin"))
    assert not may_see_queue(person(session, "member"))
    assert not may_see_queue(person(session, "treasury"))


def test_manager_queue_is_their_department_without_their_own(session):
    manager = person(session, "manager")
    own = submitted_by(session, manager, "Manager's own change")
    queue = review_queue(manager, now=DEMO_NOW)
    listed = {row.improvement.id for row in queue.rows}
    assert listed == wkp_submitted(session) - {own.id}
    assert len(listed) == 3  # the demo's three WKP submissions by members
    assert [row.improvement.id for row in queue.own] == [own.id]
    assert queue.total == 3


def test_admin_queue_covers_every_department(session):
    queue = review_queue(person(session, "admin"), now=DEMO_NOW)
    submitted = session.scalars(
        select(Improvement).where(Improvement.status == Status.SUBMITTED)
    ).all()
    assert {row.improvement.id for row in queue.rows} == {i.id for i in submitted}
    assert len({row.improvement.department_id for row in queue.rows}) == 4


def test_adjusted_p_is_benjamini_hochberg_over_the_department_family(session):
    queue = review_queue(person(session, "manager"), now=DEMO_NOW)
    raw = family_p_values(session, "WKP", DEMO_NOW.date())
    # Three waiting plus "Phone first, letter second", sent back this financial year.
    assert len(raw) == 4
    expected = bh_by_hand(raw)
    for row in queue.rows:
        assert row.family.family_size == 4
        assert row.family.p_value == raw[row.improvement.id]
        assert row.family.adjusted_p == pytest.approx(expected[row.improvement.id], rel=1e-12)
    # Pinned by the formula: "Shared templates" has the second smallest p, so p · 4 / 2.
    templates = next(r for r in queue.rows if r.improvement.title.startswith("Shared templates"))
    assert templates.family.adjusted_p == pytest.approx(raw[templates.improvement.id] * 2)


def test_annual_saving_is_gain_over_scale_times_volume_times_rate(session):
    queue = review_queue(person(session, "manager"), now=DEMO_NOW)
    for row in queue.rows:
        improvement, result = row.improvement, row.result
        factor = (
            improvement.annual_volume * float(improvement.value_per_unit_gbp) / improvement.scale
        )
        assert row.saving.annual_saving_pence == pytest.approx(result["gain"] * factor * 100, abs=1)
        assert row.saving.se_pence == pytest.approx(result["se"] * factor * 100, abs=1)
        assert row.saving.ci_low_pence == pytest.approx(result["gain_ci_low"] * factor * 100, abs=1)
    # Pinned by hand for one: "Save and return": £0.45 a minute, 410,000 renewals a year.
    save_and_return = next(r for r in queue.rows if r.improvement.title.startswith("Save and"))
    by_hand = Decimal(save_and_return.result["gain"]) * 410_000 * Decimal("0.45") * 100
    assert abs(save_and_return.saving.annual_saving_pence - by_hand) <= 1


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("p", lambda row: row.family.adjusted_p, False),
        ("saving", lambda row: row.saving.annual_saving_pence, True),
        ("title", lambda row: row.improvement.title.casefold(), False),
        ("waiting", lambda row: row.days_waiting, True),
    ],
)
def test_queue_sorts(session, sort, key, descending):
    queue = review_queue(person(session, "admin"), QueueFilters(sort=sort), now=DEMO_NOW)
    values = [key(row) for row in queue.rows]
    assert len(values) > 3
    assert values == sorted(values, reverse=descending)


def test_queue_filters_by_team_method_and_warnings(session):
    manager = person(session, "manager")
    casework = session.scalars(
        select(Team).where(Team.name == "Casework", Team.department_id == manager.department_id)
    ).one()
    by_team = review_queue(manager, QueueFilters(team_id=casework.id), now=DEMO_NOW)
    assert [row.improvement.title for row in by_team.rows] == [
        "Shared templates for common decisions"
    ]
    by_method = review_queue(manager, QueueFilters(method="welch"), now=DEMO_NOW)
    assert [row.improvement.title for row in by_method.rows] == [
        "Save and return on the renewal form"
    ]
    everything = review_queue(manager, now=DEMO_NOW).rows
    with_warnings = review_queue(manager, QueueFilters(warnings="yes"), now=DEMO_NOW).rows
    without = review_queue(manager, QueueFilters(warnings="no"), now=DEMO_NOW).rows
    assert all(row.warnings for row in with_warnings)
    assert not any(row.warnings for row in without)
    assert len(with_warnings) + len(without) == len(everything)


def test_approval_stores_the_hand_computed_adjusted_p(session):
    manager = person(session, "manager")
    improvement = titled(session, "Save and return on the renewal form")
    family_day = improvement.submitted_at.date()  # the family is its submission's year's
    expected = bh_by_hand(family_p_values(session, "WKP", family_day))[improvement.id]
    review = decide(manager, improvement, Decision.APPROVED, "")
    assert review.bh_adjusted_p == pytest.approx(expected, rel=1e-12)
    assert review.snapshot["bh_adjusted_p"] == review.bh_adjusted_p
    assert review.snapshot["bh_family"]["size"] == len(family_p_values(session, "WKP", family_day))
    assert review.snapshot["data_version"] == improvement.data_version
    assert improvement.status is Status.APPROVED


def test_since_approval_shows_what_changed(session):
    manager, member = person(session, "manager"), person(session, "member")
    improvement = titled(session, "Save and return on the renewal form")
    assert since_approval(improvement) is None  # never approved
    review = decide(manager, improvement, Decision.APPROVED, "")
    session.flush()
    approved_version = improvement.data_version
    unchanged = since_approval(improvement)
    assert not unchanged.changed and unchanged.rows_added == 0

    record_batch(member, improvement, late_rows(5), source=BatchSource.API)
    plan_changes.amend(member, improvement, "annual_volume", 420_000, "Volumes re-counted for 2026")
    session.flush()
    assert improvement.status is Status.SUBMITTED  # reopened

    since = since_approval(improvement)
    assert since.changed
    assert since.approval.id == review.id
    assert since.data_version_then == approved_version
    assert since.data_version_now == approved_version + 2  # the batch and the amendment
    assert (since.rows_added, since.batches_added) == (5, 1)
    assert (since.rows_withdrawn, since.batches_withdrawn) == (0, 0)
    assert [a.field_name for a in since.amendments] == ["annual_volume"]
    assert since.approved.gain == review.snapshot["estimate"]["gain"]
    assert since.approved.saving_pence == review.snapshot["annual_saving"]["annual_saving_pence"]
    current = current_estimate(improvement).result
    assert since.current.gain == current["gain"]
    assert since.current.saving_pence == pytest.approx(
        current["gain"] * 420_000 * 0.45 * 100, abs=1
    )


def test_adjusted_p_is_recomputed_as_the_year_family_grows_and_the_approval_keeps_what_was_seen(
    session,
):
    manager, member = person(session, "manager"), person(session, "member")
    templates = titled(session, "Shared templates for common decisions")
    # Submitted now, so the family is this year's, whenever the test runs.
    templates.submitted_at = utcnow()
    seen = family_member(templates)
    assert not seen.final and seen.year_start == financial_year_start(utcnow().date())
    review = decide(manager, templates, Decision.APPROVED, "")
    later = submitted_by(session, member, "A later submission of the same year")
    now = family_member(templates)
    assert now.family_size == seen.family_size + 1
    expected = bh_by_hand(family_p_values(session, "WKP", utcnow().date()))
    assert later.id in expected and now.adjusted_p == pytest.approx(expected[templates.id])
    assert now.adjusted_p != pytest.approx(seen.adjusted_p)  # recomputed, not frozen
    assert review.bh_adjusted_p == seen.adjusted_p  # the history: what the reviewer saw
    assert review.snapshot["bh_family"] == {
        "financial_year": seen.financial_year,
        "size": seen.family_size,
        "final": False,
    }


def test_a_closed_years_family_is_final_and_apart_from_this_years(session):
    templates = titled(session, "Shared templates for common decisions")
    templates.submitted_at = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)  # in 2025-26
    session.flush()
    member = family_member(templates, today=DEMO_NOW.date())
    assert member.final and member.financial_year == "2025-26"
    assert member.year_end == date(2026, 3, 31)
    last_year = family_p_values(session, "WKP", date(2025, 9, 1))
    assert member.family_size == len(last_year) and templates.id in last_year
    this_year = review_queue(person(session, "manager"), now=DEMO_NOW)
    others = [row.family for row in this_year.rows if row.improvement.id != templates.id]
    assert others and all(not f.final and f.financial_year == "2026-27" for f in others)
    assert all(
        f.family_size == len(family_p_values(session, "WKP", DEMO_NOW.date())) for f in others
    )
    # On 1 April the year closes: the same family, final.
    after_close = family_member(titled(session, SAVE_AND_RETURN), today=date(2027, 4, 1))
    assert after_close.final and after_close.financial_year == "2026-27"
