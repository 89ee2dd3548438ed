"""Writes the malformed-CSV corpus and its manifest, expected.json (both committed).

Run `python tests/data/bad_csv/make_corpus.py` after changing a case. Each file covers one way
a measurements CSV goes wrong; the manifest lists, for each, every problem the upload must
report: (line, column, a fragment of the message). Line 1 is the header. The non-UTF-8 and
binary cases are written as bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent

NOT_A_NUMBER = "Enter a number"
FINITE = "Enter a finite number"
NO_VALUE = "Enter a value"
PHASE = "Enter before or after"
GROUP = "Enter treatment or control"
DATE = "Enter a real date"
NOT_UTF8 = "Not UTF-8 text"
BINARY = "not a CSV text file"

CASES: dict[str, tuple[bytes, list[tuple[int, str, str]]]] = {
    # Empty and header-only files.
    "empty.csv": (b"", [(1, "", "The file is empty")]),
    "header_only.csv": (b"phase,value\n", [(2, "", "no rows of data")]),
    "header_then_blank_lines.csv": (b"phase,value\r\n\r\n,\r\n", [(2, "", "no rows of data")]),
    # Headers: missing, duplicate, unknown.
    "missing_value_header.csv": (
        b"phase,amount\nbefore,1\n",
        [
            (1, "amount", "Unknown column"),
            (1, "value", "Missing column: add a column headed value"),
        ],
    ),
    "missing_phase_header.csv": (
        b"value\n1\n",
        [(1, "phase", "Missing column: add a column headed phase")],
    ),
    "duplicate_header.csv": (
        b"phase,value,value\nbefore,1,2\n",
        [(1, "value", "Duplicate column: value appears more than once")],
    ),
    "duplicate_header_by_alias.csv": (
        b"phase,unit,unit_ref,value\nbefore,A,A,1\n",
        [(1, "unit_ref", "Duplicate column: unit appears more than once")],
    ),
    "unknown_header.csv": (
        b"phase,value,notes\nbefore,1,fine\n",
        [(1, "notes", "Unknown column")],
    ),
    "misspelt_group_header.csv": (
        b"phase,grup,value\nafter,control,1\n",
        [(1, "grup", "Unknown column")],
    ),
    "value_under_unnamed_column.csv": (
        b"phase,value,\nbefore,1,\nafter,2,oops\n",
        [(3, "", "in a column with no heading")],
    ),
    # Values.
    "not_a_number.csv": (b"phase,value\nbefore,12\nafter,twelve\n", [(3, "value", NOT_A_NUMBER)]),
    "number_with_units.csv": (b"phase,value\nbefore,12kg\n", [(2, "value", NOT_A_NUMBER)]),
    "decimal_comma.csv": (
        b'phase,value\nbefore,"1,5"\n',
        [(2, "value", "with a full stop for decimals")],
    ),
    "double_sign.csv": (b"\xef\xbb\xbfphase,value\nafter,--1\n", [(2, "value", NOT_A_NUMBER)]),
    "infinite.csv": (b"phase,value\nbefore,1\nbefore,inf\n", [(3, "value", FINITE)]),
    "nan.csv": (b"phase,value\nafter,NaN\n", [(2, "value", FINITE)]),
    "overflow.csv": (b"phase,value\nafter,1e999\n", [(2, "value", FINITE)]),
    "empty_value.csv": (b"phase,value\nbefore,\n", [(2, "value", NO_VALUE)]),
    "blank_value.csv": (b'phase,value\nbefore,"   "\n', [(2, "value", NO_VALUE)]),
    "semicolon_bad_number.csv": (b"phase;value\nbefore;abc\n", [(2, "value", NOT_A_NUMBER)]),
    # Phase and group.
    "unknown_phase.csv": (b"phase,value\nduring,3\n", [(2, "phase", PHASE)]),
    "empty_phase.csv": (b"phase,value\nbefore,1\n,5\n", [(3, "phase", PHASE)]),
    "unknown_group.csv": (b"phase,group,value\nafter,placebo,3\n", [(2, "group", GROUP)]),
    # Dates and unit references.
    "impossible_date.csv": (b"phase,date,value\nbefore,2026-02-30,1\n", [(2, "date", DATE)]),
    "impossible_uk_date.csv": (b"phase,date,value\nbefore,31/04/2026,1\n", [(2, "date", DATE)]),
    "unreadable_date.csv": (b"phase,date,value\nbefore,May 5th,1\n", [(2, "date", DATE)]),
    "bad_date_under_alias.csv": (
        b"Phase,Observed On,Value\r\nbefore,2026-13-01,1\r\n",
        [(2, "Observed On", DATE)],
    ),
    "unit_too_long.csv": (
        b"phase,unit,value\nbefore," + b"u" * 101 + b",1\n",
        [(2, "unit", "Unit reference must be 100 characters or fewer")],
    ),
    # Shape: ragged rows, quotes.
    "too_many_fields.csv": (
        b"phase,value\nbefore,1\nbefore,1,2\n",
        [(3, "", "Too many fields: expected 2, found 3")],
    ),
    "too_few_fields.csv": (
        b"phase,group,value\nbefore,1\n",
        [(2, "", "Too few fields: expected 3, found 2")],
    ),
    "unclosed_quote.csv": (
        b'phase,value\nbefore,1\nbefore,"12\nafter,3\n',
        [(3, "", "never closed")],
    ),
    "stray_quote.csv": (
        b'phase,value\n"before"x,1\n',
        [(2, "", 'A quote inside a field must be doubled ("")')],
    ),
    # Line ends and headers the reader must refuse without an exception.
    "cr_only_line_ends.csv": (b"phase,value\rbefore,1\rafter,x\r", [(3, "value", NOT_A_NUMBER)]),
    "cr_inside_a_line.csv": (b"phase,value\nbefore,1\rafter,2\n", [(2, "", "carriage return")]),
    "header_unclosed_quote.csv": (b'"phase,value\nbefore,1\n', [(1, "", "never closed")]),
    "header_stray_quote.csv": (b'"phase"x,value\nbefore,1\n', [(1, "", "must be doubled")]),
    "header_too_wide.csv": (
        b"phase,value" + b"," * 60 + b"\nbefore,1" + b"," * 60 + b"\n",
        [(1, "", "The file's first line has 62 columns: Gains expects at most 50")],
    ),
    "header_too_long.csv": (
        b"phase,value," + b"x" * 11_000 + b"\nbefore,1,\n",
        [(1, "", "The file's first line is longer than 10,240 bytes")],
    ),
    # Encoding and binary files.
    "latin1.csv": (b"phase,unit,value\nbefore,caf\xe9,1\n", [(2, "", NOT_UTF8 + " (byte 11")]),
    "windows_1252_quotes.csv": (
        b"phase,unit,value\nbefore,a,1\nafter,\x93b\x94,2\n",
        [(3, "", NOT_UTF8 + " (byte 7")],
    ),
    "truncated_utf8.csv": (b"phase,unit,value\nbefore,\xe2\x82", [(2, "", NOT_UTF8)]),
    "utf16.csv": ("phase,value\nbefore,1\n".encode("utf-16"), [(1, "", "UTF-16")]),
    "utf16_big_endian.csv": (
        b"\xfe\xff" + "phase,value\r\nbefore,1\r\n".encode("utf-16-be"),
        [(1, "", "UTF-16")],
    ),
    "utf32.csv": ("phase,value\nbefore,1\n".encode("utf-32"), [(1, "", "UTF-32")]),
    "nul_byte.csv": (b"phase,value\nbefore,1\x00\n", [(2, "", BINARY)]),
    "xlsx_renamed.csv": (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", [(1, "", BINARY)]),
    "png_renamed.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", [(1, "", NOT_UTF8 + " (byte 1")]),
    # Several problems: every one is listed.
    "many_problems.csv": (
        b"phase,group,value\nbefore,treatment,1\nduring,treatment,x\nafter,placebo,inf\n",
        [
            (3, "phase", PHASE),
            (3, "value", NOT_A_NUMBER),
            (4, "group", GROUP),
            (4, "value", FINITE),
        ],
    ),
}


def main() -> None:
    manifest = {}
    for name, (content, problems) in CASES.items():
        (HERE / name).write_bytes(content)
        manifest[name] = [
            {"line": line, "column": column, "message": message}
            for line, column, message in problems
        ]
    (HERE / "expected.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
