"""The cell summaries kept for recompute-all: after every kind of write they equal a fresh
computation from the rows, and a stale or missing row is never used."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, update

from gains.models import (
    BatchSource,
    Design,
    Improvement,
    Measurement,
    Phase,
    StudyGroup,
    measurement_cells,
)
from gains.models.cells import STATISTIC_COLUMNS
from gains.services.estimates import cells as cells_service
from gains.services.estimates.cells import cells_from_rows, refresh_all_cells, stored_cells
from gains.services.estimates.documents import estimate_document, measurements_frame
from gains.services.estimates.recompute import compute_estimates, recompute_all
from gains.services.improvements import workflow
from gains.services.improvements.plan_changes import amend
from gains.services.measurements import bulk_import
from gains.services.measurements import recording as service
from gains.services.measurements.bulk_import import import_measurements
from gains.services.measurements.multi_upload import confirm_batches, upload_many
from gains.stats.cells import cell_index, cell_statistics
from tests.support.documents import assert_same_document
from tests.support.factories import person, plan

CSV = b"phase,group,unit,value\n" + b"".join(
    f"{phase},{group},u{i % 4},{value}\n".encode()
    for i, (phase, group, value) in enumerate(
        [("before", "treatment", 10 + i % 5) for i in range(8)]
        + [("after", "treatment", 7 + i % 4) for i in range(8)]
        + [("before", "control", 11 + i % 3) for i in range(6)]
        + [("after", "control", 10 + i % 3) for i in range(6)]
    )
)


@pytest.fixture
def member(session):
    return person(session, "member")


@pytest.fixture
def running(session, member):
    def _running(title="Cells", design=Design.CONTROL_GROUP):
        improvement = workflow.create_improvement(
            member, member.team, plan(title=title, design=design)
        )
        workflow.start(member, improvement)
        session.flush()
        return improvement

    return _running


def stored_row(session, improvement_id: int) -> tuple[int, np.ndarray] | None:
    row = session.execute(
        select(measurement_cells).where(measurement_cells.c.improvement_id == improvement_id)
    ).one_or_none()
    if row is None:
        return None
    values = np.array([row._mapping[name] for name in STATISTIC_COLUMNS], dtype=float)
    return row.data_version, values


def assert_cells_current(session, improvement: Improvement) -> None:
    """The stored row is at the improvement's data version and equals, value for value, the
    statistics computed from its rows now; and its counts and means agree with the rows as
    the per-improvement path reads them."""
    session.flush()
    stored = stored_row(session, improvement.id)
    assert stored is not None, f"improvement {improvement.id} has no cell summaries"
    version, values = stored
    assert version == improvement.data_version
    fresh = cells_from_rows(pd.Index([improvement.id])).to_numpy(dtype=float)[0]
    # One computation over the same rows in the same order (by id), whichever path stored
    # them: equal to the bit, NaN where NaN.
    np.testing.assert_array_equal(values, fresh)

    frame = measurements_frame(improvement.id)
    named = dict(zip(STATISTIC_COLUMNS, values, strict=True))
    for cell, (phase, group) in {
        "tb": (Phase.BEFORE, StudyGroup.TREATMENT),
        "ta": (Phase.AFTER, StudyGroup.TREATMENT),
        "cb": (Phase.BEFORE, StudyGroup.CONTROL),
        "ca": (Phase.AFTER, StudyGroup.CONTROL),
    }.items():
        rows = frame[(frame["phase"] == phase.value) & (frame["group"] == group.value)]["value"]
        assert named[f"{cell}_n"] == len(rows), cell
        if len(rows):
            assert named[f"{cell}_mean"] == pytest.approx(rows.mean(), rel=1e-12)
            assert (named[f"{cell}_minimum"], named[f"{cell}_maximum"]) == (
                rows.min(),
                rows.max(),
            )
        else:
            assert math.isnan(named[f"{cell}_mean"])


def test_every_demo_improvement_has_current_cells(session):
    """The demo seed records its data through the services: every improvement is current."""
    improvements = session.scalars(select(Improvement).order_by(Improvement.id)).all()
    with_data = [i for i in improvements if i.data_version > 0]
    assert with_data
    for improvement in with_data:
        assert_cells_current(session, improvement)
    _, stale = stored_cells(pd.Index([i.id for i in with_data]))
    assert stale == []


def test_every_kind_of_write_leaves_the_cells_equal_to_the_rows(session, member, running):
    improvement = running()
    rows = [
        {"phase": "before", "group": "treatment", "unit_ref": "a", "value": 3.0},
        {"phase": "before", "group": "treatment", "unit_ref": "b", "value": 5.0},
        {"phase": "after", "group": "treatment", "unit_ref": "a", "value": 4.0},
        {"phase": "after", "group": "treatment", "unit_ref": "b", "value": 2.5},
    ]
    # An active batch (form, API and the demo seed all come through record_batch).
    first = service.record_batch(member, improvement, rows, source=BatchSource.API)
    assert_cells_current(session, improvement)
    service.record_form_row(member, improvement, {"phase": "before", "value": "9"})
    assert_cells_current(session, improvement)

    # A CSV upload counts only once confirmed; a pending one changes nothing.
    version = improvement.data_version
    pending = service.upload_csv(member, improvement, io.BytesIO(CSV), filename="c.csv")
    assert (improvement.data_version, stored_row(session, improvement.id)[0]) == (version,) * 2
    assert_cells_current(session, improvement)
    service.confirm_batch(member, pending)
    assert_cells_current(session, improvement)
    cancelled = service.upload_csv(member, improvement, io.BytesIO(CSV), filename="c.csv")
    service.cancel_batch(member, cancelled)
    assert_cells_current(session, improvement)

    # One row corrected, one deleted, a batch withdrawn.
    row = session.scalars(
        select(Measurement).where(Measurement.batch_id == first.id).order_by(Measurement.id)
    ).first()
    service.edit_measurement(
        member, row, {"phase": "after", "group": "control", "unit_ref": "z", "value": "40"}
    )
    assert_cells_current(session, improvement)
    service.delete_measurement(member, row)
    assert_cells_current(session, improvement)
    service.withdraw_batch(member, pending, "Wrong file")
    assert_cells_current(session, improvement)

    # `gains import`: the bulk path (COPY / executemany), then data_changed.
    import_measurements(improvement, io.BytesIO(CSV), filename="bulk.csv", actor=member)
    assert_cells_current(session, improvement)

    # An amendment moves the data version on without changing rows.
    amend(member, improvement, "hypothesis", "A shorter letter is read.", "Typo")
    assert_cells_current(session, improvement)


def test_a_multi_improvement_upload_refreshes_each_improvement(session, member, running):
    first, second = running("Cells one"), running("Cells two", Design.BEFORE_AFTER)
    content = "improvement,phase,unit,value\n" + "".join(
        f"{improvement.id},{phase},u{i},{i * 1.5 + improvement.id}\n"
        for improvement in (first, second)
        for phase in ("before", "after")
        for i in range(5)
    )
    batches = upload_many(member, io.BytesIO(content.encode()), filename="many.csv")
    for improvement in (first, second):
        assert stored_row(session, improvement.id) is None  # pending: nothing counted yet
    confirm_batches(member, batches)
    for improvement in (first, second):
        assert_cells_current(session, improvement)


def test_random_sequences_of_writes_keep_the_cells_exact(session, member, running):
    """A property check: random batches (values with ties, repeated and missing units, every
    cell), random withdrawals, edits and deletions; after each, the cells are current."""
    rng = np.random.default_rng(20261128)
    improvement = running("Cells at random")
    batches = []
    for step in range(14):
        action = rng.choice(["record", "record", "withdraw", "edit", "delete"])
        active = [b for b in batches if b.status.value == "active" and b.row_count]
        if action == "record" or not active:
            n = int(rng.integers(1, 9))
            rows = [
                {
                    "phase": str(rng.choice(["before", "after"])),
                    "group": str(rng.choice(["treatment", "control"])),
                    "unit_ref": None if rng.random() < 0.3 else f"u{rng.integers(0, 4)}",
                    "value": float(
                        rng.choice([1.0, 2.0, 2.0, round(float(rng.normal(50, 10)), 3)])
                    ),
                }
                for _ in range(n)
            ]
            batches.append(service.record_batch(member, improvement, rows, source=BatchSource.FORM))
        elif action == "withdraw":
            service.withdraw_batch(member, active[int(rng.integers(len(active)))], f"step {step}")
        else:
            batch = active[int(rng.integers(len(active)))]
            row = session.scalars(
                select(Measurement).where(Measurement.batch_id == batch.id)
            ).first()
            if action == "edit":
                service.edit_measurement(
                    member,
                    row,
                    {"phase": "after", "group": "treatment", "value": str(rng.integers(0, 99))},
                )
            else:
                service.delete_measurement(member, row)
        assert_cells_current(session, improvement)


def test_stale_or_missing_cells_are_recomputed_from_the_rows_never_used(session):
    """A data version moved without a refresh (a path that forgot, a failed refresh) or a row
    deleted: the summaries are not at the current version, so they are not read; the result
    still equals the per-improvement path, and recompute-all stores them again."""
    improvements = session.scalars(
        select(Improvement).where(Improvement.data_version > 0).order_by(Improvement.id)
    ).all()
    bumped, dropped = improvements[0], improvements[1]
    session.execute(
        update(Improvement)
        .where(Improvement.id == bumped.id)
        .values(data_version=Improvement.data_version + 1)
    )
    session.execute(
        measurement_cells.delete().where(measurement_cells.c.improvement_id == dropped.id)
    )
    session.expire_all()
    _, stale = stored_cells(pd.Index([i.id for i in improvements]))
    assert stale == sorted([bumped.id, dropped.id])

    fast = compute_estimates([bumped.id, dropped.id], per_improvement=False)
    for improvement in (bumped, dropped):
        if improvement.id not in fast.per_improvement_ids:
            assert_same_document(
                fast.documents[improvement.id], estimate_document(improvement), "stale"
            )
    recompute_all([bumped.id, dropped.id])
    for improvement in (bumped, dropped):
        assert_cells_current(session, improvement)


def test_a_failed_refresh_keeps_the_write_and_the_cells_are_then_stale(
    session, member, running, monkeypatch
):
    improvement = running("Cells failing")
    service.record_form_row(member, improvement, {"phase": "before", "value": "1"})
    before = stored_row(session, improvement.id)

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cells_service, "cells_from_rows", broken)
    monkeypatch.setattr(cells_service, "cells_from_frame", broken)
    service.record_form_row(member, improvement, {"phase": "after", "value": "2"})
    monkeypatch.undo()
    assert stored_row(session, improvement.id)[0] == before[0] != improvement.data_version
    assert stored_cells(pd.Index([improvement.id]))[1] == [improvement.id]


def test_refresh_all_rebuilds_the_table_from_the_rows(session):
    session.execute(measurement_cells.delete())
    count = refresh_all_cells()
    improvements = session.scalars(select(Improvement)).all()
    assert count == len(improvements)
    for improvement in improvements:
        assert_cells_current(session, improvement)


def test_deleting_an_improvement_deletes_its_cells(session, member, running):
    draft = workflow.create_improvement(member, member.team, plan(title="Cells draft"))
    session.flush()
    cells_service.refresh_cells([draft.id])
    assert stored_row(session, draft.id) is not None
    workflow.delete_draft(member, draft)
    session.flush()
    assert stored_row(session, draft.id) is None


def test_cell_statistics_from_codes_are_each_cells_own_numpy_statistics():
    """The one computation sorts every row by cell once; each cell's figures must be what
    numpy gives for that cell's values alone, in their own order, to the last bit."""
    rng = np.random.default_rng(10)
    size = 20_000
    improvement = rng.integers(1, 40, size)
    phase = np.where(rng.integers(0, 2, size) == 1, "after", "before")
    group = np.where(rng.integers(0, 2, size) == 1, "control", "treatment")
    values = np.round(rng.normal(40, 6, size), 2) + rng.normal(0, 1e-7, size)
    codes = improvement * 4 + cell_index(phase, group)
    long = cell_statistics(codes, values)
    assert long.index.tolist() == sorted(np.unique(codes).tolist())
    for code, row in long.iterrows():
        cell = values[codes == code]
        ordered = np.sort(cell)
        assert row.n == len(cell)
        assert (row.minimum, row.maximum) == (ordered[0], ordered[-1])
        assert row.more_than_two_values == float(len(np.unique(cell)) > 2)
        assert row.q1 == np.percentile(cell, 25) and row.q3 == np.percentile(cell, 75)
        assert row["mean"] == cell.mean()
        if len(cell) > 1:
            assert row.variance == cell.var(ddof=1)
        else:
            assert math.isnan(row.variance)


