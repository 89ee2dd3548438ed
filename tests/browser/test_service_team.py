"""Journeys 1 and 4: a service team registers a marginal gain, measures it and submits it,
once with JavaScript (htmx swaps, no page loads for rows) and once without (plain forms)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.checks import Visitor
from tests.browser.steps import (
    MINUTES_AFTER,
    MINUTES_BEFORE,
    TITLE,
    confirm,
    data_version,
    expect_status,
    flash,
    sign_in,
)

BAD_LINE = 6  # the header is line 1
BAD_VALUE = "30,5"  # a decimal comma, as a European spreadsheet saves it


def measurements_csv(*, with_bad_row: bool) -> bytes:
    lines = ["phase,group,unit,date,value"]
    for day, value in enumerate(MINUTES_BEFORE, start=4):
        lines.append(f"before,treatment,renewal {day:03},2026-05-{day:02},{value}")
    for day, value in enumerate(MINUTES_AFTER, start=4):
        lines.append(f"after,treatment,renewal {day + 100:03},2026-06-{day:02},{value}")
    if with_bad_row:
        phase, group, unit, date, _ = lines[BAD_LINE - 1].split(",")
        lines[BAD_LINE - 1] = ",".join((phase, group, unit, date, f'"{BAD_VALUE}"'))
    return ("\n".join(lines) + "\n").encode()


def register(visitor: Visitor) -> None:
    """Register the improvement, forgetting the title at first."""
    page = visitor.page
    page.get_by_role("link", name="Improvements", exact=True).click()
    visitor.check()
    page.get_by_role("button", name="Register an improvement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register an improvement")
    visitor.check()

    page.get_by_label("Team", exact=True).select_option(label="Benefit renewals (WKP)")
    page.get_by_label("Marginal gain", exact=True).check()
    page.get_by_label("Engaging users and citizens", exact=True).check()
    page.get_by_label("Hypothesis", exact=True).fill(
        "Offering a booked slot in the invitation letter cuts the time a renewal takes."
    )
    page.get_by_label("Metric", exact=True).fill("Time to complete a renewal")
    page.get_by_label("Unit of the metric", exact=True).fill("min")
    page.get_by_label("Lower is better", exact=True).check()
    page.get_by_label("Unit of observation", exact=True).fill("renewal")
    page.get_by_label("Before and after", exact=True).check()
    page.get_by_label("Planned sample size", exact=True).fill("10")
    page.get_by_label("Expected effect", exact=True).fill("-3")
    go_live = page.get_by_role("group", name="Go-live date")
    go_live.get_by_label("Day", exact=True).fill("1")
    go_live.get_by_label("Month", exact=True).fill("6")
    go_live.get_by_label("Year", exact=True).fill("2026")
    page.get_by_label("Implementation cost (£)").fill("1500")
    page.get_by_label("Annual volume", exact=True).fill("40000")
    page.get_by_label("Value of one unit of the metric (£)", exact=True).fill("0.45")
    page.get_by_role("button", name="Save as a draft").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a title")
    visitor.check()
    summary.get_by_role("link", name="Enter a title").click()
    title = page.get_by_label("Title", exact=True)
    if visitor.javascript:
        expect(title).to_be_focused()  # GOV.UK Frontend moves the focus to the field
    else:
        expect(page).to_have_url(re.compile(r"#title$"))  # a plain link to the field
    title.fill(TITLE)
    page.get_by_role("button", name="Save as a draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    flash(visitor, "is registered as a draft")
    visitor.check()


def start(visitor: Visitor) -> None:
    confirm(
        visitor,
        "Start: lock the plan and measure",
        "Start measuring this improvement?",
        "Yes, start it",
    )
    flash(visitor, "Started: the plan's design is now locked")
    expect_status(visitor, "Running")
    visitor.check()


def upload(visitor: Visitor) -> None:
    """A CSV with one bad row is refused with the row's problem; the corrected one is
    previewed, then confirmed."""
    page = visitor.page
    page.get_by_role("link", name="Upload a CSV file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload measurements")
    visitor.check()

    file = {"name": "renewals.csv", "mimeType": "text/csv"}
    page.get_by_label("CSV file").set_input_files(
        {**file, "buffer": measurements_csv(with_bad_row=True)}
    )
    page.get_by_role("button", name="Upload and preview").click()
    problems = page.locator("#upload-problems")
    expect(problems).to_contain_text("1 problem")
    row = problems.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text(
        [str(BAD_LINE), "value", "Enter a number with a full stop for decimals, like 1.5"]
    )
    expect(page.locator(".govuk-error-summary")).to_contain_text("nothing was saved")
    visitor.check()

    page.get_by_label("CSV file").set_input_files(
        {**file, "buffer": measurements_csv(with_bad_row=False)}
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your upload")
    visitor.check()
    page.get_by_role("button", name="Confirm and add 20 measurements").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#estimate")).to_contain_text("Better by about")
    expect(page.locator("#measurements")).to_contain_text("20 active measurements")
    visitor.check()


def add_row(visitor: Visitor, phase: str, value: str, version_before: int) -> None:
    """One row through the inline form; the estimate and the chart follow the new data."""
    page = visitor.page
    form = page.locator("#measurement-add")
    form.get_by_label("Phase").select_option(label=phase)
    form.get_by_label("Value").fill(value)
    form.get_by_role("button", name="Add measurement").click()
    version = version_before + 1
    expect(page.locator("#estimate")).to_contain_text(f"Computed for data version {version}")
    # The chart is drawn again for the new data version (its URL says which).
    expect(page.locator("#charts-panel img").first).to_have_attribute(
        "src", re.compile(rf"/charts/distributions\.svg\?v={version}$")
    )
    visitor.check()


def delete_newest_row(visitor: Visitor, version_before: int) -> None:
    """Delete asks first: inline with JavaScript, on its own page without; then it deletes."""
    page = visitor.page
    newest = page.locator("#measurements tr[id^=measurement-]").first
    if visitor.javascript:
        page.once("dialog", lambda dialog: dialog.accept())
        newest.get_by_role("link", name=re.compile("^Delete")).click()
    else:
        newest.get_by_role("link", name=re.compile("^Delete")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Delete this measurement?")
        expect(page.locator("main table")).to_contain_text("31.2")
        visitor.check()
        page.get_by_role("button", name="Yes, delete it").click()
        flash(visitor, "Measurement deleted")
    expect(page.locator("#estimate")).to_contain_text(
        f"Computed for data version {version_before + 1}"
    )
    expect(page.locator("#measurements")).to_contain_text("22 active measurements")
    visitor.check()


def service_team_journey(visitor: Visitor) -> None:
    page = visitor.page
    sign_in(visitor, "member")
    register(visitor)
    start(visitor)
    upload(visitor)

    first_version = data_version(visitor)
    estimate_before = page.locator("#estimate").inner_text()
    # A full page load would lose this; htmx swaps keep it.
    page.evaluate("() => { window.journeyMarker = 'same page' }")
    rows = (("After", "25.4"), ("After", "26.0"), ("Before", "31.2"))
    for number, (phase, value) in enumerate(rows):
        add_row(visitor, phase, value, first_version + number)
    expect(page.locator("#measurements")).to_contain_text("23 active measurements")
    assert page.locator("#estimate").inner_text() != estimate_before
    marker = page.evaluate("() => window.journeyMarker")
    assert marker == ("same page" if visitor.javascript else None)
    delete_newest_row(visitor, first_version + len(rows))

    confirm(visitor, "Submit for review", "Submit it for review?", "Yes, submit it")
    flash(visitor, "Submitted for review")
    expect_status(visitor, "Submitted for review")
    visitor.check()


def test_service_team_registers_measures_and_submits_a_marginal_gain(visit):
    visitor = visit(javascript=True)
    service_team_journey(visitor)
    visitor.screenshot("1-service-team-submitted")


def test_the_same_journey_works_without_javascript(visit):
    visitor = visit(javascript=False)
    service_team_journey(visitor)
    visitor.screenshot("4-service-team-without-javascript")
