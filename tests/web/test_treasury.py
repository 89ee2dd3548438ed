"""The Treasury page and its CSV and XLSX exports."""

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gains import numbers
from gains.exports import Column, Table, table_to_xlsx
from gains.extensions import db
from gains.models import Department


@pytest.mark.parametrize("role_name", ["member", "manager"])
def test_only_treasury_and_admin_see_it(signed_in, role_name):
    client = signed_in(role_name)
    assert client.get("/dashboards/treasury").status_code == 403
    assert client.get("/dashboards/treasury/cumulative.csv").status_code == 403


def test_page_shows_every_table_with_downloads(signed_in):
    html = signed_in("treasury").get("/dashboards/treasury").get_data(as_text=True)
    for name in (
        "cumulative",
        "financial-years",
        "departments",
        "pillars",
        "kinds",
        "cashable",
        "go-live-years",
        "evidence-levels",
        "sensitivity",
        "top",
    ):
        assert f'id="table-{name}"' in html
        assert f"/dashboards/treasury/{name}.csv" in html
        assert f"/dashboards/treasury/{name}.xlsx" in html


def test_xlsx_numbers_match_the_page_and_carry_the_filters(app, signed_in):
    client = signed_in("treasury")
    with app.app_context():
        rev = db.session.scalars(select(Department.id).where(Department.code == "REV")).one()
    query = f"?department={rev}&pillar=pursuing_goals"
    page = client.get(f"/dashboards/treasury{query}").get_data(as_text=True)
    section = page.split('id="table-departments"')[1].split("</section>")[0]
    page_row = section.split("Revenue and Customs")[1].split("</tr>")[0]
    page_amounts = re.findall(r"−?£[\d,]+", page_row)

    response = client.get(f"/dashboards/treasury/departments.xlsx{query}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [[c.value for c in row if c.value is not None] for row in sheet.iter_rows()]
    assert ["Departments", "Revenue and Customs"] in cells
    assert ["Pillar", "Pursuing goals"] in cells
    row = next(r for r in cells if r and r[0] == "Revenue and Customs" and len(r) > 2)
    assert len(row) == 11 and row[1] == "3-5"  # the evidence levels counted as validated
    assert all(isinstance(value, int | float | Decimal) for value in row[2:])
    # The workbook keeps every pound; the page writes an estimated amount to 3 significant
    # figures (decision 0040).
    assert [numbers.estimate_gbp(v) for v in row[2:10]] == page_amounts[:8]
    header_row = next(i for i, r in enumerate(sheet.iter_rows(), 1) if r[0].value == "Department")
    # The workbook keeps the words; the CSV has the keys (test_csv_headers_are_keys).
    assert [c.value for c in sheet[header_row]][:4] == [
        "Department",
        "Evidence levels counted as validated",
        "Claimed a year",
        "Validated a year",
    ]
    assert sheet.cell(row=header_row + 1, column=3).number_format.startswith('"£"')


def test_csv_is_formula_safe_and_states_its_filters(app, signed_in):
    client = signed_in("admin")
    response = client.get("/dashboards/treasury/top.csv?kind=no_extra_cost")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Top improvements by validated annual saving, shrunk"]
    assert ["Kind", "Innovation at no extra cost"] in rows
    header = rows.index(
        [
            "improvement",
            "department",
            "evidence_level",
            "validated",
            "standard_error",
            "validated_shrunk",
            "npv",
            "cashable",
        ]
    )
    assert len(rows) > header + 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell


def test_every_table_downloads_as_a_valid_workbook(app, signed_in):
    """Sheet titles come from table titles, and Excel forbids some of their characters
    ("Annual savings: cashable or not", "Did it last? …"): every export must open."""
    client = signed_in("treasury")
    html = client.get("/dashboards/treasury").get_data(as_text=True)
    urls = sorted(set(re.findall(r"/dashboards/treasury/[a-z-]+\.xlsx", html)))
    assert len(urls) >= 8 and "/dashboards/treasury/lasting.xlsx" in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert 0 < len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\"), url


@pytest.mark.parametrize(
    ("title", "sheet_title"),
    [
        ("Annual savings: cashable or not", "Annual savings cashable or not"),
        ("Did it last? Approved improvements since go-live", "Did it last Approved"),
        ("[a]*b/c\\d", "a b c d"),
        ("'quoted'", "quoted"),
        ("?:*", "Sheet"),
        ("x" * 40, "x" * 31),
    ],
)
def test_sheet_titles_are_ones_excel_accepts(title, sheet_title):
    table = Table(name="t", title=title, columns=[Column("A")], rows=[["a"]])
    workbook = load_workbook(io.BytesIO(table_to_xlsx(table, [])))
    assert workbook.active.title == sheet_title
    assert workbook.active["A1"].value == title  # the full title is still written in the sheet


def test_unknown_export_is_404(signed_in):
    client = signed_in("treasury")
    assert client.get("/dashboards/treasury/nonsense.csv").status_code == 404
    assert client.get("/dashboards/treasury/top.pdf").status_code == 404


def test_cumulative_chart_is_an_accessible_svg(signed_in):
    client = signed_in("treasury")
    response = client.get("/dashboards/treasury/cumulative.svg?kind=marginal_gain")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<title" in svg and "Cumulative net savings by month" in svg
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    cached = client.get(
        "/dashboards/treasury/cumulative.svg?kind=marginal_gain",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert cached.status_code == 304


TABLES_WITH_VALIDATED_FIGURES = (
    "cumulative",
    "financial-years",
    "go-live-years",
    "departments",
    "pillars",
    "kinds",
    "cashable",
    "evidence-levels",
    "top",
)


@pytest.mark.parametrize("name", TABLES_WITH_VALIDATED_FIGURES)
def test_csv_headers_are_keys_with_evidence_level_shrunk_and_npv(signed_in, name):
    response = signed_in("treasury").get(f"/dashboards/treasury/{name}.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header = next(row for row in rows if "validated" in row)
    assert {"evidence_level", "validated_shrunk", "npv"} <= set(header)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in header), header


def test_every_treasury_table_has_keys_and_the_audit_log_keeps_its_words():
    from gains.dashboards.treasury_tables import LEVELS_COLUMN
    from gains.services.audit.log import EXPORT_COLUMNS

    assert LEVELS_COLUMN.csv_header == "evidence_level"
    assert all(column.key is None for column in EXPORT_COLUMNS)


@pytest.mark.parametrize("level", ["", "2", "3", "4", "5", "nonsense"])
def test_the_page_under_each_evidence_level(signed_in, level):
    client = signed_in("treasury")
    response = client.get(f"/dashboards/treasury?level={level}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Validated annual savings, shrunk (the figure to bank)" in html
    assert "Reported, not validated by a comparison (evidence level 2)" in html
    assert "a correlation of 0.5 within a department" in html
    assert "as if the improvements were independent" not in html
    chosen = level if level in {"2", "3", "4", "5"} else ""
    assert f'<option value="{chosen}" selected>' in html or (
        not chosen and '<option value="2" selected>' not in html
    )
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/dashboards/treasury/departments.csv?level={level}").get_data(
                    as_text=True
                )
            )
        )
    )
    counted = {"": "3-5", "nonsense": "3-5", "2": "none"}.get(level, level)
    header = next(i for i, row in enumerate(csv_rows) if "validated" in row)
    assert {row[1] for row in csv_rows[header + 1 :]} == {counted}


def test_the_sensitivity_chart_is_an_accessible_svg_with_its_table(signed_in):
    client = signed_in("treasury")
    html = client.get("/dashboards/treasury?level=4").get_data(as_text=True)
    assert 'src="/dashboards/treasury/sensitivity.svg?level=4"' in html
    assert 'id="table-sensitivity"' in html
    response = client.get("/dashboards/treasury/sensitivity.svg?level=4")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "How the headline moves under other assumptions" in svg
    assert "Shrinkage off" in svg and "Evidence level 2 included" in svg
    cached = client.get(
        "/dashboards/treasury/sensitivity.svg?level=4",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert cached.status_code == 304
