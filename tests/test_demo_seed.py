"""The demo register meets what the foundation issue promises, and is deterministic."""

from sqlalchemy import func, select

from gains.demo.catalogue import IMPROVEMENTS
from gains.demo.seed import simulate
from gains.models import (
    Department,
    Design,
    Improvement,
    ImprovementKind,
    Measurement,
    Pillar,
    Role,
    Status,
    Team,
    User,
)


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_covers_the_domain(session):
    assert count(session, Department) >= 3
    assert count(session, Team) >= 6
    assert count(session, Improvement) >= 40
    assert count(session, Measurement) >= 2_000
    for column, values in (
        (Improvement.kind, ImprovementKind),
        (Improvement.pillar, Pillar),
        (Improvement.design, Design),
        (Improvement.status, Status),
    ):
        present = set(session.scalars(select(column).distinct()))
        assert present == set(values), column
    roles = set(session.scalars(select(User.role).distinct()))
    assert roles == set(Role)


def test_demo_improvements_obey_the_rules(session):
    for improvement in session.scalars(select(Improvement)):
        if improvement.kind is ImprovementKind.NO_EXTRA_COST:
            assert improvement.implementation_cost_pence == 0
        if improvement.status is Status.APPROVED:
            assert improvement.reviews[-1].snapshot is not None
        if improvement.status is Status.DRAFT:
            assert improvement.batches == []


def test_simulation_is_deterministic():
    for entry in IMPROVEMENTS[:8]:
        first = [rows for _, rows in simulate(entry)]
        second = [rows for _, rows in simulate(entry)]
        assert first == second


def test_seeded_rows_match_the_catalogue(session):
    for entry in IMPROVEMENTS:
        improvement = session.scalars(
            select(Improvement).where(Improvement.title == entry.title)
        ).one()
        if entry.status is Status.DRAFT:
            continue
        simulated = sum(len(rows) for _, rows in simulate(entry))
        extra = 10 if entry.reopened else 0
        assert count(session, Measurement, Measurement.improvement_id == improvement.id) == (
            simulated + extra
        )


def test_the_reopened_demo_item_shows_only_its_late_rows(session):
    from gains.services.review.queue import since_approval

    reopened = session.scalars(
        select(Improvement).where(Improvement.title == "Wrap-up codes reduced from 40 to 12")
    ).one()
    since = since_approval(reopened)
    assert (since.rows_added, since.batches_added) == (10, 1)


def test_the_demo_publishes_approved_items_and_one_drops_off_when_reopened(session):
    from gains.demo.catalogue import PUBLIC_SUMMARIES
    from gains.models import Publication
    from gains.services.public.register import register_entries

    published = session.scalars(select(Publication)).all()
    assert {p.improvement.title for p in published} == set(PUBLIC_SUMMARIES)
    assert all(p.summary == PUBLIC_SUMMARIES[p.improvement.title] for p in published)
    on_register = {entry.title for entry in register_entries()}
    assert on_register == set(PUBLIC_SUMMARIES) - {"Wrap-up codes reduced from 40 to 12"}
    assert len(on_register) >= 5


def test_the_demo_runs_one_improvement_in_three_pdsa_cycles(session):
    """Adapt, adapt, adopt, each with its own upload of the after rows (decision 0048)."""
    from gains.demo.catalogue import PDSA_CYCLES
    from gains.models import Cycle, UploadBatch
    from gains.services.estimates.cycles import adopted_cycle, stored_cycle_estimate

    (title,) = PDSA_CYCLES
    improvement = session.scalars(select(Improvement).where(Improvement.title == title)).one()
    cycles = improvement.cycles
    assert [c.act_decision.value for c in cycles] == ["adapt", "adapt", "adopt"]
    assert adopted_cycle(cycles).number == 3 and all(not c.is_open for c in cycles)
    for cycle in cycles:
        batches = session.scalars(select(UploadBatch).where(UploadBatch.cycle_id == cycle.id))
        assert sum(batch.row_count for batch in batches) > 0
        assert stored_cycle_estimate(improvement, cycle).document is not None
    assert session.scalar(select(Cycle.id).where(Cycle.improvement_id != improvement.id)) is None
