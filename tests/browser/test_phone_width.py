"""No page scrolls sideways on a 320 px phone, for any role, and chart text is at least 12 px on
a 375 px phone (issue 21; WCAG 1.4.10 Reflow).

Each role walks every page (tests/browser/every_page.py) in one tab and measures the pages it
can open. A table wider than a phone scrolls inside its own region
(templates/partials/table_scroll.html), never the page; so does a chart on a phone
(templates/partials/chart.html), at a size where its text can be read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.every_page import ROLES, page_addresses, sign_in, walk

PHONE_WIDTH = 320
CHART_PHONE_WIDTH = 375
SMALLEST_CHART_TEXT_PX = 12
# Every kind of chart the pages show (gains/charts/), by the last part of its address.
CHART_FILES = (
    "distributions.svg",
    "xmr.svg",
    "run.svg",
    "forest.svg",
    "cumulative.svg",
    "sensitivity.svg",
    "chart.svg",
)
WIDTH = "() => document.documentElement.scrollWidth"
CHARTS = """() => [...document.querySelectorAll('img.app-chart')].map(
  (img) => img.getAttribute('src'))"""
# Each chart's smallest text as shown: its smallest font size in the SVG's own units (matplotlib
# writes `font-size: 11px` in viewBox units) scaled by the width the image is drawn at.
CHART_TEXT = """async () => {
  const shown = [];
  for (const img of document.querySelectorAll('img.app-chart')) {
    await img.decode();
    const svg = new DOMParser().parseFromString(
      await (await fetch(img.src)).text(), 'image/svg+xml').documentElement;
    const sizes = [...svg.querySelectorAll('text')].map(
      (text) => parseFloat(/font-size:\\s*([\\d.]+)px/.exec(text.getAttribute('style'))[1]));
    const scale = img.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    shown.push([img.getAttribute('src'), Math.min(...sizes) * scale]);
  }
  return shown;
}"""


@pytest.fixture
def phone(browser: Browser, backend: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """One tab, 320 px wide, reused by every role (signing out is clearing the cookies)."""
    live_server = request.getfixturevalue("live_server")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": PHONE_WIDTH, "height": 640}
    )
    yield context.new_page()
    context.close()


# A page's width does not depend on the database, and the walk is the longest browser test.
@pytest.mark.first_backend_only
# Some 360 pages × 5 roles: about 3 minutes on a quiet machine, so the walk gets its own
# limit rather than the one for a single journey (conftest.BROWSER_TEST_TIMEOUT_S).
@pytest.mark.timeout(900)
def test_no_page_scrolls_sideways_at_320px(phone: Page, live_server, capsys):
    pages = page_addresses(live_server.app)
    names = [address.name for address in pages]
    assert len(set(names)) == len(names), "two pages share a screenshot's name"
    started = time.monotonic()
    measured: list[tuple[str, str, int]] = []
    chart_text: dict[str, tuple[str, float]] = {}  # each chart once: where, its smallest text
    for role in ROLES:
        sign_in(phone, role)
        phone.set_viewport_size({"width": PHONE_WIDTH, "height": 640})
        with_charts: dict[str, str] = {}  # a page that shows each chart
        for address in walk(phone, pages):
            path = address.path
            measured.append((role, path, phone.evaluate(WIDTH)))
            for src in phone.evaluate(CHARTS):
                if src not in chart_text:
                    with_charts.setdefault(src, path)
        phone.set_viewport_size({"width": CHART_PHONE_WIDTH, "height": 640})
        for path in dict.fromkeys(with_charts.values()):
            phone.goto(path)
            for src, smallest in phone.evaluate(CHART_TEXT):
                chart_text.setdefault(src, (f"{role} {path}", smallest))
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\n{len(measured)} pages measured at {PHONE_WIDTH} px and {len(chart_text)} charts "
            f"at {CHART_PHONE_WIDTH} px, {len(ROLES)} roles ({len(pages)} paths each), "
            f"in {seconds:.0f} s; smallest chart text "
            f"{min(smallest for _, smallest in chart_text.values()):.1f} px"
        )
    too_wide = [f"{role} {path}: {width} px" for role, path, width in measured if width > 320]
    too_small = [
        f"{src} on {where}: {smallest:.1f} px"
        for src, (where, smallest) in chart_text.items()
        if round(smallest, 2) < SMALLEST_CHART_TEXT_PX  # 9 pt is 12 px give or take a float
    ]
    assert {role for role, _, _ in measured} == set(ROLES), "a role opened no page"
    assert set(CHART_FILES) <= {src.split("?")[0].rsplit("/", 1)[1] for src in chart_text}, (
        "the walk met every kind of chart"
    )
    assert not too_wide + too_small, (
        f"{len(too_wide)} pages scroll sideways at {PHONE_WIDTH} px:\n"
        + "\n".join(too_wide)
        + f"\n{len(too_small)} charts have text under {SMALLEST_CHART_TEXT_PX} px "
        + f"at {CHART_PHONE_WIDTH} px:\n"
        + "\n".join(too_small)
    )
