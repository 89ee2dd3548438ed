"""`gains import FILE.csv --improvement ID [--source NAME] [--dry-run]`, run in-process with
Flask's CliRunner on both backends: all or nothing, exit status 0/2 (1 when nothing could be
tried), the web upload's row messages, locking, and the bulk path's rows."""

from __future__ import annotations

import functools
import io
import math
from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from gains.commands import imports as command
from gains.commands.imports import import_command
from gains.models import (
    AuditEvent,
    BatchSource,
    BatchStatus,
    Estimate,
    Measurement,
    Phase,
    Status,
    StudyGroup,
    UploadBatch,
)
from gains.services.improvements import workflow
from gains.services.measurements.bulk_import import LISTED_PROBLEMS, import_measurements
from gains.services.measurements.csv_upload import parse_measurements_csv
from gains.services.measurements.recording import record_batch
from tests.support.factories import person, plan, start_with_data
from tests.support.import_command import GOOD, counts


def test_a_file_is_imported_as_one_active_batch_by_the_operator(session, running, run):
    before = counts(session)
    result = run(GOOD, "--improvement", str(running.id), "--source", "case system")
    assert result.exit_code == 0, result.output
    batch = session.scalars(select(UploadBatch).where(UploadBatch.improvement_id == running.id))
    batch = batch.one()
    # Not a terminal: no progress bar, just the one summary line.
    assert result.output.startswith(f"Imported 12 rows into improvement {running.reference} as")
    assert result.output.count("\n") == 1 and f"as batch {batch.id} (" in result.output
    assert (batch.source, batch.status, batch.row_count) == (
        BatchSource.CLI,
        BatchStatus.ACTIVE,
        12,
    )
    assert (batch.source_name, batch.filename, batch.created_by_id) == (
        "case system",
        "rows.csv",
        None,
    )
    assert batch.added_by == "command-line import (case system)"
    assert len(batch.checksum_sha256) == 64
    assert counts(session)[0] == before[0] + 12
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "upload_batches")
        .where(AuditEvent.entity_id == batch.id)
    ).one()
    assert (event.action, event.actor_id) == ("batch.recorded", None)
    assert event.after["rows"] == 12 and event.after["source_name"] == "case system"
    session.refresh(running)
    assert running.data_version == 1
    cached = session.scalars(
        select(Estimate).where(Estimate.improvement_id == running.id, Estimate.data_version == 1)
    ).one()
    assert cached.effect == pytest.approx(-2.0)


def test_the_improvement_is_named_by_its_reference_or_its_number(session, running, run):
    """Decision 0042: "WKP-0042" as on its page, any case, or the number alone; another
    department's code is refused with the right reference, nothing written."""
    code = running.department.code
    before = counts(session)
    for typed in (running.reference, running.reference.lower(), f"{code}-{running.id}"):
        result = run(GOOD, "--improvement", typed, "--dry-run")
        assert result.exit_code == 0, result.output
        assert f"checked for improvement {running.reference}," in result.output
    wrong = run(GOOD, "--improvement", f"ZZZ-{running.id}")
    assert wrong.exit_code == 1
    assert f"has the wrong department code: improvement {running.id:,}’s reference is " in (
        wrong.output
    )
    assert running.reference in wrong.output
    for typed in ("WKP-", "-12", "WKP 12", "WKP-12-3"):
        refused = run(GOOD, "--improvement", typed)
        assert refused.exit_code == 2 and "Enter the improvement’s reference" in refused.output
    assert counts(session) == before


