"""Hypothesis strategies for odd but possible input: text, numbers, dates, JSON and CSV files.

Each strategy mixes the values issue 17 found breaking pages (1e308, 20- and 5,000-digit
integers, NUL, `$`, dates in year 1 and 9999, CR-only line endings ...) with plausible ones,
so that a generated form or file gets past the first check often enough to reach the
services behind it.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from hypothesis import strategies as st

# Text that has broken, or could break, a page, a chart, a spreadsheet or a database.
ODD_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x07\x08\x0b\x0c\x1b",
    "\u202eRTL override\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd\u200e",
    "مرحبا بالعالم",
    "😀🚀👩🏽‍💻",
    "\ufeffBOM",
    "$x$",
    "$\\frac{1}{0}$",
    "50$ and $",
    "{{ 7*7 }}",
    "{% raw %}",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    '=HYPERLINK("http://x")',
    "line\rline",
    "line\r\nline\nline\rline",
    "\u2028\u2029",
    "a" * 201,
    "x" * 5000,
    "Robert'); DROP TABLE improvements;--",
    "%s%n%x",
    "../../etc/passwd",
    ":?*[]/\\",
)
# A lone surrogate cannot be encoded as UTF-8: a form post would fail in the client, so it
# is sent in JSON (as "\ud800") and in CSV files as raw bytes (bad UTF-8) instead.
LONE_SURROGATE = "\ud800"

ODD_NUMBER_TEXT = (
    "0",
    "-0",
    "-0.0",
    "0.0000000001",
    "1e-320",
    "1e308",
    "-1e308",
    "1e309",
    "1.7976931348623157e308",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "12345678901234567890",
    "99999999999999999999",
    "9" * 5000,
    "9223372036854775808",
    "2147483648",
    "-1",
    "1,5",
    "1 000",
    "£1,250.50",
    "1_000",
    "0x10",
    "١٢٣",
    "²",
    "1e",
    "+",
    ".",
    "1.2.3",
)

# Dates: the edges of any plausible range and beyond, leap days, missing parts.
EDGE_DATES = (
    (1, 1, 1),
    (9999, 12, 31),
    (1989, 12, 31),
    (1990, 1, 1),
    (2100, 12, 31),
    (2101, 1, 1),
    (2024, 2, 29),
    (2023, 2, 29),
    (2026, 13, 1),
    (2026, 4, 31),
    (0, 0, 0),
    (10000, 1, 1),
)
ODD_DATE_TEXT = (
    "0001-01-01",
    "9999-12-31",
    "1989-12-31",
    "2101-01-01",
    "2024-02-29",
    "2023-02-29",
    "29/02/2023",
    "31/12/9999",
    "01/01/0001",
    "2026-00-10",
    "2026-5-1",
    "2026-05",
    "20260501",
    "10000-01-01",
)

PLAUSIBLE_TEXT = ("Fuzz", "A plain title", "12", "Case 7")


def odd_text() -> st.SearchStrategy[str]:
    """Odd strings, the listed ones and random ones with control and non-BMP characters."""
    return st.one_of(
        st.sampled_from(ODD_TEXT + ODD_NUMBER_TEXT + ODD_DATE_TEXT),
        st.text(
            alphabet=st.characters(
                codec="utf-8",
                categories=("L", "N", "P", "S", "Z", "Cc", "Cf", "Mn"),
            ),
            max_size=60,
        ),
    )


def plausible_text() -> st.SearchStrategy[str]:
    return st.sampled_from(PLAUSIBLE_TEXT)


def odd_date_parts() -> st.SearchStrategy[tuple[str, str, str]]:
    """Day, month and year as typed in a GOV.UK date input, some parts missing."""
    whole = st.sampled_from(EDGE_DATES).map(lambda ymd: (str(ymd[2]), str(ymd[1]), str(ymd[0])))
    part = st.one_of(st.just(""), st.sampled_from(("1", "31", "x", "-1", "99999999999999999999")))
    return st.one_of(whole, st.tuples(part, part, part))


# JSON: numbers that no float or database column can hold, written out as raw JSON text.
RAW_JSON_NUMBERS = (
    "1e308",
    "-1e308",
    "1e400",
    "-0.0",
    "5e-324",
    "NaN",
    "Infinity",
    "-Infinity",
    "12345678901234567890",
    "9" * 5000,
    "9223372036854775808",
    "-9223372036854775809",
    "2147483648",
)


class RawJson:
    """A piece of JSON written as is (json.dumps cannot write a 5,000-digit integer)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"RawJson({self.text[:40]!r})"


def odd_json_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(RAW_JSON_NUMBERS).map(RawJson),
        st.sampled_from((*ODD_TEXT, *ODD_DATE_TEXT, LONE_SURROGATE, "a" + LONE_SURROGATE)),
        st.sampled_from((None, True, False, 0, -1, [], {}, [None], {"a": 1})),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def dumps(value: Any) -> str:
    """JSON text of `value`, RawJson pieces written as they are."""
    raws: list[str] = []

    def default(obj: Any) -> str:
        if isinstance(obj, RawJson):
            raws.append(obj.text)
            return f"\x00raw{len(raws) - 1}\x00"
        raise TypeError(type(obj))

    text = json.dumps(value, default=default)
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), raw)
    return text


class JsonText:
    """A request body's text, shown short in a failing example's report."""

    def __init__(self, text: str):
        self.text = text

    def encode(self) -> bytes:
        return self.text.encode("utf-8", "surrogatepass")

    def __repr__(self) -> str:
        more = "..." if len(self.text) > 300 else ""
        return f"JsonText({len(self.text):,} chars, {self.text[:300]!r}{more})"


