"""A crawl of every GET route in `app.url_map`, as anonymous and each role, with odd but
valid records present: no 5xx anywhere (pages, audit trails, exports, charts, the API and the
public register).

The odd records are written the ways people write them: through the services (titles with
`$`, `{{`, right-to-left text, emoji and the longest allowed; values and dates at the edges
of what is allowed), the web CSV upload (confirmed), the web import of many (cancelled), the
API and `gains import`; then approved, published, withdrawn. The fuzzers' own examples are
rolled back one by one (so that each replays), which is why the crawl writes its own.

URL values: every improvement for the improvement's page, audit trail and public page; for
the other routes the odd records, one demo record per status and out-of-range ids (0, -1,
2**63); every department, team, user and token; the batches and a measurement of the
improvements crawled. String values (an amendment's field, a chart's kind, an export's
table) come from the links the pages show, plus an odd one. Known query arguments (each
page's GET form, paging) get odd values. Nothing else is followed.
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from gains.commands.imports import import_command
from gains.extensions import db as database
from gains.models import (
    ApiToken,
    BatchSource,
    ChartNote,
    Cycle,
    Decision,
    Department,
    Improvement,
    Measurement,
    Status,
    Team,
    UploadBatch,
    User,
)
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from gains.services.people.api_tokens import create_token
from gains.services.public.publication import publish
from gains.services.review.decisions import decide
from tests.fuzz.conftest import ROLES, Clients
from tests.fuzz.pages import fill_rule, local_path, match_route, parse_page
from tests.support.factories import person, plan

OUT_OF_RANGE = (0, -1, 2**63)
ODD_STRING_ARG = "x$%7B%7B"
ODD_QUERY_VALUES = ("\x00", "9" * 20, "9223372036854775808", "-1", "$x$", "{{7*7}}", "\u202e😀")
PAGING = {"page": ("0", "-1", "9223372036854775808", "x"), "per_page": ("0", "100000", "-5")}
LONGEST_TITLE = "Ŧ" * 200
ODD_TITLES = (
    "Cost in $ and $$: {{ 7*7 }} <script>x</script>",
    "\u202eعنوان بالعربية\u202c 😀🚀",
    LONGEST_TITLE,
    "$\\frac{1}{0}$ 50% & #1 \\n",
)
EDGE_VALUES = (1e12, -1e12, 0.0, -0.0, 1e-12, 123456.789)
EDGE_DAYS = (date(1990, 1, 1), date(2100, 12, 31), date(2024, 2, 29))


DATABASE_ERRORS: list[str] = []  # what the last seeding could not store (see the last test)


def _try(action, *args, **kwargs):
    """Run a service call; a refusal (the bounds may not allow a value) is not the crawl's
    concern: the record is kept as far as it got. A database error is noted for
    `test_records_at_the_bounds_are_stored` and the crawl goes on without that step."""
    try:
        with database.session.begin_nested():
            return action(*args, **kwargs)
    except (ValueError, LookupError):
        return None
    except DBAPIError as error:
        DATABASE_ERRORS.append(f"{action.__name__}: {str(error.orig).splitlines()[0]}")
        return None


def seed_with_services() -> list[int]:
    """Improvements with odd but valid text and values, in every status."""
    member, manager = person(database.session, "member"), person(database.session, "manager")
    made = []
    edges = dict(
        metric_unit="$ per {{case}}",
        scale=1_000_000,
        expected_effect=-1e12,
        implementation_cost_pence=10**14,
        annual_volume=10**10,
        value_per_unit_gbp=Decimal("9999.9999"),
        go_live_on=date(1990, 1, 1),
    )
    for index, (title, finish) in enumerate(
        zip(
            ODD_TITLES,
            ("published", "changes_requested", "withdrawn", "submitted"),
            strict=True,
        )
    ):
        improvement = (
            _try(workflow.create_improvement, member, member.team, plan(title=title, **edges))
            or _try(workflow.create_improvement, member, member.team, plan(title=title))
            or workflow.create_improvement(
                member, member.team, plan(title=f"Odd {index}: $ {{{{ }}}} 😀 عنوان")
            )
        )
        database.session.flush()
        workflow.start(member, improvement)
        rows = [
            {
                "phase": phase,
                "value": value,
                "observed_on": day,
                "unit_ref": f"{'$ {{ ' if index % 2 else '‮😀'}{n}",
            }
            for n, (phase, value, day) in enumerate(
                itertools.product(("before", "after"), EDGE_VALUES, EDGE_DAYS)
            )
        ]
        _try(record_batch, member, improvement, rows, source=BatchSource.FORM)
        record_batch(
            member,
            improvement,
            [{"phase": p, "value": v} for p in ("before", "after") for v in (12, 11, 13, 9, 8, 7)],
            source=BatchSource.FORM,
        )
        _try(workflow.submit, member, improvement)
        if finish in ("published", "changes_requested") and improvement.status is Status.SUBMITTED:
            decision = Decision.APPROVED if finish == "published" else Decision.CHANGES_REQUESTED
            _try(decide, manager, improvement, decision, "$x$ {{ 7*7 }} \u202e")
        if finish == "published":
            _try(publish, manager, improvement, "A summary with $1,000 and {{ braces }} 😀.")
        if finish == "withdrawn":
            _try(workflow.withdraw, member, improvement, "Withdrawn: $ {{ }} \u202e")
        made.append(improvement.id)
    database.session.commit()
    return made


def seed_through_the_web(app, clients: Clients, improvement_id: int, tmp_path) -> None:
    """A confirmed CSV upload, a cancelled import of many, API rows and `gains import`: the
    audit events these leave are what the audit pages must show."""
    admin = clients("admin")
    cells = "phase,group,unit,date,value\n" + "".join(
        f"{p},treatment,$ {{{{ {n} }}}} ‮😀,{d},{v}\n"
        for n, (p, d, v) in enumerate(
            itertools.product(("before", "after"), ("1990-01-01", "2100-12-31"), ("1e12", "-0.0"))
        )
    )
    upload = admin.post(
        f"/improvements/{improvement_id}/measurements/upload",
        data={"file": (io.BytesIO(cells.encode()), "odd $ {{ }} ‮😀.csv")},
        content_type="multipart/form-data",
    )
    _submit_forms_after(app, admin, upload, "confirm")
    many = "improvement," + cells.replace("\n", f"\n{improvement_id},").rstrip(f"{improvement_id},")
    imported = admin.post(
        "/measurements/import",
        data={"file": (io.BytesIO(many.encode()), "many $.csv")},
        content_type="multipart/form-data",
    )
    _submit_forms_after(app, admin, imported, "cancel_many")
    with app.app_context():
        secret = create_token(person(database.session, "admin"), "crawl $ {{ }}", 30).secret
        database.session.commit()
    admin.post(
        f"/api/v1/improvements/{improvement_id}/measurements",
        json={"rows": [{"phase": "after", "value": 1e12, "unit_ref": "{{ $ }}"}]},
        headers={"Authorization": f"Bearer {secret}"},
    )
    path = tmp_path / "odd $ {{ }}.csv"
    path.write_text(cells)
    app.test_cli_runner().invoke(
        import_command, [str(path), "--improvement", str(improvement_id), "--source", "$ {{ }}"]
    )


def _submit_forms_after(app, client, response, endpoint_suffix: str) -> None:
    path = local_path(response.headers.get("Location", ""))
    if not path:
        return
    forms, _ = parse_page(path, client.get(path).get_data(as_text=True))
    for form in forms:
        found = match_route(app, form.action, form.method)
        if found and form.method == "POST" and found[0].endpoint.endswith(endpoint_suffix):
            client.post(form.action, data={n: f.value for n, f in form.fields.items()})
            return


def value_pools(odd_ids: list[int]) -> dict[str, Any]:
    """Ids for each URL argument (see the module's docstring)."""
    session = database.session
    every_improvement = list(session.scalars(select(Improvement.id).order_by(Improvement.id)))
    by_status = session.execute(select(Improvement.status, Improvement.id).order_by(Improvement.id))
    one_per_status = list({status: id_ for status, id_ in by_status}.values())
    chosen = sorted(set(odd_ids) | set(one_per_status))
    batches = defaultdict(list)
    for batch_id, improvement_id in session.execute(
        select(UploadBatch.id, UploadBatch.improvement_id).where(
            UploadBatch.improvement_id.in_(chosen)
        )
    ):
        batches[improvement_id].append(batch_id)
    measurement_of = dict(
        session.execute(
            select(Measurement.batch_id, Measurement.id)
            .where(Measurement.improvement_id.in_(chosen))
            .order_by(Measurement.id.desc())
        ).all()
    )
    return {
        "every_improvement": every_improvement,
        "improvement_id": chosen,
        "batches": batches,
        "measurement_of": measurement_of,
        "department_id": list(session.scalars(select(Department.id))),
        "team_id": list(session.scalars(select(Team.id))),
        "user_id": list(session.scalars(select(User.id))),
        "token_id": list(session.scalars(select(ApiToken.id))),
        "note_id": list(
            session.scalars(select(ChartNote.id).where(ChartNote.improvement_id.in_(chosen)))
        ),
        "number": sorted(
            set(session.scalars(select(Cycle.number).where(Cycle.improvement_id.in_(chosen))))
        )
        or [1],
    }


# Routes read for every improvement: the ones people land on from the register.
EVERY_IMPROVEMENT = ("improvements.view", "audit.improvement", "public.improvement")


def url_values(rule, pools: dict[str, Any], strings: dict[tuple[str, str], set[str]]):
    """Each set of URL values to crawl `rule` with."""
    names = set(rule.arguments)
    if not names:
        yield {}
        return
    if "improvement_id" in names:
        ids = (
            pools["every_improvement"]
            if rule.endpoint in EVERY_IMPROVEMENT
            else pools["improvement_id"]
        )
        bases = []
        for improvement_id in [*ids, *OUT_OF_RANGE]:
            base = {"improvement_id": improvement_id}
            if "batch_id" in names:
                batches = pools["batches"].get(improvement_id, [])[:2] or [1]
                for batch_id in [*batches, 2**63]:
                    item = {**base, "batch_id": batch_id}
                    if "measurement_id" in names:
                        item["measurement_id"] = pools["measurement_of"].get(batch_id, 0)
                    bases.append(item)
            elif "measurement_id" in names:
                batches = pools["batches"].get(improvement_id, [])
                measurement = pools["measurement_of"].get(batches[0]) if batches else 0
                bases += [{**base, "measurement_id": measurement or 0}]
            else:
                bases.append(base)
    elif "batch_id" in names:
        bases = [
            {"batch_id": b} for b in [*itertools.chain(*pools["batches"].values()), *OUT_OF_RANGE]
        ]
    else:
        bases = [{}]
    for base in bases:
        others = sorted(names - base.keys())
        choices = []
        for name in others:
            if name in pools:
                choices.append([*pools[name], *OUT_OF_RANGE])
            else:
                choices.append([*sorted(strings.get((rule.endpoint, name), ())), ODD_STRING_ARG])
        for combination in itertools.product(*choices):
            yield {**base, **dict(zip(others, combination, strict=True))}


def crawl(app, client, headers, pools, roles_note: str) -> dict[str, list]:
    """GET every rule with every set of URL values, then each page's GET form and paging
    with odd values; the status codes by endpoint, and every 5xx."""
    strings: dict[tuple[str, str], set[str]] = defaultdict(set)
    statuses: dict[str, list[int]] = defaultdict(list)
    failures: list[str] = []
    rules = sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods),
        # Pages first, so their links give the string arguments of the rest.
        key=lambda r: (len(set(r.arguments) - set(pools) - {"improvement_id", "batch_id"}), r.rule),
    )
    query_forms: dict[str, list] = {}

    strings[("static", "filename")].add("app/app.css")

    def get(endpoint: str, path: str, query: dict | None = None) -> None:
        try:
            response = client.get(path, query_string=query, headers=headers(path))
        except Exception as error:  # TESTING propagates what would be a 500
            failures.append(f"{roles_note} GET {path} {query or ''} raised {error!r}")
            return
        statuses[endpoint].append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{roles_note} GET {path} {query or ''} -> {response.status_code}")
        elif response.status_code == 200 and response.mimetype == "text/html":
            forms, links = parse_page(path, response.get_data(as_text=True))
            for link in links:
                found = (target := local_path(link)) and match_route(app, target, "GET")
                if found:
                    for name, value in found[1].items():
                        if isinstance(value, str) and name not in pools:
                            strings[(found[0].endpoint, name)].add(value)
            for form in forms:
                if form.method == "GET" and form.fields:
                    query_forms.setdefault(form.action.split("?")[0], form)
        response.close()

    for rule in rules:
        endpoint = rule.endpoint
        for values in url_values(rule, pools, strings):
            path = fill_rule(rule, values)
            if path is not None:
                get(endpoint, path)
    # Known query arguments: each GET form's fields, and paging, with odd values.
    for action, form in query_forms.items():
        found = match_route(app, action, "GET")
        endpoint = found[0].endpoint if found else action
        for odd in ODD_QUERY_VALUES:
            get(endpoint, action, {name: odd for name in form.fields})
    for rule in rules:
        if not rule.arguments:
            for name, odd_values in PAGING.items():
                for odd in odd_values:
                    query = {name: odd, "batch": "99999999999999999999"}
                    get(rule.endpoint, fill_rule(rule, {}), query)
    return {"statuses": statuses, "failures": failures}


