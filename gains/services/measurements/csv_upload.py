"""Measurement CSV files, parsed as a stream and checked a chunk of rows at a time (no Flask).

The file is read in chunks of `CHUNK_BYTES`; runs of whole lines are decoded as strict UTF-8
and fed to `csv.reader`, so memory holds one chunk and `CHUNK_ROWS` parsed rows, never the
file. We split and decode lines ourselves rather than wrap the stream in `io.TextIOWrapper`
so that a byte that is not UTF-8 can be reported with its line and position, as a spreadsheet
user sees them (the header is line 1).

A chunk with no quotes and the header's number of separators on every line (a machine
export) is split with `str.split` instead (`_plain_cells`); any other chunk, and the rest of
the file, goes through `csv.reader`, so the rows, lines and messages are the reader's.

Rows are checked `CHUNK_ROWS` at a time as columns by `measurement_rows.check_columns`, the
same rules and messages as `parse_row` (form and API), vectorised so that a million rows take
seconds. `MeasurementCsv` yields the clean chunks (the web upload keeps them as a list for its
preview; `gains import` writes each chunk and forgets it). Every problem is collected (the
first `max_errors` listed, all counted). Problems that make the rest of the file unreadable
(not UTF-8, binary, an unclosed quote, a bad header) stop there.

Decisions: columns are matched case-insensitively with a few aliases; an unknown column
rejects the file (a misspelt "grup" column must not silently make every row treatment);
columns with an empty heading are allowed if every cell under them is empty (Excel leaves
them behind); lines with nothing but separators are skipped; a blank group is treatment, but
beside control rows for the same improvement it is refused on its line (`_BlankGroups`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from gains.services.measurements.rows import (
    GROUPS,
    PHASES,
    RowError,
    RowsRejected,
    check_columns,
)

CHUNK_BYTES = 64 * 1024
# The header is read, and refused if it is wider, before anything else: a first line of a
# million separators took a worker 18 s to reject. Real headers are a few dozen bytes; a
# spreadsheet may leave some empty columns after them.
MAX_HEADER_BYTES = 10 * 1024
MAX_COLUMNS = 50
# Rows checked together as columns: big enough for vectorised checks to pay, small enough
# that memory stays flat (a few MB) whatever the file's size.
CHUNK_ROWS = 20_000
STRAY_VALUE = "A value is in a column with no heading"
DELIMITERS = (",", ";", "\t")
# Column name → the headings accepted for it (compared after `_normalise`).
ALIASES: dict[str, tuple[str, ...]] = {
    "phase": ("phase", "period"),
    "group": ("group", "study_group", "arm"),
    "unit": ("unit", "unit_ref", "unit_reference", "unit_id"),
    "date": ("date", "observed_on", "observed", "observation_date"),
    "value": ("value", "measurement", "observation"),
}
HEADING_TO_COLUMN = {alias: column for column, names in ALIASES.items() for alias in names}
REQUIRED = ("phase", "value")
# Column name → the key `parse_row` reads.
ROW_KEYS = {
    "phase": "phase",
    "group": "group",
    "unit": "unit_ref",
    "date": "observed_on",
    "value": "value",
}


@dataclass(frozen=True)
class UploadLimits:
    """The web's limits; None is no limit (`gains import` streams any size)."""

    max_bytes: int | None = 20 * 1024 * 1024
    max_rows: int | None = 200_000
    max_errors: int = 200


def display_filename(name: str | None) -> str | None:
    """The uploaded file's name as a label only: no directories, no control characters.

    Uploads are parsed in memory and never saved, so the name never reaches the disk; it is
    kept to help people recognise a batch, and is shortened to fit its column.
    """
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:255] or None


class UploadTooLarge(ValueError):
    """The file is over the byte or row limit (the web answers 413)."""


class _Unreadable(Exception):
    """A problem after which the rest of the file cannot be read."""

    def __init__(self, error: RowError):
        self.error = error


@dataclass(frozen=True)
class ParsedUpload:
    rows: list[dict[str, Any]]
    columns: dict[str, str]  # column name → the heading as written in the file
    delimiter: str
    checksum_sha256: str
    byte_count: int

    @property
    def row_count(self) -> int:
        return len(self.rows)