# Deeply nested JSON: the parser's recursion, not the schema, is what gets tested.
DEEP_JSON = "[" * 100_000 + "]" * 100_000


# CSV files ------------------------------------------------------------------------------

HEADERS = (
    ["phase", "group", "unit", "date", "value"],
    ["phase", "value"],
    ["Phase", "Value", "Date"],
    ["period", "arm", "unit_ref", "observed_on", "measurement"],
)
MANY_HEADERS = (["improvement", "phase", "group", "unit", "date", "value"],)
GOOD_VALUES = ("10", "9.5", "12", "8", "11.25", "7")


def _csv_cell() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(GOOD_VALUES),
        st.sampled_from(ODD_NUMBER_TEXT + ODD_DATE_TEXT),
        odd_text(),
    )


@st.composite
def csv_rows(draw, header: list[str], improvement_refs: list[str] | None = None) -> list[list[str]]:
    """Rows for `header`: mostly valid, some cells odd, some rows short or long."""
    count = draw(st.integers(min_value=0, max_value=14))
    rows = []
    for index in range(count):
        cells = []
        for column in header:
            name = column.lower()
            if draw(st.integers(0, 5)) == 0:
                cells.append(draw(_csv_cell()))
            elif name in ("phase", "period"):
                cells.append("before" if index % 2 == 0 else "after")
            elif name in ("group", "arm"):
                cells.append("treatment")
            elif name in ("unit", "unit_ref"):
                cells.append(f"case {index}")
            elif name in ("date", "observed_on"):
                cells.append(f"2026-0{4 + index % 2}-1{index % 9}")
            elif name == "improvement" and improvement_refs:
                cells.append(draw(st.sampled_from(improvement_refs)))
            else:
                cells.append(GOOD_VALUES[index % len(GOOD_VALUES)])
        shape = draw(st.integers(0, 12))
        if shape == 0:
            cells = cells[:-1]
        elif shape == 1:
            cells = [*cells, "stray"]
        rows.append(cells)
    return rows


def _quote(cell: str) -> str:
    if any(ch in cell for ch in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252")


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass")
    return (
        text.encode(encoding, "replace")
        if encoding != "utf-8"
        else text.encode("utf-8", "surrogatepass")
    )


class CsvFile(bytes):
    """A generated file's bytes, shown short in a failing example's report (a file of
    100,000 columns would otherwise print as a megabyte)."""

    shape = ""

    def __repr__(self) -> str:
        more = "..." if len(self) > 160 else ""
        return f"CsvFile({self.shape}, {len(self):,} bytes, {bytes(self[:160])!r}{more})"


def _file(data: bytes, shape: str) -> CsvFile:
    made = CsvFile(data)
    made.shape = shape
    return made


@st.composite
def csv_files(draw, headers=HEADERS, improvement_refs: list[str] | None = None) -> CsvFile:
    """A CSV file's bytes: plausible files with odd cells, and the odd shapes of whole files
    (empty, header only, very wide, unbalanced quotes, bad UTF-8, UTF-16, CR-only lines)."""
    shape = draw(
        st.sampled_from(
            (
                "rows",
                "rows",
                "rows",
                "empty",
                "header only",
                "wide",
                "huge value",
                "unbalanced quote",
                "bad utf-8",
                "nul",
                "binary",
            )
        )
    )
    header = list(draw(st.sampled_from(headers)))
    if shape == "empty":
        data = draw(st.sampled_from((b"", b"\n", b"\r\n\r\n", b",,,\n", b"\xef\xbb\xbf")))
        return _file(data, shape)
    rows = [] if shape == "header only" else draw(csv_rows(header, improvement_refs))
    if shape == "wide":
        # Columns drawn as a block, not one by one: a 100,000-column header in one draw.
        width = draw(st.sampled_from((300, 100_000)))
        extra = draw(st.sampled_from(("", "extra", "value")))
        header = header + [f"{extra}{i}" if extra else "" for i in range(width)]
    if shape == "huge value" and rows:
        rows[0][-1] = draw(st.sampled_from(("1e308", "9" * 5000, "-1e308", "nan", "inf")))
    newline = draw(st.sampled_from(("\n", "\r\n", "\r", "mixed")))
    lines = [",".join(_quote(cell) for cell in row) for row in [header, *rows]]
    if newline == "mixed":
        text = "".join(line + ("\n", "\r\n", "\r")[i % 3] for i, line in enumerate(lines))
    else:
        text = newline.join(lines) + draw(st.sampled_from(("", newline)))
    if shape == "unbalanced quote":
        text = text.replace(",", ',"', 1)
    if shape == "nul":
        text = text.replace(",", ",\x00", 2)
    encoding = draw(st.sampled_from(ENCODINGS)) if shape != "bad utf-8" else "utf-8"
    data = _encode(text, encoding)
    if shape == "bad utf-8":
        cut = draw(st.integers(0, max(0, len(data) - 1)))
        data = data[:cut] + draw(st.sampled_from((b"\xff", b"\xc3", b"\xed\xa0\x80"))) + data[cut:]
    if shape == "binary":
        data = draw(st.sampled_from((b"\x89PNG\r\n\x1a\n\x00\x00", b"PK\x03\x04\x14\x00")))
    return _file(data, f"{shape}, {encoding}, {newline!r} line endings")
