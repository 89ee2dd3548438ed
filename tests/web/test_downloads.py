"""Issue 21's files and list results: one improvement's measurements and estimate as CSV, the
department dashboard's figures as CSV, and each list row's result and saving, checked against
the numbers the pages themselves show."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from gains import numbers
from gains.extensions import db as database
from gains.improvements.presenters import estimate_view
from gains.models import BatchSource, Department, Improvement
from gains.services.estimates.listed import listed_results
from gains.services.estimates.plain_english import VERDICT_WORDS, verdict_of
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch, withdraw_batch
from gains.templating import format_number
from tests.support.factories import person, plan, rows, start_with_data

FORMULA = "=HYPERLINK(1)"


@pytest.fixture
def running(app, db):
    """A running before/after improvement of the demo member's team with money terms, an
    active batch (one unit written as a formula), and a withdrawn batch."""
    with app.app_context():
        member = person(database.session, "member")
        improvement = workflow.create_improvement(member, member.team, plan(title="Downloads case"))
        database.session.flush()
        start_with_data(member, improvement, [30, 31, 29, 32, 30], [25, 26, 24, 27])
        record_batch(
            member,
            improvement,
            [{"phase": "after", "value": 25.5, "unit_ref": FORMULA}],
            source=BatchSource.FORM,
        )
        withdrawn = record_batch(
            member, improvement, rows("after", [99, 98]), source=BatchSource.FORM
        )
        withdraw_batch(member, withdrawn, "Typed twice")
        database.session.commit()
        return improvement.id


def read_csv(text: str) -> tuple[list[list[str]], list[dict[str, str]]]:
    """(the rows above the table, the table's rows by column key): the header row follows
    the first empty row."""
    lines = list(csv.reader(io.StringIO(text)))
    blank = lines.index([])
    return lines[:blank], [
        dict(zip(lines[blank + 1], row, strict=True)) for row in lines[blank + 2 :]
    ]


def test_the_measurements_file_has_the_active_rows_safe_for_a_spreadsheet(app, signed_in, running):
    client = signed_in("member")
    page = client.get(f"/improvements/{running}").get_data(as_text=True)
    assert f"/improvements/{running}/measurements.csv" in page
    response = client.get(f"/improvements/{running}/measurements.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    above, table = read_csv(response.get_data(as_text=True))
    assert above[1] == ["Improvement", "Downloads case"]
    assert [row["phase"] for row in table] == ["before"] * 5 + ["after"] * 5
    assert sorted(float(row["value"]) for row in table if row["phase"] == "after") == [
        24,
        25,
        25.5,
        26,
        27,
    ]  # the withdrawn batch's 98 and 99 are not there
    assert {row["group"] for row in table} == {"treatment"}
    assert len({row["batch_id"] for row in table}) == 2
    assert [row["unit"] for row in table if row["unit"]] == ["'" + FORMULA]


def test_the_estimate_file_has_the_pages_numbers(app, signed_in, running):
    client = signed_in("member")
    page = client.get(f"/improvements/{running}").get_data(as_text=True)
    assert f"/improvements/{running}/estimate.csv" in page
    response = client.get(f"/improvements/{running}/estimate.csv")
    assert response.status_code == 200
    _, [row] = read_csv(response.get_data(as_text=True))
    with app.app_context():
        improvement = database.session.get(Improvement, running)
        view = estimate_view(improvement)
        result = view.result
    assert row["method"] == result["method"] == "welch"
    assert int(row["data_version"]) == view.estimate.data_version
    assert int(row["n_before"]) == 5 and int(row["n_after"]) == 5
    for key in ("effect", "ci_low", "ci_high", "se", "gain", "p_value"):
        assert float(row[key]) == pytest.approx(result[key], rel=1e-12)
    # What the page shows: the effect and its interval at the interval's one precision, the
    # saving in pounds to 3 significant figures (decision 0040).
    effect, low, high = numbers.with_interval(
        float(row["effect"]), float(row["ci_low"]), float(row["ci_high"])
    )
    assert f"{effect} {improvement.metric_unit}; 95% CI {low} to {high}" in page
    for key in ("annual_saving", "annual_saving_ci_low", "annual_saving_ci_high"):
        shown = numbers.estimate_pence_gbp(round(float(row[key]) * 100))
        assert shown in page, (key, shown)
    assert row["annual_saving"] == f"{view.saving.annual_saving_pence / 100:.2f}"
    assert row["verdict"] == "better"  # lower is better and every after value is lower
    assert row["no_estimate_reason"] == ""


def test_an_improvement_without_an_estimate_has_a_file_that_says_why(app, db, signed_in):
    with app.app_context():
        member = person(database.session, "member")
        draft = workflow.create_improvement(member, member.team, plan(title="No data yet"))
        database.session.commit()
        draft_id = draft.id
    response = signed_in("member").get(f"/improvements/{draft_id}/estimate.csv")
    assert response.status_code == 200
    _, [row] = read_csv(response.get_data(as_text=True))
    assert row["no_estimate_reason"] and row["effect"] == "" and row["annual_saving"] == ""


def test_each_list_rows_result_and_saving_are_the_improvement_pages(app, db, running):
    with app.app_context():
        improvements = database.session.scalars(select(Improvement)).all()
        listed = listed_results(improvements)
        assert running in listed
        compared = 0
        for improvement in improvements:
            view = estimate_view(improvement)
            result = listed.get(improvement.id)
            if view.estimate is None or view.result.get("ci_low") is None:
                assert result is None
                continue
            r = view.result
            assert (result.effect, result.ci_low, result.ci_high) == (
                r["effect"],
                r["ci_low"],
                r["ci_high"],
            )
            assert result.verdict == verdict_of(
                r["gain_ci_low"], r["gain_ci_high"], higher_is_better=True
            )
            assert result.saving == view.saving
            compared += result.saving is not None
        assert compared >= 1


def test_the_list_shows_the_result_the_verdict_and_the_saving(app, signed_in, running):
    client = signed_in("member")
    html = client.get("/improvements/", query_string={"q": "Downloads case"}).get_data(as_text=True)
    with app.app_context():
        improvement = database.session.get(Improvement, running)
        view = estimate_view(improvement)
    effect, _, _ = numbers.with_interval(
        view.result["effect"], view.result["ci_low"], view.result["ci_high"]
    )
    assert f"{effect} {improvement.metric_unit}" in html
    assert (
        VERDICT_WORDS[
            verdict_of(
                view.result["gain_ci_low"], view.result["gain_ci_high"], higher_is_better=True
            )
        ]
        in html
    )
    assert numbers.estimate_pence_gbp(view.saving.annual_saving_pence) in html
    assert (
        f"{numbers.estimate_pence_gbp(view.saving.ci_low_pence)} to "
        f"{numbers.estimate_pence_gbp(view.saving.ci_high_pence)}"
    ) in html
    empty = client.get("/improvements/", query_string={"status": "draft"}).get_data(as_text=True)
    assert "Not enough data yet" in empty


def _department_id(app) -> int:
    with app.app_context():
        return person(database.session, "manager").department_id


def test_the_department_files_have_the_pages_figures(app, signed_in):
    department_id = _department_id(app)
    client = signed_in("manager")
    page = client.get(f"/dashboards/departments/{department_id}").get_data(as_text=True)
    assert client.get(f"/dashboards/departments/{department_id}/nothing.csv").status_code == 404
    for table in ("savings", "improvements", "pooled"):
        assert f"/dashboards/departments/{department_id}/{table}.csv" in page
    above, savings = read_csv(
        client.get(f"/dashboards/departments/{department_id}/savings.csv").get_data(as_text=True)
    )
    with app.app_context():
        name = database.session.get(Department, department_id).name
    assert above[1] == ["Department", name]
    by_figure = {row["figure"]: row for row in savings}
    assert {"validated_shrunk", "validated", "npv", "claimed", "cashable"} <= by_figure.keys()
    for row in savings:
        shown = numbers.estimate_pence_gbp(round(float(row["total"]) * 100))
        assert shown in page, (row["figure"], shown)
    _, improvements = read_csv(
        client.get(f"/dashboards/departments/{department_id}/improvements.csv").get_data(
            as_text=True
        )
    )
    assert improvements, "the demo department has approvals"
    for row in improvements:
        assert f"/improvements/{row['improvement_id']}" in page
        assert numbers.estimate_pence_gbp(round(float(row["annual_saving_shrunk"]) * 100)) in page
    _, pooled = read_csv(
        client.get(f"/dashboards/departments/{department_id}/pooled.csv?method=pm").get_data(
            as_text=True
        )
    )
    pm_page = client.get(f"/dashboards/departments/{department_id}?method=pm").get_data(
        as_text=True
    )
    for row in pooled:
        assert format_number(float(row["hedges_g"]), 3 if row["improvement_id"] else 2) in pm_page


def test_members_read_the_department_page_but_not_its_files(app, signed_in):
    department_id = _department_id(app)
    client = signed_in("member")
    page = client.get(f"/dashboards/departments/{department_id}")
    assert page.status_code == 200
    assert "/savings.csv" not in page.get_data(as_text=True)
    assert client.get(f"/dashboards/departments/{department_id}/savings.csv").status_code == 403
