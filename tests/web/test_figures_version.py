"""One figures version behind every ETag: after each kind of write, every response made from
the figures has a new ETag (the old one gets 200 and the new content, the new one 304), and
the dashboards' kept figures are under a new version (docs/decisions/0010).

The dependents are every conditional GET made from the figures: the Treasury's cumulative
chart, a department's forest plot, an improvement's charts, the public register's chart and
files, and the API's estimate. Each write is done through its service (or its command), as
the web pages and the API do it, and committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import pytest
from sqlalchemy import select, update

from gains.extensions import db
from gains.figures_cache import figures_version
from gains.models import (
    BatchSource,
    BatchStatus,
    Decision,
    Department,
    Estimate,
    Improvement,
    Measurement,
    UploadBatch,
)
from gains.models.figures import figures_version as version_row
from gains.services.improvements import workflow
from gains.services.improvements.plan_changes import amend, update_plan
from gains.services.measurements import recording
from gains.services.people.api_tokens import create_token
from gains.services.people.organisation import create_department, update_department
from gains.services.public.publication import publish, unpublish
from gains.services.review.decisions import decide
from tests.support.demo_records import claiming_improvement, manager_of, titled
from tests.support.factories import person

SUBMITTED = "Wrap-up codes reduced from 40 to 12"  # back in review, its approval standing
APPROVED_UNPUBLISHED = "Text before a fine is escalated"
PUBLISHED = "Pre-fill known fields on the renewal form"


@dataclass(frozen=True)
class Write:
    """One kind of write; `shows_in` names dependents whose content it visibly changes."""

    name: str
    act: Callable[[Improvement, Callable], None]
    shows_in: tuple[str, ...] = ()


def _active_batch(improvement: Improvement) -> UploadBatch:
    return db.session.scalars(
        select(UploadBatch)
        .where(UploadBatch.improvement_id == improvement.id)
        .where(UploadBatch.status == BatchStatus.ACTIVE)
        .order_by(UploadBatch.id.desc())
    ).first()


def _a_row(improvement: Improvement) -> Measurement:
    return _active_batch(improvement).measurements[0]


def measurement_added(tracked, run_command):
    values = [{"phase": "after", "value": 10_000.0}]
    recording.record_batch(tracked.created_by, tracked, values, source=BatchSource.FORM)


def upload_confirmed(tracked, run_command):
    csv = BytesIO(b"phase,value\nafter,9000\nafter,9100\n")
    batch = recording.upload_csv(tracked.created_by, tracked, csv, filename="more.csv")
    recording.confirm_batch(tracked.created_by, batch)


def batch_withdrawn(tracked, run_command):
    recording.withdraw_batch(tracked.created_by, _active_batch(tracked), "Sent twice")


def row_edited(tracked, run_command):
    row = _a_row(tracked)
    recording.edit_measurement(
        tracked.created_by, row, {"phase": row.phase.value, "value": row.value + 500}
    )


def row_deleted(tracked, run_command):
    recording.delete_measurement(tracked.created_by, _a_row(tracked))


def imported(tracked, run_command):
    """`gains import FILE --improvement ID`, the operator's bulk path."""
    run_command("import", b"phase,value\nafter,8000\nafter,8100\n", "--improvement", tracked.id)


def amended(tracked, run_command):
    amend(tracked.created_by, tracked, "hypothesis", "A shorter letter is read.", "Typo")


def title_edited(tracked, run_command):
    update_plan(tracked.created_by, tracked, {"title": tracked.title + " (revised)"})


def money_changed(tracked, run_command):
    update_plan(tracked.created_by, tracked, {"annual_volume": tracked.annual_volume * 2})


def submitted(tracked, run_command):
    workflow.submit(tracked.created_by, tracked)


def approved(tracked, run_command):
    improvement = titled(SUBMITTED)
    decide(manager_of(improvement), improvement, Decision.APPROVED, "")


def rejected(tracked, run_command):
    improvement = titled(SUBMITTED)
    decide(manager_of(improvement), improvement, Decision.REJECTED, "Not shown to last")


def changes_requested(tracked, run_command):
    improvement = titled(SUBMITTED)
    decide(manager_of(improvement), improvement, Decision.CHANGES_REQUESTED, "Say more")


def withdrawn(tracked, run_command):
    improvement = titled(SUBMITTED)
    workflow.withdraw(improvement.created_by, improvement, "Superseded by a new script")