def unit_csv(rows: int, offset: float = 0.0) -> bytes:
    """Rows in all four cells, some units repeated, some missing, values with many digits."""
    rng = np.random.default_rng(rows)
    lines = ["phase,group,unit,value"]
    for i in range(rows):
        unit = "" if i % 7 == 0 else f"u{i % 11}"
        value = rng.normal(50, 9) + offset
        lines.append(
            f"{('before', 'after')[i % 2]},{('treatment', 'control')[i % 3 == 0]},{unit},{value!r}"
        )
    return ("\n".join(lines) + "\n").encode()


def test_an_import_keeps_its_rows_and_stores_the_cells_a_fresh_computation_gives(
    session, member, running, monkeypatch
):
    """`gains import` computes the cells from the rows it wrote (plus those already there)
    instead of reading them back: they must equal what the rows give, null units included,
    over several chunks; and the refresh must not have read the rows back."""
    improvement = running("Cells kept")
    service.record_batch(
        member,
        improvement,
        [{"phase": "before", "group": "control", "unit_ref": "u3", "value": 1e-7}],
        source=BatchSource.API,
    )
    read_back = []
    monkeypatch.setattr(cells_service, "refresh_cells", lambda ids: read_back.append(ids))
    import_measurements(improvement, io.BytesIO(unit_csv(500)), filename="k.csv", chunk_rows=64)
    monkeypatch.undo()
    assert read_back == []
    assert_cells_current(session, improvement)
    assert stored_row(session, improvement.id)[1][STATISTIC_COLUMNS.index("tb_n")] == sum(
        i % 2 == 0 and i % 3 != 0 for i in range(500)
    )