def test_a_dry_run_checks_everything_and_writes_nothing(session, running, run):
    before = counts(session)
    result = run(GOOD, "--improvement", str(running.id), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: 12 rows checked" in result.output
    assert counts(session) == before
    session.refresh(running)
    assert running.data_version == 0


def test_a_bad_row_rejects_the_file_with_the_web_messages_and_exit_2(session, running, run):
    before = counts(session)
    content = "phase,value,date\nbefore,1,\nafter,1,5kg\nlater,1,31/02/2026\n"
    result = run(content, "--improvement", str(running.id))
    assert result.exit_code == 2, result.output
    output = result.output.splitlines()
    assert output[0].endswith("rows.csv: 3 problems; nothing was imported.")
    assert output[1:] == [
        "  line 3, column date: Enter a real date, like 2026-05-31 or 31/05/2026",
        "  line 4, column phase: Enter before or after",
        "  line 4, column date: Enter a real date, like 2026-05-31 or 31/05/2026",
    ]
    assert counts(session) == before


def test_bad_rows_after_written_chunks_still_write_nothing(session, running, run, monkeypatch):
    """Chunks of two rows: several are written before the bad row; the rollback undoes them."""
    monkeypatch.setattr(
        command, "import_measurements", functools.partial(import_measurements, chunk_rows=2)
    )
    before = counts(session)
    result = run(GOOD + "after,treatment,x,2026-06-01,oops\n", "--improvement", str(running.id))
    assert result.exit_code == 2, result.output
    assert "line 14, column value: Enter a number" in result.output
    assert counts(session) == before


def test_long_lists_of_problems_are_capped_with_a_count_of_the_rest(running, run):
    result = run("phase,value\n" + "before,x\n" * 150, "--improvement", str(running.id))
    assert result.exit_code == 2
    listed = [line for line in result.output.splitlines() if line.startswith("  line ")]
    assert len(listed) == LISTED_PROBLEMS == 100
    assert "150 problems; nothing was imported." in result.output
    assert "  … and 50 more" in result.output


def test_a_file_that_is_not_utf8_is_a_rejection_too(running, run):
    result = run(b"phase,value\nbefore,1\n\xff\xfe,2\n", "--improvement", str(running.id))
    assert result.exit_code == 2
    assert "line 3: Not UTF-8 text (byte 1 of this line)" in result.output


def test_an_unknown_improvement_or_missing_file_is_exit_1(session, running, run, app, tmp_path):
    before = counts(session)
    result = run(GOOD, "--improvement", "999999")
    assert result.exit_code == 1
    assert "There is no improvement 999999." in result.output
    missing = app.test_cli_runner().invoke(
        import_command, [str(tmp_path / "nope.csv"), "--improvement", str(running.id)]
    )
    assert missing.exit_code == 1
    assert "Cannot read" in missing.output and "nope.csv" in missing.output
    assert counts(session) == before


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REJECTED, Status.WITHDRAWN])
def test_an_improvement_that_takes_no_data_refuses_the_import(session, member, run, status):
    improvement = workflow.create_improvement(member, member.team, plan(title="Closed"))
    improvement.status = status
    session.commit()
    before = counts(session)
    for extra in ([], ["--dry-run"]):
        result = run(GOOD, "--improvement", str(improvement.id), *extra)
        assert result.exit_code == 1, result.output
        refusal = (
            "This improvement was withdrawn, so it cannot be changed"
            if status is Status.WITHDRAWN
            else f"while the improvement is {status.label.lower()}"
        )
        assert refusal in result.output
    assert counts(session) == before


def test_importing_into_an_approved_improvement_reopens_its_review(session, run):
    from gains.models import Decision
    from gains.services.review.decisions import decide

    member, manager = person(session, "member"), person(session, "manager")
    improvement = workflow.create_improvement(member, member.team, plan(title="Approved one"))
    start_with_data(member, improvement, [10, 11, 12, 10], [8, 9, 8, 7], submit=True)
    decide(manager, improvement, Decision.APPROVED, "Fine")
    session.commit()
    result = run(GOOD, "--improvement", str(improvement.id))
    assert result.exit_code == 0, result.output
    session.refresh(improvement)
    assert improvement.status is Status.SUBMITTED


TRICKY = (
    "phase,group,unit,date,value\r\n"
    'before,Control,"Smith, J",01/04/2026,0.1\r\n'
    'after,treatment,"says ""hi""\r\nover two lines",,1e-300\r\n'
    "after,TREATMENT,\u00e9t\u00e9 \u20ac,2026-06-01,-123456789.123456789\r\n"
    "before,treatment,,2026-04-02,3\r\n"
)
EXPECTED = [
    (Phase.BEFORE, StudyGroup.CONTROL, "Smith, J", date(2026, 4, 1), 0.1),
    (Phase.AFTER, StudyGroup.TREATMENT, 'says "hi"\r\nover two lines', None, 1e-300),
    (
        Phase.AFTER,
        StudyGroup.TREATMENT,
        "\u00e9t\u00e9 \u20ac",
        date(2026, 6, 1),
        -123456789.123456789,
    ),
    (Phase.BEFORE, StudyGroup.TREATMENT, None, date(2026, 4, 2), 3.0),
]


