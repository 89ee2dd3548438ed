"""The measurements CSV parser: the malformed corpus, good files, limits and streaming."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gains.models import Measurement, Phase, StudyGroup, UploadBatch
from gains.services.improvements import workflow
from gains.services.measurements.csv_upload import (
    CHUNK_BYTES,
    UploadLimits,
    UploadTooLarge,
    choose_delimiter,
    display_filename,
    parse_measurements_csv,
)
from gains.services.measurements.recording import upload_csv
from gains.services.measurements.rows import RowsRejected
from tests.support.factories import person, plan

CORPUS = Path(__file__).parent.parent / "data" / "bad_csv"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def parse(content: bytes, **limits):
    return parse_measurements_csv(io.BytesIO(content), UploadLimits(**limits))


def problems(content: bytes, **limits) -> list[tuple[int, str, str]]:
    with pytest.raises(RowsRejected) as raised:
        parse(content, **limits)
    return [(e.line, e.column, e.message) for e in raised.value.errors]


def test_the_corpus_is_big_enough_and_matches_its_manifest():
    files = sorted(p.name for p in CORPUS.glob("*.csv"))
    assert len(files) >= 30
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_malformed_file_is_rejected_with_its_row_level_messages(name):
    found = problems((CORPUS / name).read_bytes())
    expected = EXPECTED[name]
    assert len(found) == len(expected), found
    for (line, column, message), want in zip(found, expected, strict=True):
        assert (line, column) == (want["line"], want["column"]), (name, found)
        assert want["message"] in message, (name, message)


@pytest.fixture
def running(session):
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title="CSV target"))
    workflow.start(member, improvement)
    session.flush()
    return member, improvement


def counts(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Measurement)),
        session.scalar(select(func.count()).select_from(UploadBatch)),
    )


def test_no_malformed_file_writes_anything(session, running):
    """Through the upload service: zero measurements and zero batches for every bad file."""
    member, improvement = running
    before = counts(session)
    for name in sorted(EXPECTED):
        with session.begin_nested() as attempt:
            with pytest.raises(RowsRejected):
                upload_csv(
                    member, improvement, io.BytesIO((CORPUS / name).read_bytes()), filename=name
                )
            assert counts(session) == before, name
            attempt.rollback()
    assert counts(session) == before
    assert improvement.data_version == 0


def test_utf8_with_bom_excel_crlf_and_quoted_fields():
    content = (
        "\ufeffPhase,Group,Unit ref,Observed on,Value\r\n"
        'before,treatment,"Smith, J",2026-04-01,12.5\r\n'
        'after,CONTROL,"says ""hi""\r\nover two lines",01/06/2026,-3\r\n'
    ).encode()
    upload = parse(content)
    assert upload.delimiter == ","
    assert upload.columns == {
        "phase": "Phase",
        "group": "Group",
        "unit": "Unit ref",
        "date": "Observed on",
        "value": "Value",
    }
    assert upload.rows == [
        {
            "phase": Phase.BEFORE,
            "group": StudyGroup.TREATMENT,
            "unit_ref": "Smith, J",
            "observed_on": date(2026, 4, 1),
            "value": 12.5,
        },
        {
            "phase": Phase.AFTER,
            "group": StudyGroup.CONTROL,
            "unit_ref": 'says "hi"\r\nover two lines',
            "observed_on": date(2026, 6, 1),
            "value": -3.0,
        },
    ]
    assert upload.checksum_sha256 == hashlib.sha256(content).hexdigest()
    assert upload.byte_count == len(content)


def test_a_problem_after_a_multi_line_field_reports_the_physical_line():
    content = b'phase,unit,value\nbefore,"two\nlines",1\nafter,x,oops\n'
    assert problems(content) == [(4, "value", "Enter a number")]


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("phase,value", ","),
        ("phase;value;unit", ";"),
        ("phase\tvalue", "\t"),
        ("Phase;Value,with comma", ";"),
        ("nothing;we,know", ","),
    ],
)
def test_the_delimiter_is_the_one_that_makes_the_header_readable(header, delimiter):
    assert choose_delimiter(header) == delimiter


def test_semicolon_and_tab_exports_are_read():
    semicolons = parse(b"phase;value;date\r\nbefore;1.5;2026-01-02\r\nafter;2;\r\n")
    tabs = parse(b"period\tarm\tmeasurement\nbefore\tcontrol\t1.5\nafter\ttreatment\t2\n")
    assert [r["value"] for r in semicolons.rows] == [1.5, 2.0]
    assert semicolons.rows[1]["observed_on"] is None
    assert tabs.columns == {"phase": "period", "group": "arm", "value": "measurement"}
    assert tabs.rows[0]["group"] is StudyGroup.CONTROL


def test_blank_lines_and_empty_unnamed_columns_are_skipped():
    upload = parse(b"phase,value,,\n\nbefore,1,,\n,,,\nafter,2,,\n\n")
    assert upload.row_count == 2


@pytest.mark.parametrize("line_end", [b"\r", b"\n", b"\r\n"])
def test_every_line_end_is_read_the_same(line_end):
    """Lines ended by a carriage return alone (the classic Mac export) were one long line,
    and the reader raised on it."""
    content = line_end.join([b"phase,group,value", b"before,control,1", b"after,treatment,2", b""])
    upload = parse(content)
    assert [row["value"] for row in upload.rows] == [1.0, 2.0]
    assert upload.rows[0]["group"] is StudyGroup.CONTROL
    assert problems(content.replace(b"2", b"x")) == [(3, "value", "Enter a number")]


class TrickleStream(io.BytesIO):
    """A stream that answers each read with at most `size` bytes, as a socket may."""

    def __init__(self, content: bytes, size: int):
        super().__init__(content)
        self.size = size

    def read(self, size: int = -1) -> bytes:
        return super().read(self.size)


def test_a_carriage_return_at_the_end_of_a_read_may_begin_a_crlf():
    content = b"phase,value\r\nbefore,1\r\nafter,2\r\n"
    upload = parse_measurements_csv(TrickleStream(content, len(b"phase,value\r")))
    assert upload.row_count == 2
    cr_only = parse_measurements_csv(TrickleStream(content.replace(b"\n", b""), 12))
    assert cr_only.row_count == 2


class CountingStream(io.BytesIO):
    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


@pytest.mark.parametrize("header", [b"," * 1_000_000 + b"\n", b"phase,value," * 100_000])
def test_a_very_wide_header_is_refused_before_the_rest_is_read(header):
    """A million empty columns took a worker 18 s to refuse; now the first line is read with
    a cap, and no more of the file."""
    stream = CountingStream(header + b"before,1\n" * 1000)
    with pytest.raises(RowsRejected) as raised:
        parse_measurements_csv(stream, UploadLimits())
    assert [(e.line, e.message) for e in raised.value.errors] == [
        (
            1,
            "The file's first line is longer than 10,240 bytes: the first line must be the "
            "column headings, such as phase,value",
        )
    ]
    assert stream.bytes_read <= 2 * CHUNK_BYTES


def test_the_multi_improvement_upload_names_its_extra_column_in_the_width_message():
    from gains.services.measurements.csv_upload import MeasurementCsv

    reading = MeasurementCsv(
        io.BytesIO(b"improvement,phase,value" + b"," * 60 + b"\n1,before,1\n"),
        extra_columns=("improvement",),
    )
    assert not list(reading.chunks())
    message = reading.rejection().errors[0].message
    assert message.startswith("The file's first line has 63 columns: Gains expects at most 50")
    assert "headed improvement, phase, group, unit, date or value" in message


def test_error_list_is_capped_but_every_problem_counted():
    content = b"phase,value\n" + b"before,x\n" * 500
    with pytest.raises(RowsRejected) as raised:
        parse(content, max_errors=200)
    assert len(raised.value.errors) == 200
    assert raised.value.total == 500
    assert raised.value.errors[-1].line == 201


def test_too_many_bytes_is_its_own_exception():
    with pytest.raises(UploadTooLarge, match="larger than 1,000 bytes"):
        parse(b"phase,value\n" + b"before,1\n" * 200, max_bytes=1_000)


def test_too_many_rows_is_its_own_exception():
    with pytest.raises(UploadTooLarge, match="more than 5 rows"):
        parse(b"phase,value\n" + b"before,1\n" * 6, max_rows=5)
    assert parse(b"phase,value\n" + b"before,1\n" * 5, max_rows=5).row_count == 5


class OneWayStream(io.RawIOBase):
    """A non-seekable stream that refuses to be read whole and records its largest read."""

    def __init__(self, lines, count: int):
        self._source = lines
        self._remaining = count
        self._buffer = b""
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        assert size is not None and 0 < size <= CHUNK_BYTES, "read the stream in chunks"
        self.largest_read = max(self.largest_read, size)
        while len(self._buffer) < size and self._remaining:
            self._buffer += next(self._source)
            self._remaining -= 1
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk


def test_a_200k_row_file_is_parsed_as_a_stream():
    rows = 200_000

    def lines():
        yield b"phase,value\n"
        while True:
            yield b"before,1.25\nafter,0.75\n"

    stream = OneWayStream(lines(), 1 + rows // 2)
    upload = parse_measurements_csv(stream, UploadLimits())
    assert upload.row_count == rows
    assert stream.largest_read == CHUNK_BYTES
    assert upload.byte_count == len(b"phase,value\n") + rows // 2 * len(
        b"before,1.25\nafter,0.75\n"
    )


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\priya\\Desktop\\renewals.csv", "renewals.csv"),
        ("rows\x00\x1b[31m.csv", "rows[31m.csv"),
        ("", None),
        (None, None),
        ("/", None),
        ("a" * 300 + ".csv", "a" * 255),
    ],
)
def test_an_uploaded_file_name_is_only_a_label(given, kept):
    assert display_filename(given) == kept


BLANK_GROUP_MESSAGE = (
    "Enter treatment or control: other rows for this improvement are control, "
    "so a blank group could be either"
)


def test_a_blank_group_beside_control_rows_is_refused_on_its_line():
    """Read as treatment, a control row whose group was blanked moved silently (issue 19),
    even when the control rows come in a later chunk."""
    content = b"phase,group,value\nbefore,treatment,1\nafter,,2\n" + b"before,control,3\n" * 3
    assert problems(content) == [(3, "group", BLANK_GROUP_MESSAGE)]
    from gains.services.measurements.csv_upload import MeasurementCsv

    reading = MeasurementCsv(io.BytesIO(content), chunk_rows=1)
    assert len(list(reading.chunks())) == 5  # each row clean: decided once the file is read
    assert [(e.line, e.message) for e in reading.rejection().errors] == [(3, BLANK_GROUP_MESSAGE)]


def test_a_blank_group_is_treatment_where_no_row_of_that_improvement_is_control():
    rows = parse(b"phase,group,value\nbefore,,1\nafter, ,2\nafter,Treatment,3\n").rows
    assert {row["group"] for row in rows} == {StudyGroup.TREATMENT}
    from gains.services.measurements.csv_upload import MeasurementCsv

    content = b"improvement,phase,group,value\n1,before,,1\n2,before,control,2\n 1 ,after,,3\n"
    reading = MeasurementCsv(io.BytesIO(content), extra_columns=("improvement",))
    assert sum(len(chunk.rows) for chunk in reading.chunks()) == 3
    assert reading.rejection() is None
