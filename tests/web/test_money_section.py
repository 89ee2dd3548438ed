"""The money section of the improvement and review pages: the saving with its interval and
what the interval includes, the evidence level beside it, and the Green Book appraisal
(issue 20). One partial serves both pages and the htmx refresh of the estimate panel."""

from __future__ import annotations

import re

from sqlalchemy import select

from gains.extensions import db
from gains.models import Improvement
from gains.numbers import estimate_pence_gbp
from gains.services.estimates.current import current_estimate
from gains.services.money.savings import money_for
from gains.templating import format_gbp
from tests.support.demo_records import SAVE_AND_RETURN
from tests.support.web import HTMX, improvement_id_by_title, text_of

RANGED = "Text before a fine is escalated"
ZERO_COST = "Social norm line in tax reminder"
NO_RANGES = "Pre-fill known fields on the renewal form"  # before/after only: level 2
HEALTH = "Same-day discharge checklist"
ZERO_COST_SUBMITTED = "Evidence checklist sent with the invitation"  # level 4, in the queue


def _id(app, start: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(Improvement.id).where(Improvement.title.startswith(start))
        ).one()


def row(html: str, row_id: str) -> str:
    """The text of one summary-list row of the money section."""
    match = re.search(
        rf'<div class="govuk-summary-list__row" id="{row_id}">(.*?)</div>', html, re.S
    )
    assert match, f"no row {row_id}"
    return text_of(match.group(1)).strip()


def money_section(html: str) -> str:
    start = html.index('<div id="money"')
    return html[start : html.index("</dl>", html.index('id="appraisal"', start)) + 5]


def figures(app, improvement_id: int):
    with app.app_context():
        improvement = db.session.get(Improvement, improvement_id)
        money = money_for(improvement, current_estimate(improvement).result)
        db.session.rollback()
        return money


def pounds(pence: int) -> str:
    return format_gbp(pence / 100)


def saving_pounds(pence: int) -> str:
    """A saving as pages show an estimated amount: 3 significant figures (decision 0040)."""
    return estimate_pence_gbp(pence)


def test_the_improvement_page_shows_the_saving_its_interval_and_the_appraisal(app, signed_in):
    target = _id(app, RANGED)
    money = figures(app, target)
    section = money_section(signed_in("treasury").get(f"/improvements/{target}").get_data(True))
    saving = row(section, "money-annual-saving")
    assert f"{saving_pounds(money.saving.annual_saving_pence)} a year before the one-off" in saving
    assert (
        f"{saving_pounds(money.saving.ci_low_pence)} to {saving_pounds(money.saving.ci_high_pence)}"
        in saving
    )
    assert (
        "The interval includes statistical uncertainty and the ranges you gave for volume and "
        "value." in saving
    )
    assert row(section, "money-evidence-level").startswith("Evidence behind it Level 5 of 5")
    assert row(section, "appraisal-life") == "Expected life 3 years"
    assert "85% of the saving remains" in row(section, "appraisal-persistence")
    assert (
        row(section, "appraisal-discount-rate") == "Discount rate 3.5% a year: the Green Book rate"
    )
    assert row(section, "appraisal-optimism-bias") == (
        "Optimism bias Benefits reduced by 15%, cost raised by 10%"
    )
    # The figures worked by hand in tests/services/test_money_for.py.
    assert row(section, "appraisal-pv-benefits") == "Present value of benefits £87,929"
    assert row(section, "appraisal-pv-costs") == "Present value of costs £13,750"
    assert row(section, "appraisal-npv") == "Net present value (NPV) £74,179"
    assert row(section, "appraisal-bcr").startswith("Benefit-cost ratio 6.39:")
    assert row(section, "appraisal-payback") == "Payback Month 5 after go-live"


def test_zero_cost_says_why_there_is_no_ratio(app, signed_in):
    target = _id(app, ZERO_COST)
    section = money_section(signed_in("treasury").get(f"/improvements/{target}").get_data(True))
    assert row(section, "appraisal-bcr") == (
        "Benefit-cost ratio No ratio: it costs nothing extra, so every pound of benefit is net; "
        "see the NPV"
    )
    assert row(section, "appraisal-pv-costs") == "Present value of costs £0"
    assert (
        row(section, "appraisal-payback") == "Payback Nothing to pay back: it costs nothing extra"
    )
    assert 'id="estimate-one-off-cost"' not in section


def test_without_ranges_the_page_says_how_to_include_them(app, signed_in):
    target = _id(app, NO_RANGES)
    section = money_section(signed_in("treasury").get(f"/improvements/{target}").get_data(True))
    assert (
        "The interval includes statistical uncertainty only: give a low and high for the annual "
        "volume and the value of one unit to include how uncertain they are."
        in row(section, "money-annual-saving")
    )


def test_health_outcomes_show_the_health_rate(app, signed_in):
    target = _id(app, HEALTH)
    section = money_section(signed_in("treasury").get(f"/improvements/{target}").get_data(True))
    assert row(section, "appraisal-discount-rate") == (
        "Discount rate 1.5% a year: the Green Book rate for health outcomes"
    )


def test_level_2_is_reported_not_validated(app, signed_in):
    target = _id(app, NO_RANGES)
    section = money_section(signed_in("treasury").get(f"/improvements/{target}").get_data(True))
    evidence = row(section, "money-evidence-level")
    assert evidence.startswith("Evidence behind it Level 2 of 5")
    assert "Reported, not validated by a comparison" in evidence


