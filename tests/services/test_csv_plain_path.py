"""The plain path of the CSV parser (`csv_upload._plain_cells`: chunks with no quotes are
split with `str.split` instead of `csv.reader`) gives exactly what the CSV reader gives:
the same clean rows, the same problems on the same lines, the same counts, for files that
mix plain chunks with ones only the reader can read (quotes, blank and short lines, CRLF,
stray values), at chunk sizes that put the switch anywhere."""

from __future__ import annotations

import io
import random

import numpy as np
import pandas as pd
import pytest

from gains.services.measurements import csv_upload
from gains.services.measurements.csv_upload import MeasurementCsv, UploadLimits

GOOD_CELLS = [
    ("before", "treatment", "case 1", "2026-04-01", "12.5"),
    ("after", "Control", " café 2 ", "01/06/2026", "-3e2"),
    ("AFTER", "", "", "", "7"),
    ("before", "treatment", "unit;3", "2026-02-28", "+.5"),
]
BAD_CELLS = [
    ("during", "treatment", "case 1", "2026-04-01", "1"),
    ("before", "arm", "x" * 101, "2026-02-30", "1,5"),
    ("after", "treatment", "case 2", "2026-04-01", "inf"),
    ("before", "treatment", "case 2", "31/13/2026", ""),
]


def random_file(seed: int, delimiter: str) -> bytes:
    """Mostly plain rows; now and then a bad row, a quoted field, a blank or short line,
    a line of separators, a stray value under an unnamed column, or CRLF."""
    rng = random.Random(seed)
    header = ["phase", "group", "unit", "date", "value", ""]
    newline = "\r\n" if rng.random() < 0.3 else "\n"
    lines = [delimiter.join(header)]
    for _ in range(rng.randint(1, 60)):
        roll = rng.random()
        cells = [*rng.choice(BAD_CELLS if roll < 0.1 else GOOD_CELLS), ""]
        if delimiter in "".join(cells):
            cells = [cell.replace(delimiter, " ") for cell in cells]
        if 0.1 <= roll < 0.13:
            cells[2] = '"quoted, with ""quotes""\nand a line break"'
        elif 0.13 <= roll < 0.15:
            lines.append("")
            continue
        elif 0.15 <= roll < 0.17:
            cells = cells[:3]
        elif 0.17 <= roll < 0.19:
            cells = [""] * 6
        elif 0.19 <= roll < 0.21:
            cells[5] = "stray"
        elif 0.21 <= roll < 0.22:
            cells[4] = "1\r2"
        lines.append(delimiter.join(cells))
    ending = newline if rng.random() < 0.8 else ""
    return (newline.join(lines) + ending + ("\n\n" if rng.random() < 0.2 else "")).encode()


def read(content: bytes, chunk_rows: int) -> dict:
    reading = MeasurementCsv(
        io.BytesIO(content), UploadLimits(max_errors=1000), chunk_rows=chunk_rows
    )
    chunks = list(reading.chunks())
    frames = [chunk.rows for chunk in chunks]
    lines = [chunk.lines for chunk in chunks]
    rejection = reading.rejection()
    return {
        "rows": pd.concat(frames, ignore_index=True) if frames else None,
        "lines": np.concatenate(lines).tolist() if lines else [],
        "row_count": reading.row_count,
        "problems": None
        if rejection is None
        else (rejection.total, [(e.line, e.column, e.message) for e in rejection.errors]),
    }


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_plain_path_reads_exactly_as_the_csv_reader(monkeypatch, delimiter):
    plain_chunks = 0
    original = csv_upload._plain_cells

    def counting(*args):
        nonlocal plain_chunks
        cells = original(*args)
        plain_chunks += cells is not None
        return cells

    for seed in range(60):
        content = random_file(seed, delimiter)
        for chunk_rows in (1, 3, 7, 1000):
            monkeypatch.setattr(csv_upload, "_plain_cells", counting)
            fast = read(content, chunk_rows)
            monkeypatch.setattr(csv_upload, "_plain_cells", lambda *args: None)
            reader_only = read(content, chunk_rows)
            assert fast["problems"] == reader_only["problems"], (seed, chunk_rows)
            assert fast["row_count"] == reader_only["row_count"]
            assert fast["lines"] == reader_only["lines"]
            if fast["rows"] is not None:
                pd.testing.assert_frame_equal(fast["rows"], reader_only["rows"])
    assert plain_chunks > 200  # the plain path did run, often


def test_what_the_plain_path_leaves_to_the_reader():
    width = 3
    assert csv_upload._plain_cells(["a,b,c\n", "d,e,f"], ",", width).tolist() == [
        ["a", "b", "c"],
        ["d", "e", "f"],
    ]
    assert csv_upload._plain_cells(["a,b,c\r\n"], ",", width).tolist() == [["a", "b", "c"]]
    for lines in (
        ['a,"b",c\n'],  # a quote
        ["a,b\n"],  # too few fields
        ["a,b,c,d\n"],  # too many
        ["a,b,c\n", "\n"],  # a blank line
        ["a,b\r,c\n"],  # a carriage return inside a line
        ["a,b,c\n", "a,b,c,d\n", "a,b\n"],  # the right number of separators in all
        ["a,b," + "x" * (csv_upload.csv.field_size_limit() + 1) + "\n"],  # over the limit
    ):
        assert csv_upload._plain_cells(lines, ",", width) is None, lines