@dataclass
class _Reader:
    """Physical lines of a binary stream, decoded; counts and hashes every byte read.

    Whole runs of complete lines are decoded at once (the fast path); only when a run has a
    NUL byte or is not UTF-8 is the bad line found, and the lines before it are still given
    to the CSV reader first, so problems keep the order in which the file states them.
    """

    stream: BinaryIO
    max_bytes: int | None
    byte_count: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)

    def _chunks(self) -> Iterator[bytes]:
        while chunk := self.stream.read(CHUNK_BYTES):
            self.byte_count += len(chunk)
            if self.max_bytes is not None and self.byte_count > self.max_bytes:
                raise UploadTooLarge(f"The file is larger than {_size(self.max_bytes)}")
            self.sha256.update(chunk)
            yield chunk

    def _with_line_feeds(self) -> Iterator[bytes]:
        """The chunks, once the first line is known to end within MAX_HEADER_BYTES.

        A file whose first line ends in a carriage return alone (the classic Mac line end,
        still written by some exports) has every CR read as a line feed; others are passed
        on as they are, so the usual file pays nothing per chunk.
        """
        chunks = self._chunks()
        head = b""
        for chunk in chunks:
            head += chunk
            end = _first_line_end(head)
            if end is not None or len(head) > MAX_HEADER_BYTES:
                break
        else:
            end = _first_line_end(head, at_end_of_file=True)
        if (len(head) if end is None else end) > MAX_HEADER_BYTES:
            raise _Unreadable(
                RowError(
                    1,
                    "",
                    f"The file's first line is longer than {MAX_HEADER_BYTES:,} bytes: "
                    "the first line must be the column headings, such as phase,value",
                )
            )
        if end is not None and head[end : end + 1] == b"\r" and head[end + 1 : end + 2] != b"\n":
            yield head.replace(b"\r", b"\n")
            yield from (chunk.replace(b"\r", b"\n") for chunk in chunks)
            return
        yield head
        yield from chunks

    def _runs(self) -> Iterator[bytes]:
        """Runs of whole lines (the last run may lack its final newline)."""
        pending = b""
        for chunk in self._with_line_feeds():
            pending += chunk
            cut = pending.rfind(b"\n") + 1
            if cut:
                yield pending[:cut]
                pending = pending[cut:]
        if pending:
            yield pending

    def lines(self) -> Iterator[str]:
        first_line = 1
        for run in self._runs():
            if first_line == 1 and run.startswith((b"\xff\xfe", b"\xfe\xff", b"\0\0\xfe\xff")):
                raise _Unreadable(
                    RowError(
                        1,
                        "",
                        "The file is UTF-16 or UTF-32 text: save it as CSV UTF-8 and try again",
                    )
                )
            try:
                if b"\x00" in run:
                    raise ValueError("binary")
                text = run.decode("utf-8")
            except ValueError:
                # Always raises, after the good lines before the bad one.
                yield from self._lines_up_to_the_bad_one(run, first_line)
            if first_line == 1:
                text = text.removeprefix("\ufeff")
            yield from io.StringIO(text, newline="\n")
            first_line += run.count(b"\n")

    @staticmethod
    def _lines_up_to_the_bad_one(run: bytes, first_line: int) -> Iterator[str]:
        *complete, last = run.split(b"\n")
        pieces = [line + b"\n" for line in complete] + ([last] if last else [])
        for number, raw in enumerate(pieces, start=first_line):
            if b"\x00" in raw:
                raise _Unreadable(
                    RowError(
                        number,
                        "",
                        "This is not a CSV text file (it contains binary data): "
                        "save your spreadsheet as CSV UTF-8 and upload that",
                    )
                )
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _Unreadable(
                    RowError(
                        number,
                        "",
                        f"Not UTF-8 text (byte {error.start + 1} of this line): "
                        "save the file as CSV UTF-8 and try again",
                    )
                ) from None
            yield text.removeprefix("\ufeff") if number == 1 else text
        raise AssertionError("a run that failed to decode has a bad line")


