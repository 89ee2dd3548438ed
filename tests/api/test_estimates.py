"""Estimates (with ETag), a department's pooled estimate and the cumulative savings series."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import Department, Improvement, Status, Team
from gains.models.base import utcnow
from gains.services.dashboards.department import department_pooling
from gains.services.dashboards.treasury import TreasuryFilters, treasury_dashboard
from gains.stats.evidence import LEVEL_LABELS
from tests.api.conftest import assert_problem, find_improvement


def department_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Department.id).where(Department.code == code)).one()


def test_an_estimate_with_its_etag_and_304(app, client, bearer):
    improvement = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.RUNNING
    )
    headers = bearer("member")
    url = f"/api/v1/improvements/{improvement}/estimate"
    first = client.get(url, headers=headers)
    assert first.status_code == 200
    body = first.get_json()
    assert body["available"] is True and body["method"] == "did"
    assert body["method_name"] == "Difference-in-differences"
    assert body["ci_low"] <= body["effect"] <= body["ci_high"]
    assert body["evidence_level"] == body["result"]["evidence_level"] in (3, 4, 5)
    assert body["evidence_label"] == LEVEL_LABELS[body["evidence_level"]]
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    unchanged = client.get(url, headers=headers | {"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag
    assert unchanged.get_data() == b""
    client.post(
        f"/api/v1/improvements/{improvement}/measurements",
        json={"rows": [{"phase": "after", "value": 1}]},
        headers=headers,
    )
    changed = client.get(url, headers=headers | {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["data_version"] == body["data_version"] + 1


def test_without_data_the_estimate_says_why(app, client, bearer):
    draft = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.DRAFT
    )
    body = client.get(f"/api/v1/improvements/{draft}/estimate", headers=bearer("member")).get_json()
    assert body["available"] is False and "no measurements" in body["reason"]
    assert body["effect"] is None and body["result"] is None
    assert body["evidence_level"] is None and body["evidence_label"] is None


def test_estimates_outside_scope_are_404(app, client, bearer):
    foreign = find_improvement(app, Department.code == "REV")
    assert_problem(
        client.get(f"/api/v1/improvements/{foreign}/estimate", headers=bearer("member")), 404
    )


@pytest.mark.parametrize("include_level_2", [False, True])
@pytest.mark.parametrize("method", ["dl", "pm"])
def test_the_pooled_estimate_is_the_dashboards(app, client, bearer, method, include_level_2):
    department = department_id(app, "HLT")
    response = client.get(
        f"/api/v1/departments/{department}/pooled-estimate?method={method}"
        + ("&include_level_2=true" if include_level_2 else ""),
        headers=bearer("treasury"),
    )
    body = response.get_json()
    with app.app_context():
        expected = department_pooling(department, method, include_level_2)
    assert body["method"] == method
    assert body["include_level_2"] is include_level_2
    assert body["excluded_level_2"] == expected.excluded_level_2
    assert [s["improvement_id"] for s in body["studies"]] == [
        s.improvement_id for s in expected.studies
    ]
    if expected.result is None:
        assert body["result"] is None and body["reason"]
    else:
        assert body["result"]["estimate"] == pytest.approx(expected.result.estimate)
        assert body["result"]["k"] == expected.result.k
        assert body["result"]["ci_method"] == "knha"
        assert body["result"]["df"] == expected.result.k - 1


def test_the_pooled_estimate_of_another_department_is_404(app, client, bearer):
    other = department_id(app, "HLT")
    assert_problem(
        client.get(f"/api/v1/departments/{other}/pooled-estimate", headers=bearer("manager")), 404
    )
    bad = client.get(
        f"/api/v1/departments/{other}/pooled-estimate?method=reml", headers=bearer("admin")
    )
    assert assert_problem(bad, 422)["errors"][0]["field"] == "method"


def test_the_savings_series_is_treasurys(app, client, bearer):
    response = client.get(
        "/api/v1/savings/cumulative?pillar=managing_inputs&from=2025-04",
        headers=bearer("treasury"),
    )
    body = response.get_json()
    with app.app_context():
        expected = treasury_dashboard(
            TreasuryFilters(pillar="managing_inputs", start=date(2025, 4, 1)), utcnow().date()
        )
    assert [m["month"] for m in body["months"]] == [f"{p.month:%Y-%m}" for p in expected.months]
    assert body["months"][-1]["validated_pence"] == expected.months[-1].validated_pence
    assert body["months"][-1]["claimed_pence"] == expected.months[-1].claimed_pence
    assert body["validated"]["total_pence"] == expected.validated.total_pence
    assert body["filters"]["pillar"] == "managing_inputs" and body["filters"]["from"] == "2025-04"


def test_savings_filters_by_department_and_refuses_unknown_ones(app, client, bearer):
    headers = bearer("admin")
    hlt, rev = department_id(app, "HLT"), department_id(app, "REV")
    both = client.get(
        f"/api/v1/savings/cumulative?department_id={hlt}&department_id={rev}", headers=headers
    ).get_json()
    assert both["filters"]["department_id"] == sorted([hlt, rev])
    unknown = client.get("/api/v1/savings/cumulative?department_id=999999", headers=headers)
    assert assert_problem(unknown, 422)["errors"][0]["field"] == "department_id"
    month = client.get("/api/v1/savings/cumulative?to=2026-13", headers=headers)
    assert assert_problem(month, 422)["errors"][0]["field"] == "to"


@pytest.mark.parametrize("role_name", ["member", "manager"])
def test_savings_are_not_for_departments(client, bearer, role_name):
    assert_problem(client.get("/api/v1/savings/cumulative", headers=bearer(role_name)), 403)


def test_the_estimate_carries_the_saving_its_interval_and_the_appraisal(app, client, bearer):
    """Issue 20: the saving with its interval (input ranges included) and the Green Book
    appraisal, as `money_for` gives them and the OpenAPI document describes them."""
    from gains.services.estimates.current import current_estimate
    from gains.services.money.savings import money_for

    ranged = find_improvement(app, Improvement.title.startswith("Text before a fine"))
    body = client.get(f"/api/v1/improvements/{ranged}/estimate", headers=bearer("treasury"))
    body = body.get_json()
    with app.app_context():
        improvement = db.session.get(Improvement, ranged)
        money = money_for(improvement, current_estimate(improvement).result)
        db.session.rollback()
    assert set(body["appraisal"]) == {"pv_benefits", "pv_costs", "npv", "bcr", "payback_month"}
    # Worked by hand in tests/services/test_money_for.py.
    assert body["appraisal"]["pv_benefits"] == 87_928.83
    assert body["appraisal"]["pv_costs"] == 13_750.0
    assert body["appraisal"]["npv"] == 74_178.83
    assert body["appraisal"]["payback_month"] == 5
    saving = body["annual_saving"]
    assert saving["includes_input_ranges"] is True
    assert (saving["ci_low_pence"], saving["ci_high_pence"]) == (
        money.saving.ci_low_pence,
        money.saving.ci_high_pence,
    )
    zero_cost = find_improvement(app, Improvement.title.startswith("Social norm line"))
    body = client.get(f"/api/v1/improvements/{zero_cost}/estimate", headers=bearer("treasury"))
    assert body.get_json()["appraisal"]["bcr"] is None
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert set(schemas["Appraisal"]["properties"]) == set(body.get_json()["appraisal"])
    assert {"annual_saving", "appraisal"} <= set(schemas["Estimate"]["required"])


def test_without_money_terms_there_is_no_saving_or_appraisal(app, client, bearer):
    draft = find_improvement(
        app, Team.name == "Benefit renewals", Improvement.status == Status.DRAFT
    )
    body = client.get(f"/api/v1/improvements/{draft}/estimate", headers=bearer("member")).get_json()
    assert body["annual_saving"] is None and body["appraisal"] is None


def test_the_savings_series_carries_shrunk_npv_reported_and_levels(app, client, bearer):
    body = client.get("/api/v1/savings/cumulative", headers=bearer("treasury")).get_json()
    with app.app_context():
        expected = treasury_dashboard(TreasuryFilters(), utcnow().date())
    for key, figure in (
        ("validated", expected.honest.raw),
        ("validated_shrunk", expected.honest.shrunk),
        ("npv", expected.honest.npv),
        ("reported", expected.reported.raw),
    ):
        assert body[key]["total_pence"] == figure.total_pence, key
        assert body[key]["band_low_pence"] <= figure.total_pence <= body[key]["band_high_pence"]
    assert [row["evidence_level"] for row in body["by_evidence_level"]] == [2, 3, 4, 5]
    level_2 = body["by_evidence_level"][0]
    assert level_2["validated"]["n_items"] == 0 and level_2["reported_pence"] != 0
    assert {"validated_shrunk_pence", "npv_pence"} <= set(body["months"][-1])


def test_the_savings_level_filter_keeps_the_headline_rule(app, client, bearer):
    headers = bearer("treasury")
    four = client.get("/api/v1/savings/cumulative?level=4", headers=headers).get_json()
    assert four["filters"]["level"] == 4
    counts = {
        row["evidence_level"]: row["validated"]["n_items"] for row in four["by_evidence_level"]
    }
    assert counts[4] == four["validated"]["n_items"] > 0
    assert counts[2] == counts[3] == counts[5] == 0
    two = client.get("/api/v1/savings/cumulative?level=2", headers=headers).get_json()
    assert two["validated"]["n_items"] == 0 and two["reported"]["n_items"] > 0
    bad = client.get("/api/v1/savings/cumulative?level=7", headers=headers)
    assert assert_problem(bad, 422)["errors"][0]["field"] == "level"