@pytest.fixture
def odd_records(app, db, clients, tmp_path):
    DATABASE_ERRORS.clear()
    with app.app_context():
        made = seed_with_services()
        database.session.remove()
    seed_through_the_web(app, clients, made[0], tmp_path)
    with app.app_context():
        pools = value_pools(made)
        database.session.remove()
    return pools


# Every GET route with every odd record as one role: over a minute on a quiet runner, and over
# the suite's default 120 s on a loaded one.
@pytest.mark.timeout(360)
@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_answers_without_a_server_error(
    app, db, clients, odd_records, backend, request, role
):
    client = clients(role)
    secret = None
    if role != "anonymous":
        with app.app_context():
            secret = create_token(person(database.session, role), "crawl", 30).secret
            database.session.commit()

    def headers(path: str) -> dict[str, str]:
        if secret and path.startswith("/api/"):
            return {"Authorization": f"Bearer {secret}"}
        return {}

    result = crawl(app, client, headers, odd_records, role)
    total = sum(map(len, result["statuses"].values()))
    print(f"crawl as {role}: {len(result['statuses'])} routes, {total} requests")
    assert not result["failures"], "\n".join(result["failures"][:40])


def test_records_at_the_bounds_are_stored(app, db):
    """Every step of the odd records' seeding is stored or refused, never a database error."""
    DATABASE_ERRORS.clear()
    with app.app_context():
        seed_with_services()
        database.session.remove()
    assert not DATABASE_ERRORS, DATABASE_ERRORS
