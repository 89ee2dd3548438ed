"""Measurement CSV files, parsed as a stream and checked row by row (no Flask here).

The file is read in chunks of `CHUNK_BYTES`, split into physical lines, each decoded as
strict UTF-8 and fed to `csv.reader`, so memory holds one chunk and the parsed rows, never
the file twice. We split and decode lines ourselves rather than wrap the stream in
`io.TextIOWrapper` so that a byte that is not UTF-8 can be reported with its line and
position, as a spreadsheet user sees them (the header is line 1).

Every row goes through `measurement_rows.parse_row`, the validation the form, API and CLI use.
Every problem is collected (the first `max_errors` listed, all counted). Problems that make the
rest of the file unreadable (not UTF-8, binary, an unclosed quote, a bad header) stop there.

Decisions: columns are matched case-insensitively with a few aliases; an unknown column
rejects the file (a misspelt "grup" column must not silently make every row treatment);
columns with an empty heading are allowed if every cell under them is empty (Excel leaves
them behind); lines with nothing but separators are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from gains.services.measurement_rows import RowError, RowsRejected, parse_row

CHUNK_BYTES = 64 * 1024
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
KNOWN = ", ".join(ALIASES)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
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
    """Physical lines of a binary stream, decoded; counts and hashes every byte read."""

    stream: BinaryIO
    max_bytes: int
    byte_count: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)

    def _chunks(self) -> Iterator[bytes]:
        while chunk := self.stream.read(CHUNK_BYTES):
            self.byte_count += len(chunk)
            if self.byte_count > self.max_bytes:
                raise UploadTooLarge(f"The file is larger than {_size(self.max_bytes)}")
            self.sha256.update(chunk)
            yield chunk

    def _raw_lines(self) -> Iterator[bytes]:
        partial: list[bytes] = []
        for chunk in self._chunks():
            *complete, rest = chunk.split(b"\n")
            for piece in complete:
                partial.append(piece)
                yield b"".join(partial) + b"\n"
                partial = []
            partial.append(rest)
        if any(partial):
            yield b"".join(partial)

    def lines(self) -> Iterator[str]:
        for number, raw in enumerate(self._raw_lines(), start=1):
            if number == 1 and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise _Unreadable(
                    RowError(1, "", "The file is UTF-16 text: save it as CSV UTF-8 and try again")
                )
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


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024 / 1024:g} MB" if n_bytes >= 1024 * 1024 else f"{n_bytes:,} bytes"


def _normalise(heading: str) -> str:
    return re.sub(r"[\s\-]+", "_", heading.strip().lower())


def choose_delimiter(header_line: str) -> str:
    """The separator (comma, semicolon or tab) that makes the most headings recognisable.

    Only the header is looked at, and only these three: a data row cannot tip the choice.
    Ties, and a header with nothing recognisable, go to the comma.
    """

    def recognised(delimiter: str) -> int:
        try:
            headings = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            return 0
        return sum(_normalise(h) in HEADING_TO_COLUMN for h in headings)

    return max(DELIMITERS, key=lambda d: (recognised(d), -DELIMITERS.index(d)))


def read_header(headings: list[str]) -> tuple[dict[str, tuple[int, str]], set[int], list[RowError]]:
    """Columns found (name → position, heading), positions with no heading, and problems."""
    columns: dict[str, tuple[int, str]] = {}
    unnamed: set[int] = set()
    errors: list[RowError] = []
    for position, heading in enumerate(headings):
        shown = heading.strip()
        name = HEADING_TO_COLUMN.get(_normalise(heading))
        if not shown:
            unnamed.add(position)
        elif name is None:
            errors.append(RowError(1, shown, f"Unknown column “{shown}”: use only {KNOWN}"))
        elif name in columns:
            errors.append(RowError(1, shown, f"Duplicate column: {name} appears more than once"))
        else:
            columns[name] = (position, shown)
    for name in REQUIRED:
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


def parse_measurements_csv(stream: BinaryIO, limits: UploadLimits | None = None) -> ParsedUpload:
    """Parse and validate a measurements CSV from a binary stream, all or nothing.

    Raises `RowsRejected` with every problem (line, column, reason), or `UploadTooLarge`.
    """
    limits = limits or UploadLimits()
    source = _Reader(stream, limits.max_bytes)
    problems = _Problems(limits.max_errors)
    lines = source.lines()
    try:
        first = next(lines, None)
        if first is None:
            raise _Unreadable(RowError(1, "", "The file is empty"))
        delimiter = choose_delimiter(first)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        headings = next(reader)
        columns, unnamed, header_errors = read_header(headings)
        if header_errors:
            problems.add(*header_errors)
            raise problems.reject()
        rows = _read_rows(reader, columns, unnamed, len(headings), limits, problems)
    except _Unreadable as unreadable:
        problems.add(unreadable.error)
        raise problems.reject() from None
    if problems.total:
        raise problems.reject()
    if not rows:
        raise RowsRejected([RowError(2, "", "There are no rows of data under the header")])
    return ParsedUpload(
        rows=rows,
        columns={name: heading for name, (_, heading) in columns.items()},
        delimiter=delimiter,
        checksum_sha256=source.sha256.hexdigest(),
        byte_count=source.byte_count,
    )


def _read_rows(
    reader,
    columns: dict[str, tuple[int, str]],
    unnamed: set[int],
    width: int,
    limits: UploadLimits,
    problems: _Problems,
) -> list[dict[str, Any]]:
    shown = {name: heading for name, (_, heading) in columns.items()}
    rows: list[dict[str, Any]] = []
    data_rows = 0
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader, None)
        except csv.Error as error:
            raise _Unreadable(RowError(line, "", _csv_problem(error))) from None
        if record is None:
            return rows
        if not any(cell.strip() for cell in record):
            continue
        data_rows += 1
        if data_rows > limits.max_rows:
            raise UploadTooLarge(f"The file has more than {limits.max_rows:,} rows")
        if len(record) != width:
            fewer = "few" if len(record) < width else "many"
            problems.add(
                RowError(line, "", f"Too {fewer} fields: expected {width}, found {len(record)}")
            )
            continue
        if any(record[position].strip() for position in unnamed):
            problems.add(RowError(line, "", "A value is in a column with no heading"))
            continue
        raw = {ROW_KEYS[name]: record[position] for name, (position, _) in columns.items()}
        row, errors = parse_row(line, raw)
        if errors:
            problems.add(
                *(RowError(e.line, shown.get(e.column, e.column), e.message) for e in errors)
            )
        elif not problems.total:
            rows.append(row)