def published(tracked, run_command):
    improvement = titled(APPROVED_UNPUBLISHED)
    publish(manager_of(improvement), improvement, "A text before escalation.")


def unpublished(tracked, run_command):
    improvement = titled(PUBLISHED)
    unpublish(manager_of(improvement), improvement, "Figures under review")


def department_renamed(tracked, run_command):
    department = titled(PUBLISHED).department
    admin = person(db.session, "admin")
    update_department(admin, department, name=department.name + " Agency", code=department.code)


def department_added(tracked, run_command):
    create_department(person(db.session, "admin"), name="Office of Tests", code="OOT")


def recomputed(tracked, run_command):
    """`gains estimates recompute-all` after the statistics changed: here the tracked
    improvement's stored estimate as an older method would have left it (set up before the
    first requests, see `older_statistics`)."""
    run_command("recompute-all")


def older_statistics(tracked: Improvement) -> None:
    db.session.execute(
        update(Estimate)
        .where(Estimate.improvement_id == tracked.id)
        .where(Estimate.data_version == tracked.data_version)
        .values(gain=Estimate.gain * 3, effect=Estimate.effect * 3)
    )


WRITES = [
    Write("measurement added", measurement_added, ("improvement chart", "API estimate")),
    Write("upload confirmed", upload_confirmed, ("improvement chart", "API estimate")),
    Write("batch withdrawn", batch_withdrawn, ("improvement chart", "API estimate")),
    Write("row edited", row_edited, ("improvement chart", "API estimate")),
    Write("row deleted", row_deleted, ("API estimate",)),
    Write("import command", imported, ("improvement chart", "API estimate")),
    Write("amendment", amended, ("API estimate",)),  # a new data version
    Write("title edited", title_edited, ("improvement chart",)),
    Write("money changed", money_changed),
    Write("submission", submitted),
    Write("approval", approved, ("forest plot",)),
    Write("rejection", rejected),
    Write("changes requested", changes_requested),
    Write("withdrawal", withdrawn),
    Write("publication", published, ("register file",)),
    Write("unpublication", unpublished, ("register file", "public chart")),
    Write("department renamed", department_renamed, ("register file",)),
    Write("department added", department_added),
    Write("recompute-all", recomputed, ("API estimate",)),
]


@pytest.fixture
def bearer(app, db) -> dict[str, str]:
    """An administrator's API token (made before the first request: a new token is a write)."""
    with app.app_context():
        new = create_token(person(db.session, "admin"), "figures version test", 30)
        db.session.commit()
        return {"Authorization": f"Bearer {new.secret}"}


@pytest.fixture
def run_command(app, tmp_path):
    """Run `gains import` (with a file of these bytes) or `gains estimates ...` in-process."""
    from gains.commands.estimates import estimates_group
    from gains.commands.imports import import_command

    def run(name: str, *args):
        if name == "import":
            content, *options = args
            path = tmp_path / "rows.csv"
            path.write_bytes(content)
            result = app.test_cli_runner().invoke(import_command, [str(path), *map(str, options)])
        else:
            result = app.test_cli_runner().invoke(estimates_group, [name, *map(str, args)])
        assert result.exit_code == 0, result.output

    return run


def dependents(app, tracked_id: int, bearer: dict) -> dict[str, tuple[str, dict]]:
    """Every conditional GET made from the figures: name → (URL, headers)."""
    with app.app_context():
        forest_department = titled(SUBMITTED).department_id
        public_id = titled(PUBLISHED).id
    return {
        "Treasury chart": ("/dashboards/treasury/cumulative.svg", {}),
        # Its approved improvements are before/after (evidence level 2), pooled on request.
        "forest plot": (
            f"/dashboards/departments/{forest_department}/forest.svg?level_2=include",
            {},
        ),
        "improvement chart": (f"/improvements/{tracked_id}/charts/distributions.svg", {}),
        "public chart": (f"/register/improvements/{public_id}/chart.svg", {}),
        "register file": ("/register/data.csv", {}),
        "API estimate": (f"/api/v1/improvements/{tracked_id}/estimate", bearer),
    }


