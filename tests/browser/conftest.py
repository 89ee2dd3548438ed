"""Browser tests: Debian's chromium driven by Playwright against the real app on 127.0.0.1.

- The browser is the system's (`apt-get install -y chromium`, which `make test` does when it is
  missing); Playwright's own browser download does not work on these machines. With CI=true a
  missing browser fails the run; elsewhere the tests are skipped with the reason.
- Each test gets the app served from a thread on a fresh copy of its backend's demo database
  (see server.py), and pages (`Visitor`) that check every screen they reach: axe-core, one h1,
  labelled inputs, a skip link, error summaries that link to their fields, no console errors.
- `pytest tests/browser --screenshots` (`make screenshots`) saves each journey's last screen
  to docs/screenshots/, and every page per role at two widths (test_screenshots.py).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from gains.extensions import db
from gains.models import BatchSource, Design, Direction, ImprovementKind, Pillar
from gains.services.improvements import workflow
from gains.services.improvements.workflow import ImprovementPlan
from gains.services.measurements.recording import record_batch
from tests.browser.checks import AXE_TALLY, Visitor
from tests.browser.server import (
    DatabaseCopies,
    browser_app,
    build_template,
    create_postgres_database,
    serve,
)
from tests.browser.steps import MINUTES_AFTER, MINUTES_BEFORE, TITLE
from tests.conftest import IN_CI, report_at_end
from tests.support.factories import person
from tests.support.postgres import per_worker

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
# Playwright already keeps Chromium off the network (no sync, updates, safe browsing, field
# trials); these say so explicitly, because these machines may reach nothing but 127.0.0.1
# and the package registries.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
BROWSER_TEST_TIMEOUT_S = 240
_database_names = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test runs under pytest-timeout, with room for a slow shared machine."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT_S))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if AXE_TALLY.pages:
        report_at_end(session.config, AXE_TALLY.summary())


def pytest_terminal_summary(terminalreporter) -> None:
    if AXE_TALLY.pages:
        terminalreporter.write_line(AXE_TALLY.summary())


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")  # not GAINS_*: the app refuses unknown ones
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = find_chromium()
    if found:
        return found
    reason = (
        "Chromium is not installed: the browser tests need Debian's `chromium` package "
        "(`make test` installs it as root: apt-get install -y chromium)"
    )
    if IN_CI:
        pytest.fail(f"{reason}. In CI that is a failure, not a skip.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium_path: str) -> dict:
    """pytest-playwright's launch arguments, pointed at the system browser."""
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path,
        "chromium_sandbox": False,  # root on CI; Playwright then passes --no-sandbox
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def database_copies(backend: str, request: pytest.FixtureRequest, tmp_path_factory):
    """The backend's demo template for browser tests, built once, copied once per test."""
    directory = tmp_path_factory.mktemp(f"browser-{backend}")
    if backend == "sqlite":
        template_url = f"sqlite:///{directory / 'template.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        server_url = server.url("postgres") if server else os.environ["GAINS_TEST_POSTGRES_URL"]
        template_url = create_postgres_database(server_url, per_worker("gains_browser_template"))
    build_template(template_url)
    return DatabaseCopies(template_url, directory)


@pytest.fixture
def live_server(database_copies: DatabaseCopies) -> Iterator:
    """The real app on a fresh copy of the demo database, served on 127.0.0.1."""
    url = database_copies.copy(per_worker(f"gains_browser_{next(_database_names)}"))
    app = browser_app(url)
    with serve(app) as live:
        yield live
        assert not live.errors, f"the server raised: {live.errors!r}"
    database_copies.drop(url)


@pytest.fixture
def visit(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator:
    """A function: `visit(javascript=True)` opens a new browser context (a person with their own
    cookies) on the live app and returns its checked page."""
    visitors: list[Visitor] = []

    def open_visitor(*, javascript: bool = True) -> Visitor:
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            viewport={"width": 1024, "height": 768},
            accept_downloads=True,
        )
        visitor = Visitor(
            context.new_page(),
            javascript=javascript,
            screenshots=request.config.getoption("screenshots"),
        )
        visitors.append(visitor)
        return visitor

    yield open_visitor
    for visitor in visitors:
        visitor.close()
    for visitor in visitors:
        visitor.assert_clean()


@pytest.fixture
def submitted_by_the_team(live_server) -> str:
    """What journey 1 leaves behind, made directly: the member's improvement, submitted."""
    with live_server.app.app_context():
        member = person(db.session, "member")
        plan = ImprovementPlan(
            title=TITLE,
            kind=ImprovementKind.MARGINAL_GAIN,
            pillar=Pillar.ENGAGING_USERS,
            hypothesis="Offering a booked slot in the invitation cuts the time a renewal takes.",
            metric_name="Time to complete a renewal",
            metric_unit="min",
            direction=Direction.LOWER,
            unit_of_observation="renewal",
            design=Design.BEFORE_AFTER,
            annual_volume=40_000,
            value_per_unit_gbp=Decimal("0.45"),
            implementation_cost_pence=150_000,
            go_live_on=date(2026, 6, 1),
        )
        improvement = workflow.create_improvement(member, member.team, plan)
        workflow.start(member, improvement)
        rows = [{"phase": "before", "value": value} for value in MINUTES_BEFORE]
        rows += [{"phase": "after", "value": value} for value in MINUTES_AFTER]
        record_batch(member, improvement, rows, source=BatchSource.FORM)
        workflow.submit(member, improvement)
        db.session.commit()
        db.session.remove()
    return TITLE