def stored(session, batch) -> list[tuple]:
    session.expire_all()
    return [
        (m.phase, m.group, m.unit_ref, m.observed_on, m.value)
        for m in session.scalars(
            select(Measurement).where(Measurement.batch_id == batch.id).order_by(Measurement.id)
        )
    ]


def test_the_bulk_path_stores_exactly_what_the_orm_path_stores(session, member, running, backend):
    """COPY (PostgreSQL) or executemany (SQLite) against the ORM insert of the same rows:
    identical values on each backend, and both equal to one literal list, so identical
    across backends too."""
    bulk = import_measurements(running, io.BytesIO(TRICKY.encode()), filename="t.csv").batch
    orm = record_batch(
        member,
        running,
        parse_measurements_csv(io.BytesIO(TRICKY.encode())).rows,
        source=BatchSource.FORM,
    )
    bulk_rows, orm_rows = stored(session, bulk), stored(session, orm)
    assert bulk_rows == orm_rows == EXPECTED
    assert all(not isinstance(row[4], float) or math.isfinite(row[4]) for row in bulk_rows)


def test_a_named_actor_must_be_allowed_to_change_the_improvement(session, running):
    from gains.services.improvements.workflow import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_measurements(running, io.BytesIO(GOOD.encode()), actor=person(session, "treasury"))
    batch = import_measurements(
        running, io.BytesIO(GOOD.encode()), actor=person(session, "member")
    ).batch
    assert batch.created_by_id == person(session, "member").id


def test_the_progress_bar_counts_bytes_on_a_terminal(capsys):
    bar = command._ProgressBar(2_000, enabled=True)
    bar(1_000, 40)
    bar(2_000, 80)
    assert (bar.bar.n, bar.bar.total, bar.bar.postfix) == (2_000, 2_000, "rows=80")
    bar.close()
    assert "Importing" in capsys.readouterr().err
    silent = command._ProgressBar(2_000, enabled=False)
    silent(2_000, 80)
    silent.close()
    assert capsys.readouterr().err == ""


def test_every_float_and_date_arrives_exactly_over_several_chunks(session, running, backend):
    """Binary COPY (PostgreSQL) sends each value's 8 bytes and each date as a day count:
    every float read from the file is stored bit for bit, whatever its size (to the bound
    of `gains.bounds.MEASUREMENT_VALUE`) or sign, and units and dates may be missing; the
    same on SQLite. Several chunks, several distinct units and dates per chunk."""
    rng = np.random.default_rng(3)
    values = [
        0.1,
        -0.0,
        5e-324,
        2.2250738585072014e-308,
        1.2345678901234567e11,
        -9.876543210987654e11,
        1e12,
        123456789.12345679,
        1 / 3,
        *rng.normal(0, 1e6, 40).tolist(),
        *(rng.random(40) * 10.0 ** rng.integers(-300, 12, 40)).tolist(),
    ]
    units = [None, "a", "\u65e5\u672c \u00e9", "x" * 100, "case 7"]
    days = [None, date(1999, 12, 31), date(2000, 1, 1), date(1990, 1, 1), date(2038, 1, 20)]
    rows = [
        (("before", "after")[i % 2], units[i % 5], days[i % 3 + (i % 2) * 2], value)
        for i, value in enumerate(values)
    ]
    text = "phase,unit,date,value\n" + "".join(
        f"{phase},{unit or ''},{day.isoformat() if day else ''},{value!r}\n"
        for phase, unit, day, value in rows
    )
    batch = import_measurements(
        running, io.BytesIO(text.encode()), filename="exact.csv", chunk_rows=7
    ).batch
    got = stored(session, batch)
    assert [(r[0].value, r[2], r[3]) for r in got] == [r[:3] for r in rows]
    sent = np.array([r[3] for r in rows], dtype=float)
    back = np.array([r[4] for r in got], dtype=float)
    if backend == "sqlite":
        sent[sent == 0] = 0.0  # SQLite stores a REAL -0.0 as 0 (so does the ORM path there)
    assert sent.tobytes() == back.tobytes()  # bit for bit