def _first_line_end(head: bytes, at_end_of_file: bool = False) -> int | None:
    """Where the first line of `head` ends (its CR or LF), or None if not known yet: a CR at
    the very end may be the start of a CRLF."""
    ends = [i for i in (head.find(b"\n"), head.find(b"\r")) if i != -1]
    if not ends:
        return None
    end = min(ends)
    if end == len(head) - 1 and head[end:] == b"\r" and not at_end_of_file:
        return None
    return end


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024 / 1024:g} MB" if n_bytes >= 1024 * 1024 else f"{n_bytes:,} bytes"


def _normalise(heading: str) -> str:
    return re.sub(r"[\s\-]+", "_", heading.strip().lower())


def choose_delimiter(header_line: str, extra_columns: tuple[str, ...] = ()) -> str:
    """The separator (comma, semicolon or tab) that makes the most headings recognisable.

    Only the header is looked at, and only these three: a data row cannot tip the choice.
    Ties, and a header with nothing recognisable, go to the comma.
    """

    def recognised(delimiter: str) -> int:
        try:
            headings = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            return 0
        names = (_normalise(heading) for heading in headings)
        return sum(name in HEADING_TO_COLUMN or name in extra_columns for name in names)

    return max(DELIMITERS, key=lambda d: (recognised(d), -DELIMITERS.index(d)))


def read_header(
    headings: list[str], extra_columns: tuple[str, ...] = ()
) -> tuple[dict[str, tuple[int, str]], set[int], list[RowError]]:
    """Columns found (name → position, heading), positions with no heading, and problems.

    `extra_columns` are further required columns, matched by name (the multi-improvement
    upload's `improvement`)."""
    columns: dict[str, tuple[int, str]] = {}
    unnamed: set[int] = set()
    errors: list[RowError] = []
    known = ", ".join((*extra_columns, *ALIASES))
    for position, heading in enumerate(headings):
        shown = heading.strip()
        normalised = _normalise(heading)
        name = normalised if normalised in extra_columns else HEADING_TO_COLUMN.get(normalised)
        if not shown:
            unnamed.add(position)
        elif name is None:
            errors.append(RowError(1, shown, f"Unknown column “{shown}”: use only {known}"))
        elif name in columns:
            errors.append(RowError(1, shown, f"Duplicate column: {name} appears more than once"))
        else:
            columns[name] = (position, shown)
    for name in (*extra_columns, *REQUIRED):
        if name not in columns:
            errors.append(RowError(1, name, f"Missing column: add a column headed {name}"))
    return columns, unnamed, errors


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "unexpected end of data" in text:
        return 'A quoted field starts here and is never closed: add the missing quote (")'
    if "expected after" in text:
        return 'A quote inside a field must be doubled ("") or the whole field quoted'
    if "field larger than field limit" in text:
        return "A field is too long: is a closing quote missing?"
    if "new-line character seen" in text:
        return (
            "A line break (carriage return) is inside this line: "
            "save the file as CSV UTF-8 and try again"
        )
    return f"This line cannot be read as CSV ({text})"


@dataclass
class _Problems:
    limit: int
    listed: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, *errors: RowError) -> None:
        self.total += len(errors)
        room = self.limit - len(self.listed)
        self.listed.extend(errors[: max(room, 0)])

    def reject(self) -> RowsRejected:
        return RowsRejected(self.listed, total=self.total)


@dataclass(frozen=True)
class CsvChunk:
    """Consecutive good rows of a file: clean values (see `check_columns`), the raw text of
    any extra columns the caller asked for, and each row's line."""

    rows: pd.DataFrame
    extras: dict[str, np.ndarray]
    lines: np.ndarray


ExtraCheck = Callable[[dict[str, np.ndarray]], np.ndarray]


