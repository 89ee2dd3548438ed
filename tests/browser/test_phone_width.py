"""No page scrolls sideways on a 320 px phone, for any role, and chart text is at least 12 px on
a 375 px phone (issue 21; WCAG 1.4.10 Reflow).

The pages are every GET route in `app.url_map` that answers with a page (not the API but for
its documentation, files, charts or assets), with ids from the demo register: one improvement
of each status, from the demo team where it has one, and the batches, measurements,
departments, teams and people they lead to. Each role walks all of them in one tab and
measures the pages it can open (200); the others (403, 404) are not its pages. A table wider
than a phone scrolls inside its own region (templates/partials/table_scroll.html), never the
page; so does a chart on a phone (templates/partials/chart.html), at a size where its text can
be read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from gains.demo.catalogue import DEMO_PASSWORD
from gains.extensions import db
from gains.models import (
    ChartNote,
    Department,
    Improvement,
    Measurement,
    Status,
    Team,
    UploadBatch,
    User,
)
from tests.conftest import DEMO_LOGINS
from tests.fuzz.pages import fill_rule
from tests.support.factories import person

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
ROLES = ("anonymous", "member", "manager", "treasury", "admin")
# Not pages: the API (but for its documentation page), files, charts and assets.
NOT_PAGES = ("/api/", "/assets/", "/healthz")
API_DOCS = "api_docs.docs"
FILE_SUFFIXES = (".svg", ".csv", ".json", ".atom", ".xlsx", "<file_format>")
# One value for each string URL argument: the first a page links to.
STRINGS = {"field_name": "hypothesis", "token": "forged"}
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


def _ids(app) -> dict[str, list[int]]:
    """Record ids for the URL arguments: one improvement of each status, from the demo team
    where it has one (so that every role can open it), with a batch and a measurement of each."""
    with app.app_context():
        session = db.session
        team_id = person(session, "member").team_id
        chosen: dict[Status, int] = {}
        for id_, status in session.execute(
            select(Improvement.id, Improvement.status).order_by(
                Improvement.team_id != team_id, Improvement.id
            )
        ):
            chosen.setdefault(status, id_)
        improvements = sorted(set(chosen.values()))
        batch_of = dict(
            session.execute(
                select(UploadBatch.improvement_id, UploadBatch.id).where(
                    UploadBatch.improvement_id.in_(improvements)
                )
            ).all()
        )
        measurement_of = dict(
            session.execute(
                select(Measurement.batch_id, Measurement.id).where(
                    Measurement.batch_id.in_(batch_of.values())
                )
            ).all()
        )
        note_of = dict(
            session.execute(
                select(ChartNote.improvement_id, ChartNote.id).where(
                    ChartNote.improvement_id.in_(improvements)
                )
            ).all()
        )
        pools = {
            "improvement_id": improvements,
            "batch_of": batch_of,
            "note_of": note_of,
            "measurement_of": measurement_of,
            "department_id": list(session.scalars(select(Department.id)))[:2],
            "team_id": list(session.scalars(select(Team.id)))[:2],
            "user_id": list(session.scalars(select(User.id)))[:2],
        }
        session.remove()
    return pools


def page_paths(app) -> list[str]:
    """Every page's path with real ids filled in, from the app's own routes."""
    pools = _ids(app)
    paths: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if (
            "GET" not in rule.methods
            or (rule.rule.startswith(NOT_PAGES) and rule.endpoint != API_DOCS)
            or rule.rule.endswith(FILE_SUFFIXES)
        ):
            continue
        names = rule.arguments
        records = [{}]
        if "improvement_id" in names:
            records = [{"improvement_id": i} for i in pools["improvement_id"]]
            if names & {"batch_id", "measurement_id"}:
                records = [
                    values | {"batch_id": batch, "measurement_id": measurement}
                    for values in records
                    if (batch := pools["batch_of"].get(values["improvement_id"]))
                    and (measurement := pools["measurement_of"].get(batch))
                ]
            if "note_id" in names:
                records = [
                    values | {"note_id": note}
                    for values in records
                    if (note := pools["note_of"].get(values["improvement_id"]))
                ]
        for values in records:
            for name in names - values.keys():
                if name in STRINGS:
                    values[name] = STRINGS[name]
            others = sorted(names - values.keys())
            if not others:
                paths.append(fill_rule(rule, values))
                continue
            for position in range(max(len(pools[name]) for name in others)):
                chosen = {name: pools[name][position % len(pools[name])] for name in others}
                paths.append(fill_rule(rule, values | chosen))
    return paths


@pytest.fixture
def phone(browser: Browser, backend: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """One tab, 320 px wide, reused by every role (signing out is clearing the cookies)."""
    live_server = request.getfixturevalue("live_server")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": PHONE_WIDTH, "height": 640}
    )
    yield context.new_page()
    context.close()


def _sign_in(page: Page, role: str) -> None:
    page.context.clear_cookies()
    if role == "anonymous":
        return
    page.goto("/auth/sign-in")
    page.get_by_label("Email address").fill(DEMO_LOGINS[role])
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/sign-in" not in url)


# A page's width does not depend on the database, and the walk is the longest browser test.
@pytest.mark.first_backend_only
def test_no_page_scrolls_sideways_at_320px(phone: Page, live_server, capsys):
    paths = page_paths(live_server.app)
    started = time.monotonic()
    measured: list[tuple[str, str, int]] = []
    chart_text: dict[str, tuple[str, float]] = {}  # each chart once: where, its smallest text
    for role in ROLES:
        _sign_in(phone, role)
        phone.set_viewport_size({"width": PHONE_WIDTH, "height": 640})
        with_charts: dict[str, str] = {}  # a page that shows each chart
        for path in paths:
            response = phone.goto(path)
            if response is None or response.status != 200:
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
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
            f"at {CHART_PHONE_WIDTH} px, {len(ROLES)} roles ({len(paths)} paths each), "
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
