"""Every page of the app, as each role sees it: the one enumeration behind the phone-width test
(tests/browser/test_phone_width.py, which CI runs) and the screenshots of every page
(tests/browser/test_screenshots.py, `make screenshots`).

The pages are every GET route in `app.url_map` that answers with a page (not the API but for
its documentation, files, charts or assets), with ids from the demo register: one improvement
of each status, from the demo team where it has one, and the batches, measurements,
departments, teams and people they lead to. Each role walks all of them in one tab and keeps
the pages it can open (200, HTML); the others (403, 404, a redirect) are not its pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from playwright.sync_api import Page
from sqlalchemy import func, select

from gains.demo.catalogue import DEMO_PASSWORD
from gains.extensions import db
from gains.models import (
    ChartNote,
    Cycle,
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

ROLES = ("anonymous", "member", "manager", "treasury", "admin")
# Not pages: the API (but for its documentation page), files, charts and assets.
NOT_PAGES = ("/api/", "/assets/", "/healthz")
API_DOCS = "api_docs.docs"
FILE_SUFFIXES = (".svg", ".csv", ".json", ".atom", ".xlsx", "<file_format>")
# The pages of the demo's improvement run in PDSA cycles (decision 0048), walked beside the
# one improvement of each status.
CYCLED_PAGES = (
    "improvements.view",
    "improvements.cycle_outcome",
    "improvements.start_cycle_page",
    "reviews.review",
)
# One value for each string URL argument: the first a page links to.
STRINGS = {"field_name": "hypothesis", "token": "forged"}


@dataclass(frozen=True)
class PageAddress:
    """A page's path, and a name for it that stays the same from one demo database to the next:
    its endpoint and arguments, an improvement named by its status rather than its id."""

    name: str
    path: str


def _ids(app) -> dict:
    """Record ids for the URL arguments: one improvement of each status, from the demo team
    where it has one (so that every role can open it), with a batch and a measurement of each;
    the demo team's department and team and one other."""
    with app.app_context():
        session = db.session
        member = person(session, "member")
        team_id, department_id = member.team_id, member.department_id
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
        # The last cycle of each improvement that has cycles (the demo's three-cycle one).
        cycle_of = dict(
            session.execute(
                select(Cycle.improvement_id, Cycle.number)
                .where(Cycle.improvement_id.in_(improvements))
                .order_by(Cycle.number)
            ).all()
        )
        # The demo's improvement run in PDSA cycles (another team's): its pages are walked too.
        cycled = session.execute(
            select(Cycle.improvement_id, func.max(Cycle.number)).group_by(Cycle.improvement_id)
        ).first()
        pools = {
            "improvement_id": improvements,
            "cycle_of": cycle_of,
            "cycled": tuple(cycled) if cycled else None,
            "status_of": {id_: status.value for status, id_ in chosen.items()},
            "batch_of": batch_of,
            "measurement_of": measurement_of,
            "note_of": note_of,
            # The demo team's own department and team first: its manager's pages.
            "department_id": list(
                session.scalars(
                    select(Department.id).order_by(Department.id != department_id, Department.id)
                )
            )[:2],
            "team_id": list(session.scalars(select(Team.id).order_by(Team.id != team_id, Team.id)))[
                :2
            ],
            "user_id": list(session.scalars(select(User.id)))[:2],
        }
        session.remove()
    return pools


def _name(endpoint: str, values: dict, status_of: dict[int, str]) -> str:
    parts = [endpoint.replace(".", "-").replace("_", "-")]
    for argument in sorted(values):
        value = values[argument]
        if argument == "improvement_id":
            parts.append(status_of[value].replace("_", "-"))
        elif argument in ("batch_id", "measurement_id", "note_id", "number"):
            continue  # one of each per improvement: the improvement names them
        else:
            parts.append(f"{argument.removesuffix('_id').replace('_', '-')}-{value}")
    return "-".join(parts)


def page_addresses(app) -> list[PageAddress]:
    """Every page's path with real ids filled in, from the app's own routes."""
    pools = _ids(app)
    pages: list[PageAddress] = []

    def add(rule, values: dict) -> None:
        pages.append(
            PageAddress(_name(rule.endpoint, values, pools["status_of"]), fill_rule(rule, values))
        )

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
            if "number" in names:
                records = [
                    values | {"number": number}
                    for values in records
                    if (number := pools["cycle_of"].get(values["improvement_id"]))
                ]
        for values in records:
            for name in names - values.keys():
                if name in STRINGS:
                    values[name] = STRINGS[name]
            others = sorted(names - values.keys())
            if not others:
                add(rule, values)
                continue
            for position in range(max(len(pools[name]) for name in others)):
                chosen = {name: pools[name][position % len(pools[name])] for name in others}
                add(rule, values | chosen)
        if pools["cycled"] and rule.endpoint in CYCLED_PAGES:
            improvement_id, number = pools["cycled"]
            values = {"improvement_id": improvement_id, "number": number}
            name = rule.endpoint.replace(".", "-").replace("_", "-")
            pages.append(PageAddress(f"{name}-in-pdsa-cycles", fill_rule(rule, values)))
    return pages


def sign_in(page: Page, role: str) -> None:
    """Sign the tab in as the demo person of `role` ("anonymous": signed out)."""
    page.context.clear_cookies()
    if role == "anonymous":
        return
    page.goto("/auth/sign-in")
    page.get_by_label("Email address").fill(DEMO_LOGINS[role])
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/sign-in" not in url)


def walk(page: Page, pages: list[PageAddress]) -> Iterator[PageAddress]:
    """Open each page in the tab, yielding those the signed-in role may see (200, HTML, not
    redirected: a signed-out visitor is sent to sign in) while the tab shows it."""
    for address in pages:
        response = page.goto(address.path)
        if response is None or response.status != 200 or response.request.redirected_from:
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        yield address