class MeasurementCsv:
    """A measurements CSV read as a stream, `CHUNK_ROWS` rows at a time, all or nothing.

    `chunks()` yields the file's clean rows chunk by chunk while the file has no problem so
    far; after the first problem it goes on reading only to find and count the rest. When it
    is done, `rejection()` is the `RowsRejected` to raise (or None): a caller that wrote the
    chunks must then undo them (one transaction). `UploadTooLarge` is raised as it happens.

    `extra_columns` are accepted besides the measurement columns (the multi-improvement upload
    adds `improvement`), required, and handed to `extra_check`, which answers a problem
    message (or None) per row; those are reported first on their row.
    """

    def __init__(
        self,
        stream: BinaryIO,
        limits: UploadLimits | None = None,
        *,
        extra_columns: tuple[str, ...] = (),
        extra_check: ExtraCheck | None = None,
        chunk_rows: int = CHUNK_ROWS,
    ):
        self.limits = limits or UploadLimits()
        self.source = _Reader(stream, self.limits.max_bytes)
        self.problems = _Problems(self.limits.max_errors)
        self.extra_columns = extra_columns
        self.extra_check = extra_check
        self.chunk_rows = chunk_rows
        self.columns: dict[str, str] = {}
        self.delimiter = ","
        self.row_count = 0  # good rows yielded
        self._data_rows = 0  # non-blank rows, good or bad (the row limit counts these)
        self._finished = False
        self._groups = _BlankGroups()

    @property
    def checksum_sha256(self) -> str:
        return self.source.sha256.hexdigest()

    @property
    def byte_count(self) -> int:
        return self.source.byte_count

    def rejection(self) -> RowsRejected | None:
        if self.problems.total:
            return self.problems.reject()
        if self._finished and not self.row_count:
            return RowsRejected([RowError(2, "", "There are no rows of data under the header")])
        return None

    def chunks(self) -> Iterator[CsvChunk]:
        try:
            yield from self._read()
        except _Unreadable as unreadable:
            self.problems.add(unreadable.error)
        self.problems.add(*self._groups.ambiguous(self.columns.get("group", "group")))
        self._finished = True

    def _read(self) -> Iterator[CsvChunk]:
        lines = self.source.lines()
        first = next(lines, None)
        if first is None:
            raise _Unreadable(RowError(1, "", "The file is empty"))
        self.delimiter = choose_delimiter(first, self.extra_columns)
        reader = csv.reader(itertools.chain([first], lines), delimiter=self.delimiter, strict=True)
        try:
            headings = next(reader)
        except csv.Error as error:
            raise _Unreadable(RowError(1, "", _csv_problem(error))) from None
        if len(headings) > MAX_COLUMNS:
            raise _Unreadable(RowError(1, "", self._too_wide(len(headings))))
        columns, unnamed, header_errors = read_header(headings, self.extra_columns)
        if header_errors:
            self.problems.add(*header_errors)
            return
        self.columns = {name: heading for name, (_, heading) in columns.items()}
        width = len(headings)
        lines_before = 0  # physical lines read before `reader` began
        if reader.line_num == 1:  # a one-line header: try the plain path
            next_line = 2
            while True:
                block = list(itertools.islice(lines, self.chunk_rows))
                if not block:
                    return
                cells = _plain_cells(block, self.delimiter, width)
                if cells is None:
                    # From here on the CSV reader decides, from this chunk's first line.
                    reader = csv.reader(
                        itertools.chain(block, lines), delimiter=self.delimiter, strict=True
                    )
                    lines_before = next_line - 1
                    break
                line_numbers = np.arange(next_line, next_line + len(block))
                next_line += len(block)
                batch = _RecordBatch(width, cells, line_numbers, [], next_line)
                yield from self._flush(batch, columns, unnamed)
        while True:
            first_line = lines_before + reader.line_num + 1
            records: list[list[str]] = []
            try:
                # C speed: no Python code runs per row here (see `_RecordBatch.of`).
                records.extend(itertools.islice(reader, self.chunk_rows))
            except csv.Error as error:
                batch = _RecordBatch.of(records, first_line, None, width)
                yield from self._flush(batch, columns, unnamed)
                failing_line = batch.next_line
                raise _Unreadable(RowError(failing_line, "", _csv_problem(error))) from None
            if not records:
                return
            batch = _RecordBatch.of(records, first_line, lines_before + reader.line_num, width)
            yield from self._flush(batch, columns, unnamed)

    def _too_wide(self, count: int) -> str:
        names = [*self.extra_columns, *ALIASES]
        return (
            f"The file's first line has {count:,} columns: Gains expects at most "
            f"{MAX_COLUMNS}, headed {', '.join(names[:-1])} or {names[-1]}. Delete the other "
            "columns, empty ones too, and save the file again"
        )

    def _flush(self, batch: _RecordBatch, columns, unnamed: set[int]) -> Iterator[CsvChunk]:
        """Check the rows collected so far; yield them if the file is still clean."""
        if not len(batch.lines) and not batch.broken:
            return
        cells = batch.cells
        # Blank rows (nothing but separators and spaces) are skipped. Look column by column,
        # only at the rows still blank: the first required column settles nearly every row.
        blank = np.ones(len(cells), dtype=bool)
        positions = [position for position, _ in columns.values()]
        for position in [*positions, *sorted(unnamed)]:
            still = np.flatnonzero(blank)
            if not len(still):
                break
            blank[still[_filled(cells[still, position])]] = False
        stray = np.zeros(len(cells), dtype=bool)
        for position in unnamed:
            stray |= _filled(cells[:, position])
        stray &= ~blank
        lines = batch.lines
        broken = sorted([*batch.broken, *((int(n), STRAY_VALUE) for n in lines[stray])])
        self._data_rows += len(batch.broken) + int((~blank).sum())
        if self.limits.max_rows is not None and self._data_rows > self.limits.max_rows:
            raise UploadTooLarge(f"The file has more than {self.limits.max_rows:,} rows")

        keep = ~blank & ~stray
        lines = lines[keep]
        raw = {
            ROW_KEYS.get(name, name): cells[keep, position]
            for name, (position, _) in columns.items()
        }
        extras = {name: raw.pop(name) for name in self.extra_columns}
        leading = []
        if self.extra_check is not None and len(lines):
            leading.append((self.extra_columns[0], self.extra_check(extras)))
        room = max(self.problems.limit - len(self.problems.listed), 0)
        checked = check_columns(raw, lines, room, leading=leading, all_text=True)
        if "group" in raw:
            owners = extras[self.extra_columns[0]] if self.extra_columns else None
            self._groups.note(raw["group"], owners, lines)
        found = sorted(
            [
                *(RowError(line, "", message) for line, message in broken[: room + 1]),
                *(
                    RowError(p.line, self.columns.get(p.column, p.column), p.message)
                    for p in checked.problems
                ),
            ],
            key=lambda problem: problem.line,
        )
        self.problems.total += len(broken) + checked.problem_count
        self.problems.listed.extend(found[:room])
        if self.problems.total:
            return
        self.row_count += len(lines)
        yield CsvChunk(checked.frame, extras, lines)


