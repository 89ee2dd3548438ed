"""Dashboards are computed once per data version and never served stale."""

import json

import pytest
from sqlalchemy import select, update

from gains import figures_cache as figures_module
from gains.dashboards import views as department_views
from gains.extensions import db
from gains.models import (
    AuditEvent,
    BatchSource,
    Decision,
    Department,
    Direction,
    Estimate,
    Improvement,
    Status,
)
from gains.services.improvements import workflow
from gains.services.improvements.plan_changes import amend
from gains.services.measurements.recording import record_batch
from gains.services.public.publication import publish
from gains.services.review.decisions import decide
from tests.support.demo_records import claiming_improvement, manager_of, titled


@pytest.fixture
def cache_on(app):
    app.config["GAINS_FIGURES_CACHE"] = True
    app.extensions["gains_figures"].__init__()  # empty, as in a new process
    yield
    app.config["GAINS_FIGURES_CACHE"] = False
    app.extensions["gains_figures"].__init__()


@pytest.fixture
def computed(monkeypatch):
    """How many times each dashboard was computed."""
    counts = {"treasury": 0, "department": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        figures_module,
        "treasury_dashboard",
        counting("treasury", figures_module.treasury_dashboard),
    )
    monkeypatch.setattr(
        department_views,
        "department_dashboard",
        counting("department", department_views.department_dashboard),
    )
    return counts


def validated_total(html: str) -> str:
    """The savings totals: validated raw and shrunk, their NPVs, level 2 reported."""
    start = html.index("Validated annual savings, shrunk (the figure to bank)")
    return html[start : html.index("Claimed annual savings (pipeline)")]


def test_treasury_figures_are_reused_until_something_changes(app, signed_in, cache_on, computed):
    client = signed_in("treasury")
    first = client.get("/dashboards/treasury").get_data(as_text=True)
    client.get("/dashboards/treasury")
    client.get("/dashboards/treasury/cumulative.csv")
    assert computed["treasury"] == 1
    client.get("/dashboards/treasury?pillar=engaging_users")
    assert computed["treasury"] == 2  # other filters, other figures

    with app.app_context():
        # Back in review with its approval standing; withdrawn, the approval no longer stands.
        reopened = db.session.scalars(
            select(Improvement).where(Improvement.title == "Wrap-up codes reduced from 40 to 12")
        ).one()
        assert reopened.status is Status.SUBMITTED
        workflow.withdraw(reopened.created_by, reopened, "Superseded by a new script")
        db.session.commit()
    after = client.get("/dashboards/treasury").get_data(as_text=True)
    assert computed["treasury"] == 3
    assert validated_total(after) != validated_total(first)


def test_new_data_changes_the_department_figures(app, signed_in, cache_on, computed):
    client = signed_in("treasury")
    with app.app_context():
        department = db.session.scalars(select(Department).where(Department.code == "REV")).one()
        url = f"/dashboards/departments/{department.id}"
    first = client.get(url).get_data(as_text=True)
    client.get(url)
    assert computed["department"] == 1
    with app.app_context():
        improvement = db.session.scalars(
            select(Improvement)
            .where(Improvement.department_id == department.id)
            .where(Improvement.status == Status.RUNNING)
            .where(Improvement.annual_volume.is_not(None))
            .order_by(Improvement.id)
        ).first()
        higher = improvement.direction is Direction.HIGHER
        # A measurement far on the better side moves the estimate and its claimed saving.
        values = [{"phase": "after", "value": 10_000 * (1 if higher else -1)}]
        record_batch(improvement.created_by, improvement, values, source=BatchSource.FORM)
        db.session.commit()
    after = client.get(url).get_data(as_text=True)
    assert computed["department"] == 2
    claimed = after.index("Claimed (current estimates")
    assert after[claimed : claimed + 300] != first[claimed : claimed + 300]


def test_the_cache_keeps_the_most_recently_used_and_computes_a_key_once(monkeypatch):
    import threading

    from gains import figures_cache
    from gains.figures_cache import FiguresCache

    monkeypatch.setattr(figures_cache, "figures_version", lambda: (1,))  # no database here

    cache, calls = FiguresCache(entries=2), []

    def compute(name):
        calls.append(name)
        return name

    for name in ("a", "b", "a", "c", "a", "b"):
        assert cache.get(name, lambda name=name: compute(name)) == name
    # a, b computed; a reused; c pushes out b (a was used more recently); a reused; b again.
    assert calls == ["a", "b", "c", "b"]

    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(5)
        calls.append("slow")
        return "slow"

    results = []

    def reader():
        results.append(cache.get("slow", slow))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == ["slow"] * 4 and calls.count("slow") == 1


def test_a_computation_that_raises_leaves_nothing_held():
    """The error reaches the caller; the next request for the key computes (it does not wait
    on the failed one), and no per-key lock is left behind (keys carry the figures version,
    so leftovers would pile up for the life of a worker)."""
    import threading

    from gains.figures_cache import FiguresCache

    cache = FiguresCache()

    def broken():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cache.get("key", broken)
    answer = []
    thread = threading.Thread(target=lambda: answer.append(cache.get("key", lambda: "figures")))
    thread.start()
    thread.join(10)
    assert answer == ["figures"]
    with pytest.raises(RuntimeError):
        cache.get("other", broken)
    assert cache._computing == {}


