"""Tables as CSV and XLSX files: formula-safe text, numbers as numbers, pounds formatted, and
the filters that produced them written at the top of the file."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, stream_with_context

from gains.spreadsheet_safety import safe_cell, write_safe_csv

# Excel refuses sheet names with these characters, longer than 31 characters, or that begin
# or end with an apostrophe (openpyxl raises on the first two).
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_TITLE_LIMIT = 31
GBP_FORMAT = '"£"#,##0;[Red]-"£"#,##0'
NUMBER_FORMAT = "#,##0.####"


@dataclass(frozen=True)
class Column:
    """A column: its ``header`` in words (pages and XLSX, for people), and optionally a
    machine ``key`` (snake_case) that a CSV's header row uses instead: CSV files are read by
    other systems, which need names that stay put when the words change (decision 0035)."""

    header: str
    kind: str = "text"  # text, gbp (pounds), number, month
    key: str | None = None

    @property
    def csv_header(self) -> str:
        return self.key or self.header


@dataclass(frozen=True)
class Table:
    name: str  # used in file names: lowercase, hyphens
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]  # a CSV streams any iterable; XLSX and pages need a list


def pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


def yes_no(flag: bool) -> str:
    """A flag as a file's cell: words a spreadsheet and a reader both take as they are."""
    return "yes" if flag else "no"


def _csv_value(value: Any, column: Column) -> Any:
    if column.kind == "month" and isinstance(value, date):
        return f"{value:%Y-%m}"
    if column.kind == "gbp" and value is not None:
        # A Decimal, not text, so that the CSV writer's formula guard leaves "-123.00" alone.
        return Decimal(value).quantize(Decimal("0.01"))
    return value


def table_to_csv(table: Table, filters: Sequence[tuple[str, str]]) -> str:
    return "".join(csv_chunks(table, filters))


# Rows written per chunk of a streamed CSV: an improvement's measurements can be a million
# rows, which a response sends as it writes them rather than holding the file in memory.
CSV_CHUNK_ROWS = 5_000


def csv_chunks(table: Table, filters: Sequence[tuple[str, str]]) -> Iterator[str]:
    """The CSV of `table_to_csv` in pieces: the title, the filters, the header row of keys,
    then the rows a chunk at a time (``table.rows`` may be any iterable, read once)."""
    out = io.StringIO()
    head: list[list[Any]] = [[table.title], *[[name, value] for name, value in filters], []]
    write_safe_csv(out, [*head, [column.csv_header for column in table.columns]])
    for number, row in enumerate(table.rows, start=1):
        write_safe_csv(out, [[_csv_value(v, c) for v, c in zip(row, table.columns, strict=True)]])
        if number % CSV_CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_response(table: Table, filters: Sequence[tuple[str, str]], file_name: str) -> Response:
    """`table` as a CSV download named ``file_name``, streamed."""
    response = Response(stream_with_context(csv_chunks(table, filters)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def sheet_title(title: str) -> str:
    """The table's title as a sheet name Excel accepts: forbidden characters become spaces,
    and a title too long is cut at a word where one ends late enough to keep the sense."""
    words = " ".join(SHEET_TITLE_FORBIDDEN.sub(" ", title).split()).strip("'").strip()
    if len(words) > SHEET_TITLE_LIMIT:
        cut = words[: SHEET_TITLE_LIMIT + 1].rsplit(" ", 1)[0][:SHEET_TITLE_LIMIT]
        words = cut if len(cut) >= SHEET_TITLE_LIMIT // 2 else words[:SHEET_TITLE_LIMIT]
    return words.strip("'").strip() or "Sheet"


def table_to_xlsx(table: Table, filters: Sequence[tuple[str, str]]) -> bytes:
    # openpyxl (0.3 s) when a workbook is asked for, not whenever the app starts.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(table.title)
    sheet.append([safe_cell(table.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    for name, value in filters:
        sheet.append([safe_cell(name), safe_cell(value)])
    sheet.append([])
    sheet.append([safe_cell(column.header) for column in table.columns])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(
            [
                v if c.kind != "text" else safe_cell(v)
                for v, c in zip(row, table.columns, strict=True)
            ]
        )
        for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
            if column.kind == "gbp":
                cell.number_format = GBP_FORMAT
            elif column.kind == "month":
                cell.number_format = "mmm yyyy"
            elif column.kind == "number":
                cell.number_format = NUMBER_FORMAT
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            14, len(column.header) + 4
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