def test_rows_kept_give_the_cells_of_the_rows(session, member, running):
    """Rows kept in memory (an import, the write path's frame) and rows read back from the
    database reach the same computation in the same order: the same figures, to the bit,
    even for values near 1e6 with a spread of 9, where a one-pass variance loses digits."""
    improvement = running("Cells kept direct")
    import_measurements(improvement, io.BytesIO(unit_csv(300, 1e6)), filename="k.csv")
    session.flush()
    kept = cells_service.RowsKept(improvement.id)
    kept.add_frame(measurements_frame(improvement.id))
    fresh = cells_from_rows(pd.Index([improvement.id], name="improvement_id"))
    np.testing.assert_array_equal(kept.cells().to_numpy(), fresh.to_numpy())
    assert fresh["paired_n_units"].iloc[0] > 0 and fresh["ca_n"].iloc[0] > 0


def test_an_import_whose_rows_changed_meanwhile_reads_the_cells_back(
    session, member, running, monkeypatch
):
    """Another write between reading the rows already there and locking the improvement at
    the end moves the data version on: the rows kept are then incomplete and not used."""
    improvement = running("Cells changed meanwhile")
    real_frame = bulk_import.measurements_frame

    def frame_then_another_write(improvement_id):
        frame = real_frame(improvement_id)
        service.record_form_row(member, improvement, {"phase": "after", "value": "1000"})
        return frame

    monkeypatch.setattr(bulk_import, "measurements_frame", frame_then_another_write)
    import_measurements(improvement, io.BytesIO(unit_csv(40)), filename="k.csv")
    monkeypatch.undo()
    assert_cells_current(session, improvement)
    assert stored_row(session, improvement.id)[1][STATISTIC_COLUMNS.index("ta_maximum")] == 1000


def test_an_import_whose_kept_cells_fail_reads_them_back_and_keeps_the_rows(
    session, member, running, monkeypatch, caplog
):
    improvement = running("Cells kept failing")

    class BrokenRowsKept(cells_service.RowsKept):  # the import's rows only, not the read-back
        def cells(self, ids=None):
            raise RuntimeError("boom")

    monkeypatch.setattr(bulk_import, "RowsKept", BrokenRowsKept)
    result = import_measurements(improvement, io.BytesIO(unit_csv(30)), filename="k.csv")
    monkeypatch.undo()
    assert result.row_count == 30
    assert "reading them back" in caplog.text
    assert_cells_current(session, improvement)