def test_the_review_page_shows_the_same_section_with_what_is_being_approved(app, signed_in):
    client = signed_in("manager")
    for title in (SAVE_AND_RETURN, ZERO_COST_SUBMITTED):
        target = improvement_id_by_title(app, title)
        money = figures(app, target)
        html = client.get(f"/reviews/{target}").get_data(as_text=True)
        assert html.count('<div id="money"') == 1
        section = money_section(html)
        appraisal = money.appraisal
        assert row(section, "appraisal-npv").endswith(pounds(appraisal.npv_pence))
        assert row(section, "appraisal-pv-benefits").endswith(pounds(appraisal.pv_benefits_pence))
        bcr = row(section, "appraisal-bcr")
        assert ("No ratio" in bcr) is (appraisal.bcr is None)


def test_the_htmx_refresh_keeps_the_money_section(app, signed_in):
    target = _id(app, RANGED)
    fragment = signed_in("treasury").get(f"/improvements/{target}/estimate", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert row(money_section(body), "appraisal-payback") == "Payback Month 5 after go-live"


# --- the evidence level beside every saving, and the appraisal on the public register -------

PUBLISHED = NO_RANGES  # approved and published in the demo register


def approved_snapshot(app, improvement_id: int) -> dict:
    with app.app_context():
        snapshot = db.session.get(Improvement, improvement_id).reviews[-1].snapshot
        db.session.rollback()
        return snapshot


def test_the_review_queue_tags_each_row_with_its_evidence_level(app, signed_in):
    manager = signed_in("manager")
    target = improvement_id_by_title(app, ZERO_COST_SUBMITTED)
    with app.app_context():
        level = current_estimate(db.session.get(Improvement, target)).evidence_level
        db.session.rollback()
    queue = manager.get("/reviews/").get_data(as_text=True)
    queue_row = re.search(rf'id="queue-row-{target}">(.*?)</tr>', queue, re.S).group(1)
    assert f"Evidence level {level} of 5" in text_of(queue_row)


def test_the_improvements_list_tags_each_row_with_its_evidence_level(app, signed_in):
    listing = signed_in("treasury").get("/improvements/?q=fine+is+escalated").get_data(as_text=True)
    link = f'href="/improvements/{_id(app, RANGED)}"'
    list_row = listing[listing.index(link) : listing.index("</tr>", listing.index(link))]
    assert "Evidence level 5 of 5" in text_of(list_row)


def test_the_public_page_and_entry_show_the_approved_appraisal_and_evidence(app, client):
    target = _id(app, PUBLISHED)
    appraisal = approved_snapshot(app, target)["appraisal"]
    page = client.get(f"/register/improvements/{target}").get_data(as_text=True)
    assert row(page, "public-npv") == f"Net present value {pounds(appraisal['npv_pence'])}"
    assert row(page, "public-pv-costs") == f"Costs {pounds(appraisal['pv_costs_pence'])}"
    assert row(page, "public-bcr").startswith(f"Benefit-cost ratio {appraisal['bcr']:,.2f}")
    evidence = text_of(page[page.index('id="saving-evidence-level"') :].split("</p>")[0])
    assert "Level 2 of 5" in evidence and "Reported, not validated by a comparison" in evidence
    register = text_of(client.get("/register/?q=pre-fill").get_data(as_text=True))
    assert f"Net present value over its expected life: {pounds(appraisal['npv_pence'])}" in register
    assert "Level 2 of 5: compared with before, no comparison group" in register


def test_open_data_carries_the_npv_beside_the_saving_and_its_interval(app, client):
    import csv
    import io

    target = _id(app, PUBLISHED)
    snapshot = approved_snapshot(app, target)
    rows = csv.DictReader(io.StringIO(client.get("/register/data.csv").get_data(as_text=True)))
    entry = next(r for r in rows if int(r["id"]) == target)
    assert int(entry["npv"]) == round(snapshot["appraisal"]["npv_pence"] / 100)
    saving = snapshot["annual_saving"]
    assert int(entry["annual_saving_low_gbp"]) == round(saving["ci_low_pence"] / 100)
    assert int(entry["annual_saving_high_gbp"]) == round(saving["ci_high_pence"] / 100)
    assert entry["evidence_level"] == "2"
    item = next(
        i for i in client.get("/register/data.json").get_json()["improvements"] if i["id"] == target
    )
    assert item["npv"] == int(entry["npv"])


def test_an_approval_shows_its_recorded_interval_and_npv(app, signed_in):
    client = signed_in("manager")
    target = improvement_id_by_title(app, SAVE_AND_RETURN)
    response = client.post(f"/reviews/{target}/decision", data={"decision": "approved"})
    assert response.status_code == 303
    snapshot = approved_snapshot(app, target)
    saving, appraisal = snapshot["annual_saving"], snapshot["appraisal"]
    page = text_of(client.get(f"/reviews/{target}").get_data(as_text=True))
    low, high = saving_pounds(saving["ci_low_pence"]), saving_pounds(saving["ci_high_pence"])
    assert f"interval {low} to {high}" in page
    assert f"as approved: net present value {pounds(appraisal['npv_pence'])}" in page
    assert f"benefit-cost ratio {appraisal['bcr']:.2f}." in page