@pytest.mark.parametrize("write", WRITES, ids=[write.name for write in WRITES])
def test_every_write_moves_every_etag_made_from_the_figures(
    app, signed_in, bearer, run_command, write
):
    client = signed_in("admin")
    with app.app_context():
        tracked = claiming_improvement()
        if write is WRITES[-1]:
            older_statistics(tracked)
            db.session.commit()
        tracked_id = tracked.id
    urls = dependents(app, tracked_id, bearer)

    before = {}
    for name, (url, headers) in urls.items():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (name, response.status_code)
        etag = response.headers["ETag"]
        again = client.get(url, headers=headers | {"If-None-Match": etag})
        assert again.status_code == 304, name  # unchanged: not modified, nothing drawn
        before[name] = (etag, response.get_data())
    with app.app_context():
        version = figures_version()

        write.act(db.session.get(Improvement, tracked_id), run_command)
        db.session.commit()
        assert figures_version() != version  # the dashboards' kept figures are not served

    problems = []
    for name, (url, headers) in urls.items():
        old_etag, old_body = before[name]
        response = client.get(url, headers=headers | {"If-None-Match": old_etag})
        if name == "public chart" and write.name == "unpublication":
            assert response.status_code == 404  # off the register, whatever the client holds
            continue
        if response.status_code == 304:
            fresh = client.get(url, headers=headers).get_data()
            stale = " for content that changed" if fresh != old_body else ""
            problems.append(f"{name}: the old ETag still gets 304{stale}")
            continue
        assert response.status_code == 200, name
        new_etag = response.headers["ETag"]
        if new_etag == old_etag:
            problems.append(f"{name}: the same ETag")
        if name in write.shows_in and response.get_data() == old_body:
            problems.append(f"{name}: the old content")
        current = client.get(url, headers=headers | {"If-None-Match": new_etag})
        assert current.status_code == 304, name
    assert not problems, "; ".join(problems)


def test_a_read_moves_no_etag(app, signed_in, bearer):
    """Reading every dependent, as each role that may, changes nothing they depend on."""
    client = signed_in("admin")
    with app.app_context():
        tracked_id = claiming_improvement().id
    urls = dependents(app, tracked_id, bearer)
    first = {name: client.get(url, headers=headers) for name, (url, headers) in urls.items()}
    client.get("/dashboards/treasury")
    client.get(f"/improvements/{tracked_id}")
    client.get("/register/")
    for name, (url, headers) in urls.items():
        etag = first[name].headers["ETag"]
        assert client.get(url, headers=headers | {"If-None-Match": etag}).status_code == 304


def test_open_data_still_answers_if_modified_since_from_the_register_alone(app, client):
    """Without If-None-Match the register's files answer by their Last-Modified, which moves
    only when something the register shows does: a write elsewhere leaves them 304."""
    first = client.get("/register/data.json")
    since = first.headers["Last-Modified"]
    with app.app_context():
        measurement_added(claiming_improvement(), None)
        db.session.commit()
    unchanged = client.get("/register/data.json", headers={"If-Modified-Since": since})
    assert unchanged.status_code == 304
    moved = client.get("/register/data.json", headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200


def test_each_commit_that_adds_audit_events_moves_the_version_one_step(session):
    def number() -> int:
        return session.scalar(select(version_row.c.number))

    start = number()
    admin = person(session, "admin")
    create_department(admin, name="Office of Tests", code="OOT")
    create_department(admin, name="Office of Checks", code="OOC")
    session.commit()
    assert number() == start + 1
    session.commit()  # nothing written
    assert number() == start + 1


def test_a_write_committed_after_a_later_numbered_one_still_moves_the_version(request):
    """PostgreSQL hands out ids before commit: the first write's event is numbered below the
    second's but commits after it, and someone reads in between. The newest event's id would
    not move at the first write's commit (the figures read in between would be kept, and
    their ETags answered 304, until the next write); the version does."""
    import flask_migrate

    from tests.conftest import make_test_app
    from tests.support.postgres import fresh_database

    app = make_test_app(fresh_database(request, "gains_figures_race"))
    with app.app_context():
        flask_migrate.upgrade()
        ids = [create_department(None, name=n, code=n[:3].upper()).id for n in ("One", "Two")]
        db.session.commit()
        db.session.remove()

    def rename(department_id: int, name: str) -> None:
        department = db.session.get(Department, department_id)
        update_department(None, department, name=name, code=department.code)
        db.session.flush()

    with app.app_context():  # the first write: its event numbered first, left uncommitted
        rename(ids[0], "One Office")
        with app.app_context():  # the second: numbered after it, committed first
            rename(ids[1], "Two Office")
            db.session.commit()
            db.session.remove()
        with app.app_context():
            between = figures_version()
            db.session.remove()
        db.session.commit()
        db.session.remove()
    with app.app_context():
        assert figures_version() != between
        db.session.remove()
        db.engine.dispose()
