"""Journey 3: Treasury reads cumulative savings, narrows them to one department and pillar, and
takes the figures away as a spreadsheet that says what the page says."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from gains import numbers
from tests.browser.checks import Visitor
from tests.browser.steps import sign_in

DEPARTMENT = "Work and Pensions"
PILLAR = "Engaging users and citizens"


def savings_totals(visitor: Visitor) -> list[str]:
    """The validated and claimed annual totals, as the page shows them."""
    return visitor.page.locator(".app-figure__value").all_inner_texts()


def page_table(visitor: Visitor, name: str) -> list[list[str]]:
    rows = visitor.page.locator(f"#table-{name} tbody tr")
    return [row.locator("td").all_inner_texts() for row in rows.all()]


def spreadsheet_rows(content: bytes) -> tuple[dict[str, str], list[list[str]]]:
    """The filters written above the table, and the table's rows shown as the page shows
    them (months as "June 2026", estimated pounds to 3 significant figures as the page writes
    them, text as it is: decision 0040)."""
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Month")
    filters = {row[0]: row[1] for row in rows[1:header] if row and row[0]}
    shown = [
        [
            numbers.govuk_month(row[0]),
            *(
                value if isinstance(value, str) else numbers.estimate_gbp(value)
                for value in row[1:]
            ),
        ]
        for row in rows[header + 1 :]
    ]
    return filters, shown


def test_treasury_filters_cumulative_savings_and_downloads_the_same_figures(visit):
    treasury = visit()
    page = treasury.page
    sign_in(treasury, "treasury")
    page.get_by_role("link", name="Savings", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Savings across departments")
    treasury.check()
    everywhere = savings_totals(treasury)
    treasury.screenshot("5-treasury-honest-savings", of="#honest-totals")
    expect(page.locator("#table-cumulative tbody tr").first).to_be_visible()
    expect(page.get_by_role("img", name="Line chart of cumulative net savings")).to_be_visible()

    page.get_by_label(DEPARTMENT, exact=True).check()
    page.get_by_label("Pillar", exact=True).select_option(label=PILLAR)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("form.app-treasury-filters")).to_contain_text(DEPARTMENT)
    expect(page.get_by_label(DEPARTMENT, exact=True)).to_be_checked()
    treasury.check()
    narrowed = savings_totals(treasury)
    assert narrowed != everywhere
    on_the_page = page_table(treasury, "cumulative")
    assert len(on_the_page) >= 2

    with page.expect_download() as download_info:
        page.locator("#table-cumulative").get_by_role("link", name="Excel (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as file:
        filters, in_the_file = spreadsheet_rows(file.read())
    assert in_the_file == on_the_page
    written = " ".join(f"{name} {value}" for name, value in filters.items())
    assert DEPARTMENT in written and PILLAR in written, filters
    page.evaluate("() => window.scrollTo({ top: 0, behavior: 'instant' })")
    treasury.screenshot("3-treasury-filtered-savings")
