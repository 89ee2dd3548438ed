"""Formula-injection protection for exported text (OWASP "CSV injection")."""

import io

import pytest

from gains.spreadsheet_safety import safe_cell, write_safe_csv


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Case 12", "Case 12"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_quoted(value, safe):
    assert safe_cell(value) == safe


@pytest.mark.parametrize("number", [-3, -2.5, 0, 1e-9, 12])
def test_real_numbers_are_left_alone(number):
    assert safe_cell(number) == number


def test_none_and_booleans_pass_through():
    assert safe_cell(None) is None
    assert safe_cell(True) is True


def test_write_safe_csv_uses_excel_dialect_and_quotes_formulas():
    out = io.StringIO()
    write_safe_csv(out, [["unit", "value"], ['=HYPERLINK("http://x")', -1.5]])
    assert out.getvalue() == 'unit,value\r\n"\'=HYPERLINK(""http://x"")",-1.5\r\n'


def test_negative_money_in_a_csv_export_stays_a_number():
    from gains.exports import Column, Table, table_to_csv

    columns = (Column("Month", "text"), Column("Net", "gbp"))
    table = Table("savings", "Savings", columns, [("-x", -123.456)])
    lines = table_to_csv(table, []).splitlines()
    assert lines[-1] == "'-x,-123.46"
