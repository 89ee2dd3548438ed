"""Per-cell summaries from SQL GROUP BY, checked against numpy on the same rows."""

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from gains.models import (
    BatchSource,
    BatchStatus,
    Improvement,
    Measurement,
    Phase,
    Status,
    StudyGroup,
    UploadBatch,
    measurement_cells,
)
from gains.services.estimates.summaries import cell_summaries, measurement_counts
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch, withdraw_batch
from tests.support.factories import person, plan


def raw_cells(session, improvement_id):
    rows = session.execute(
        select(Measurement.phase, Measurement.group, Measurement.value)
        .join(UploadBatch)
        .where(
            Measurement.improvement_id == improvement_id, UploadBatch.status == BatchStatus.ACTIVE
        )
    ).all()
    cells = {}
    for phase, group, value in rows:
        cells.setdefault((phase, group), []).append(value)
    return {key: np.array(values) for key, values in cells.items()}


def test_summaries_match_numpy_for_every_demo_improvement(session):
    ids = session.scalars(select(Improvement.id)).all()
    summaries = cell_summaries(ids)
    assert summaries
    by_improvement = {}
    for cell in summaries:
        by_improvement.setdefault(cell.improvement_id, {})[(cell.phase, cell.group)] = cell
    for improvement_id, cells in by_improvement.items():
        expected = raw_cells(session, improvement_id)
        assert set(cells) == set(expected)
        for key, values in expected.items():
            assert cells[key].n == len(values)
            assert cells[key].mean == pytest.approx(values.mean(), rel=1e-12)
            assert cells[key].variance == pytest.approx(values.var(ddof=1), rel=1e-9)


def test_two_pass_variance_keeps_its_digits_when_the_mean_is_huge(session):
    """Σx² − n·x̄² in doubles would lose every digit here; two passes do not."""
    # A running improvement with no control-group rows yet, so the cell holds only these.
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="Huge means"))
    workflow.start(member, improvement)
    manager = member
    values = [1e9 + offset for offset in (0.1, 0.2, 0.3, 0.4, 0.5)]
    record_batch(
        manager,
        improvement,
        [{"phase": "before", "group": "control", "value": v} for v in values],
        source=BatchSource.FORM,
    )
    session.flush()
    cell = next(
        c
        for c in cell_summaries([improvement.id])
        if (c.phase, c.group) == (Phase.BEFORE, StudyGroup.CONTROL)
    )
    assert cell.n == 5
    assert cell.variance == pytest.approx(0.025, rel=1e-6)


def test_withdrawn_batches_do_not_count(session):
    improvement = session.scalars(
        select(Improvement).where(Improvement.status == Status.RUNNING)
    ).first()
    before = measurement_counts([improvement.id])[improvement.id]
    batch = improvement.batches[0]
    withdraw_batch(improvement.created_by, batch, "Entered against the wrong service")
    session.flush()
    after = measurement_counts([improvement.id])[improvement.id]
    removed = batch.row_count
    assert sum(before.values()) - sum(after.values()) == removed


def counted_from_rows(session, improvement_id):
    by_cell = raw_cells(session, improvement_id)
    return {
        phase: sum(len(values) for (p, _), values in by_cell.items() if p == phase)
        for phase in (Phase.BEFORE, Phase.AFTER)
    }


def test_counts_from_the_kept_cells_equal_the_rows(session):
    ids = session.scalars(select(Improvement.id)).all()
    kept = session.execute(
        select(measurement_cells.c.improvement_id).join(
            Improvement,
            (Improvement.id == measurement_cells.c.improvement_id)
            & (Improvement.data_version == measurement_cells.c.data_version),
        )
    ).scalars()
    assert len(set(kept)) >= len(ids) // 2  # most demo improvements have data, so cells
    counts = measurement_counts(ids)
    assert counts == {i: counted_from_rows(session, i) for i in ids}


def test_counts_without_current_cells_come_from_the_rows(session):
    ids = session.scalars(select(Improvement.id)).all()
    half = ids[::2]
    session.execute(delete(measurement_cells).where(measurement_cells.c.improvement_id.in_(half)))
    # A stale row (an older data version) is not used either.
    session.execute(
        update(measurement_cells)
        .where(measurement_cells.c.improvement_id.not_in(half))
        .values(data_version=measurement_cells.c.data_version - 1, tb_n=10**6)
    )
    counts = measurement_counts(ids)
    assert counts == {i: counted_from_rows(session, i) for i in ids}


def test_submission_problems_from_the_cells_equal_their_own_count(session):
    # The improvement page passes the cells' counts instead of counting the rows again.
    improvements = session.scalars(select(Improvement)).all()
    assert any(workflow.submission_problems(i) for i in improvements)
    for improvement in improvements:
        counts = {(c.phase, c.group): c.n for c in cell_summaries([improvement.id])}
        assert workflow.submission_problems(improvement, counts) == (
            workflow.submission_problems(improvement)
        )


def test_summaries_from_the_kept_cells_equal_those_from_the_rows(session):
    ids = session.scalars(select(Improvement.id)).all()
    kept = cell_summaries(ids)
    session.execute(delete(measurement_cells))
    from_rows = cell_summaries(ids)
    assert [(c.improvement_id, c.phase, c.group, c.n) for c in kept] == [
        (c.improvement_id, c.phase, c.group, c.n) for c in from_rows
    ]
    for a, b in zip(kept, from_rows, strict=True):
        assert a.mean == pytest.approx(b.mean, rel=1e-12)
        assert (a.variance is None) == (b.variance is None)
        if a.variance is not None:
            assert a.variance == pytest.approx(b.variance, rel=1e-9)