def test_a_request_waiting_on_a_computation_that_raises_computes_for_itself():
    """The waiter is let go when the computation it waited on raises (its lock is released
    on the way out), computes the figures itself, and no per-key lock is left behind."""
    import threading
    import time

    from gains.figures_cache import FiguresCache

    cache = FiguresCache()
    computing, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def broken():
        computing.set()
        release.wait(5)
        raise RuntimeError("the database went away")

    def first():
        try:
            cache.get("key", broken)
        except RuntimeError as error:
            outcomes["first"] = error

    def second():
        outcomes["second"] = cache.get("key", lambda: "figures")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert computing.wait(5)
    threads[1].start()  # finds the key being computed and waits on its lock
    time.sleep(0.2)  # time to reach it: without the wait the test still passes, less tellingly
    release.set()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert isinstance(outcomes["first"], RuntimeError) and outcomes["second"] == "figures"
    assert cache._computing == {}


def test_recomputing_every_estimate_moves_the_figures_version(session):
    """`recompute_all` writes no audit event (the command does); its new estimates still move
    the version (their ids may repeat on SQLite; their computation time does not)."""
    from gains.figures_cache import figures_version
    from gains.services.estimates.recompute import recompute_all

    before = figures_version()
    recompute_all()
    session.flush()
    assert figures_version() != before


def test_the_kept_figures_carry_nothing_of_the_person_who_asked_first(app, cache_on, computed):
    """The rendered figures are shared; each person's own page parts (name, CSRF token) are
    rendered for them on every request."""
    import re

    from tests.conftest import DEMO_LOGINS, sign_in

    with app.app_context():
        department = db.session.scalars(select(Department).where(Department.code == "REV")).one()
        department_url = f"/dashboards/departments/{department.id}"
    pages = {}
    for role in ("treasury", "admin"):
        client = app.test_client()
        assert sign_in(client, DEMO_LOGINS[role]).status_code == 303
        pages[role] = [
            client.get(url).get_data(as_text=True)
            for url in ("/dashboards/treasury", department_url)
        ]
    assert computed == {"treasury": 1, "department": 1}
    for treasury_page, department_page in pages.values():
        assert "Savings across departments" in treasury_page
        assert "Pooled effect of approved improvements" in department_page

    def own_parts(html: str) -> tuple[str, str]:
        signed_in_as = re.search(r'app-signed-in-as">([^<]*)<', html).group(1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        return signed_in_as, token

    for page in (0, 1):
        treasury_parts = own_parts(pages["treasury"][page])
        admin_parts = own_parts(pages["admin"][page])
        assert "(Treasury)" in treasury_parts[0] and "(Administrator)" in admin_parts[0]
        assert treasury_parts[1] != admin_parts[1]


# -- every kind of write moves the Treasury figures and its chart's ETag together -------------


def claimed_total(html: str) -> str:
    start = html.index("Claimed annual savings")
    return html[start : start + 400]


def new_batch(app) -> None:
    improvement = claiming_improvement()
    values = [{"phase": "after", "value": 10.0}]
    record_batch(improvement.created_by, improvement, values, source=BatchSource.FORM)


def approval(app) -> None:
    improvement = titled("Wrap-up codes reduced from 40 to 12")  # submitted in the demo
    decide(manager_of(improvement), improvement, Decision.APPROVED, "")


def publication(app) -> None:
    improvement = titled("Text before a fine is escalated")  # approved, not published
    publish(manager_of(improvement), improvement, "A text before escalation.")


def amendment(app) -> None:
    improvement = claiming_improvement()
    amend(improvement.created_by, improvement, "hypothesis", "A shorter letter is read.", "Typo")


def recompute_all_command(app) -> None:
    """`gains estimates recompute-all`, after the statistics changed: here, one stored
    estimate's figures as an older method version would have left them (no write recorded)."""
    from gains.commands.estimates import estimates_group

    result = app.test_cli_runner().invoke(estimates_group, ["recompute-all"])
    assert result.exit_code == 0, result.output


def older_statistics() -> None:
    improvement = claiming_improvement()
    db.session.execute(
        update(Estimate)
        .where(
            Estimate.improvement_id == improvement.id,
            Estimate.data_version == improvement.data_version,
        )
        .values(gain=Estimate.gain * 3)
    )


@pytest.mark.parametrize(
    "write", [recompute_all_command, new_batch, approval, publication, amendment]
)
def test_every_write_moves_the_treasury_figures_and_its_chart_etag(
    app, signed_in, cache_on, computed, write
):
    client = signed_in("treasury")
    if write is recompute_all_command:
        with app.app_context():
            older_statistics()
            db.session.commit()
    page = client.get("/dashboards/treasury").get_data(as_text=True)
    chart = client.get("/dashboards/treasury/cumulative.svg")
    assert chart.status_code == 200 and chart.get_etag()[0]
    assert (
        client.get(
            "/dashboards/treasury/cumulative.svg", headers={"If-None-Match": chart.headers["ETag"]}
        ).status_code
        == 304
    )
    assert computed["treasury"] == 1

    with app.app_context():
        write(app)
        db.session.commit()

    after = client.get("/dashboards/treasury").get_data(as_text=True)
    assert computed["treasury"] == 2  # the figures were computed again
    again = client.get(
        "/dashboards/treasury/cumulative.svg", headers={"If-None-Match": chart.headers["ETag"]}
    )
    assert again.status_code == 200 and again.get_etag()[0] != chart.get_etag()[0]
    if write is recompute_all_command:
        assert claimed_total(after) != claimed_total(page)


def test_recompute_all_is_in_the_audit_trail_with_its_counts(app, signed_in):
    from gains.commands.estimates import estimates_group

    result = app.test_cli_runner().invoke(estimates_group, ["recompute-all", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "estimates.recomputed" and event.actor_id is None
        assert event.entity_type == "estimates" and event.department_id is None
        assert event.after == {
            "improvements": summary["improvements"],
            "estimates": summary["estimates"],
        }
        assert summary["estimates"] > 0
    trail = signed_in("admin").get("/admin/audit?action=estimates.recomputed")
    assert trail.status_code == 200 and "estimates.recomputed" in trail.get_data(as_text=True)
