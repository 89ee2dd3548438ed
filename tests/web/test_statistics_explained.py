"""Every statistic a staff page shows comes with its "What does this mean?" (issue 21), in the
words of gains/services/estimates/plain_english, and the public page reads an estimate in the
same sentence as the staff pages."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from gains.extensions import db
from gains.models import Department, Improvement, Status
from gains.services.estimates import plain_english
from tests.support.demo_records import titled

PUBLISHED_WKP = "Pre-fill known fields on the renewal form"  # lower is better, approved
TIME_SERIES = "Same-day discharge checklist"


def page_text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def details(page: str, block_id: str) -> str:
    """The text of the details component `block_id`, tags and spacing removed."""
    found = re.search(rf'<details id="{block_id}".*?</details>', page, re.S)
    assert found, f"no explanation {block_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def assert_explained(page: str, block_id: str, explanation: plain_english.Explanation):
    text = details(page, block_id)
    for sentence in (explanation.summary, *explanation.paragraphs, *explanation.bullets):
        assert sentence in text, sentence
    assert f'<details id="{block_id}" class="govuk-details app-explain">' in page  # closed


def test_the_estimate_panel_explains_each_statistic_on_both_staff_pages(app, signed_in):
    with app.app_context():
        improvement = titled(PUBLISHED_WKP)
        ident = improvement.id
        result = improvement.reviews[-1].snapshot["estimate"]
    client = signed_in("admin")
    for url in (f"/improvements/{ident}", f"/reviews/{ident}"):
        page = page_text(client.get(url))
        assert_explained(page, "explain-interval", plain_english.explain_interval())
        assert_explained(page, "explain-p-value", plain_english.explain_p_value(result["p_value"]))
        assert_explained(
            page,
            "explain-hedges-g",
            plain_english.explain_hedges_g(
                result["hedges_g"], result["effect"], higher_is_better=False
            ),
        )
        assert_explained(page, "explain-evidence-level", plain_english.explain_evidence_level(2))
        assert_explained(page, "explain-data-version", plain_english.explain_data_version())
        assert_explained(page, "explain-power", plain_english.explain_power())
        # Lower is better: a shorter time is a negative effect and a positive g, said beside it.
        assert result["effect"] < 0 < result["hedges_g"]
        assert plain_english.g_sign_note(result["hedges_g"], result["effect"]) in page
    assert_explained(page, "explain-adjusted-p", plain_english.explain_adjusted_p())


def test_the_public_page_reads_the_estimate_in_the_staff_pages_sentence(app, signed_in, client):
    with app.app_context():
        improvement = titled(PUBLISHED_WKP)
        ident = improvement.id
        result = improvement.reviews[-1].snapshot["estimate"]
        reading = plain_english.plain_reading(
            result["effect"],
            result["ci_low"],
            result["ci_high"],
            unit=improvement.metric_unit,
            per=improvement.unit_of_observation,
            level=result["level"],
        )
    assert reading.startswith("Most likely about ") and "minutes shorter per" in reading
    public = page_text(client.get(f"/register/improvements/{ident}"))
    staff = page_text(signed_in("admin").get(f"/improvements/{ident}"))
    assert f"{improvement.metric_name}: {reading}" in public
    assert f'id="estimate-plain-reading">{improvement.metric_name}: {reading}</p>' in staff
    assert_explained(public, "explain-evidence-level", plain_english.explain_evidence_level(2))


def test_the_xmr_chart_explains_its_rules_and_special_causes_before_go_live(app, signed_in):
    with app.app_context():
        ident = titled(TIME_SERIES).id
    page = page_text(signed_in("admin").get(f"/improvements/{ident}"))
    text = details(page, "explain-xmr")
    assert_explained(page, "explain-xmr", plain_english.explain_xmr())
    flagged = re.search(r"Here (\d+) weeks? before go-live", text)
    # The weeks the table flags before the go-live week.
    table = page.split('aria-label="The numbers behind the XmR chart"')[1].split("</tbody>")[0]
    body = table.split('<tbody class="govuk-table__body">')[1].split("(go-live)")[0]
    rows = re.findall(r"<tr.*?</tr>", body, re.S)
    causes = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1].strip() for row in rows]
    before = sum(1 for cause in causes if cause != "–")
    assert before > 0  # the demo's series has some, so the sentence is tested
    assert flagged and int(flagged.group(1)) == before


def test_the_department_dashboard_explains_pooling_g_intervals_and_levels(app, signed_in):
    client = signed_in("admin")
    with app.app_context():
        departments = db.session.scalars(select(Department.id).order_by(Department.id)).all()
    pages = [page_text(client.get(f"/dashboards/departments/{ident}")) for ident in departments]
    # The first department whose pooled section has figures to explain.
    page = next(page for page in pages if "Heterogeneity (Q)" in page)
    assert_explained(page, "explain-pooling", plain_english.explain_pooling())
    assert_explained(page, "explain-hedges-g", plain_english.explain_hedges_g())
    assert_explained(page, "explain-interval", plain_english.explain_interval())
    assert_explained(page, "explain-evidence-level", plain_english.explain_evidence_level())


def test_the_treasury_dashboard_explains_levels_and_bands(signed_in):
    page = page_text(signed_in("treasury").get("/dashboards/treasury"))
    assert_explained(page, "explain-evidence-level", plain_english.explain_evidence_level())
    assert_explained(page, "explain-interval", plain_english.explain_interval())


def test_no_adjusted_p_gives_the_true_reason(app, signed_in):
    """Issue 21: an item with a p-value was said to have a method that gives none."""
    with app.app_context():
        running = db.session.scalars(
            select(Improvement.id).where(
                Improvement.status == Status.RUNNING, Improvement.submitted_at.is_(None)
            )
        ).first()
        approved = titled(PUBLISHED_WKP)
        approved_id = approved.id
        approved.submitted_at = None  # rolled back with the test's transaction
        db.session.commit()
    client = signed_in("admin")
    page = page_text(client.get(f"/reviews/{running}"))
    assert "No adjusted p now: it has not been submitted" in page
    assert "the method gives no p-value" not in page
    page = page_text(client.get(f"/reviews/{approved_id}"))
    assert "the method gives no p-value" not in page
    assert "The adjusted p shown with the approval below is the value when it was approved." in page


def test_the_lists_explain_the_figures_in_their_columns(signed_in):
    client = signed_in("manager")
    queue = page_text(client.get("/reviews/"))
    assert_explained(queue, "explain-adjusted-p", plain_english.explain_adjusted_p())
    assert_explained(queue, "explain-interval", plain_english.explain_interval())
    assert_explained(queue, "explain-evidence-level", plain_english.explain_evidence_level())
    improvements = page_text(client.get("/improvements/"))
    assert "Evidence level 2 of 5" in improvements and "95% interval" in improvements
    assert_explained(improvements, "explain-interval", plain_english.explain_interval())
    assert_explained(improvements, "explain-evidence-level", plain_english.explain_evidence_level())