@dataclass
class _BlankGroups:
    """A blank group is treatment (`parse_row`), but not beside control rows of the same
    improvement in the same file: there it may be either, so it is refused (issue 19). Noted
    chunk by chunk, decided when the file is read (the multi-improvement upload keeps each
    improvement apart by its cell in the improvement column)."""

    first_blank_line: dict[str | None, int] = field(default_factory=dict)
    with_control: set[str | None] = field(default_factory=set)

    def note(self, groups: np.ndarray, owners: np.ndarray | None, lines: np.ndarray) -> None:
        codes, distinct = pd.factorize(groups)
        labels = pd.Series(distinct, dtype=object).str.strip().str.lower()
        blank = np.isin(codes, np.flatnonzero(labels.eq("").to_numpy()))
        control = np.isin(codes, np.flatnonzero(labels.eq("control").to_numpy()))
        if owners is None:
            keys = np.full(len(lines), None, dtype=object)
        else:
            keys = pd.Series(owners, dtype=object).str.strip().to_numpy(dtype=object)
        self.with_control.update(keys[control].tolist())
        for key, line in zip(keys[blank].tolist(), lines[blank].tolist(), strict=True):
            self.first_blank_line.setdefault(key, int(line))

    def ambiguous(self, heading: str) -> list[RowError]:
        return [
            RowError(
                line,
                heading,
                "Enter treatment or control: other rows for this improvement are control, "
                "so a blank group could be either",
            )
            for key, line in sorted(self.first_blank_line.items(), key=lambda item: item[1])
            if key in self.with_control
        ]


