"""Exported text that a spreadsheet will not run as a formula (CSV/formula injection).

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (and, after a tab or
carriage return, the same) as a formula, so a unit reference such as `=HYPERLINK(...)` typed
into Gains could run on a reviewer's machine when they open an export. OWASP's advice: prefix
such text with a single quote, which spreadsheets show as text. Real numbers are left alone
(a negative value must stay a number).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, or for text that a spreadsheet would read as a formula, `'` + the text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return value  # a number, negative ones included, is never read as a formula
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_safe_csv(out: TextIO, rows: Iterable[Iterable[Any]]) -> None:
    """Write rows in Excel's CSV dialect with every text cell made formula-safe."""
    writer = csv.writer(out, dialect="excel")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