@dataclass
class _RecordBatch:
    """Records as `csv.reader` gave them, with their lines, ready to check as columns."""

    width: int
    cells: np.ndarray  # rows × width: the records with the header's number of fields
    lines: np.ndarray  # the physical line each of those starts on
    broken: list[tuple[int, str]]  # (line, problem) for a wrong number of fields
    next_line: int  # the line after the last record

    @classmethod
    def of(
        cls, records: list[list[str]], first_line: int, last_line: int | None, width: int
    ) -> _RecordBatch:
        """Number the records' lines. Each record is one line unless a quoted field holds
        line breaks: when the lines read do not match the count (or are unknown), count the
        breaks inside the fields, one more line each."""
        count = len(records)
        if last_line is not None and last_line - first_line + 1 == count:
            spans = np.ones(count, dtype=np.int64)
        else:
            spans = np.fromiter(
                (1 + sum(field.count("\n") for field in record) for record in records),
                dtype=np.int64,
                count=count,
            )
        starts = first_line + np.cumsum(spans) - spans
        next_line = first_line + int(spans.sum())
        lengths = np.fromiter(map(len, records), dtype=np.int64, count=count)
        wrong = np.flatnonzero(lengths != width)
        if not len(wrong):
            return cls(width, _as_cells(records, width), starts, [], next_line)
        broken = []
        for position in wrong:
            record = records[position]
            if "".join(record).strip():  # a blank line is skipped, whatever its fields
                fewer = "few" if len(record) < width else "many"
                message = f"Too {fewer} fields: expected {width}, found {len(record)}"
                broken.append((int(starts[position]), message))
        right = np.flatnonzero(lengths == width)
        kept = [records[p] for p in right]
        return cls(width, _as_cells(kept, width), starts[right], broken, next_line)


def _as_cells(records: list[list[str]], width: int) -> np.ndarray:
    return np.array(records, dtype=object).reshape(len(records), width)


def _plain_cells(lines: list[str], delimiter: str, width: int) -> np.ndarray | None:
    """The lines' cells (rows × width) when `csv.reader` could only split them at the
    separator, or None when it must read them (then it does, with its messages).

    That is: no quote, no carriage return but in a CRLF line end, every line with exactly
    the header's number of separators (so no blank or short line, no stray field), and no
    line longer than the reader's field limit. A machine-written export is all plain; we
    split it with `str.split` at C speed, without the reader's Python list per row.
    """
    text = "".join(lines)
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"  # the file's last line
    # Bytes, so vectorised: the separators and the newline are ASCII, and no byte of a
    # multi-byte UTF-8 character is ASCII.
    codes = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(codes == ord("\n"))
    separators = np.cumsum(codes == ord(delimiter))[ends]
    if (np.diff(separators, prepend=0) != width - 1).any():
        return None
    if np.diff(ends, prepend=-1).max() > csv.field_size_limit():
        return None
    cells = text[:-1].replace("\n", delimiter).split(delimiter)
    return np.array(cells, dtype=object).reshape(len(lines), width)


def _filled(cells: np.ndarray) -> np.ndarray:
    """Whether each cell has more than whitespace, deciding once per distinct value."""
    codes, distinct = pd.factorize(cells)
    return np.array([bool(value.strip()) for value in distinct], dtype=bool)[codes]


def parse_measurements_csv(stream: BinaryIO, limits: UploadLimits | None = None) -> ParsedUpload:
    """Parse and validate a measurements CSV from a binary stream, all or nothing.

    Raises `RowsRejected` with every problem (line, column, reason), or `UploadTooLarge`.
    The rows are kept as a list (the web upload's preview); `gains import` uses
    `MeasurementCsv` directly and never holds the whole file.
    """
    reading = MeasurementCsv(stream, limits)
    rows: list[dict[str, Any]] = []
    for chunk in reading.chunks():
        rows.extend(chunk_as_rows(chunk.rows))
    rejection = reading.rejection()
    if rejection is not None:
        raise rejection
    return ParsedUpload(
        rows=rows,
        columns=reading.columns,
        delimiter=reading.delimiter,
        checksum_sha256=reading.checksum_sha256,
        byte_count=reading.byte_count,
    )


def chunk_as_rows(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Clean rows as `parse_row` gives them (phase and group as enum members)."""
    for phase, group, unit_ref, observed_on, value in zip(
        frame["phase"],
        frame["group"],
        frame["unit_ref"],
        frame["observed_on"],
        frame["value"].tolist(),
        strict=True,
    ):
        yield {
            "phase": PHASES[phase],
            "group": GROUPS[group],
            "unit_ref": unit_ref,
            "observed_on": observed_on,
            "value": value,
        }
