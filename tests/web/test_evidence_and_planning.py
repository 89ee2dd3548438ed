"""Evidence levels beside the estimate (improvement and review pages, public register and its
open data) and planning at registration (the minimum detectable effect and its warning)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from gains.extensions import db
from gains.models import BatchSource, Design, Improvement
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from gains.stats.evidence import LEVEL_LABELS
from gains.stats.power import plan_check
from gains.templating import format_number
from tests.support.factories import person, plan

PRE_TREND = Path(__file__).resolve().parents[1] / "reference/data/pre_trend.csv"


def dated_rows(case: str) -> list[dict]:
    data = pd.read_csv(PRE_TREND)
    return [
        {
            "phase": row.phase,
            "group": row.group,
            "value": row.value,
            "observed_on": date.fromisoformat(row.date),
        }
        for row in data[data["case"] == case].itertuples()
    ]


def registered(app, title: str, rows: list[dict] | None = None, **changes) -> int:
    """A member's improvement, started with `rows` when given, committed."""
    with app.app_context():
        member = person(db.session, "member")
        improvement = workflow.create_improvement(member, member.team, plan(title=title, **changes))
        db.session.flush()
        if rows is not None:
            workflow.start(member, improvement)
            record_batch(member, improvement, rows, source=BatchSource.FORM)
        db.session.commit()
        return improvement.id


def test_the_improvement_and_review_pages_show_the_evidence_level_and_why(app, signed_in, client):
    improvement_id = registered(
        app, "Parallel before", dated_rows("parallel"), design=Design.CONTROL_GROUP
    )
    page = signed_in("member").get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert LEVEL_LABELS[4] in page
    assert "trends before the change did not differ detectably (p = 0.35)" in page
    client.post("/auth/sign-out")
    review = signed_in("manager").get(f"/reviews/{improvement_id}").get_data(as_text=True)
    assert LEVEL_LABELS[4] in review


def test_a_randomised_declaration_shows_level_5_and_the_plan_says_so(app, signed_in):
    improvement_id = registered(
        app,
        "Lottery trial",
        dated_rows("diverging"),
        design=Design.CONTROL_GROUP,
        randomised=True,
    )
    page = signed_in("member").get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert LEVEL_LABELS[5] in page
    assert "Yes: a random draw decided who got the change" in page


def test_the_page_shows_the_mde_and_warns_when_the_expected_effect_is_below_it(app, signed_in):
    improvement_id = registered(
        app,
        "Small planned trial",
        planned_sample_size=10,
        planned_sd=8.0,
        expected_effect=-2.0,
    )
    page = signed_in("member").get(f"/improvements/{improvement_id}").get_data(as_text=True)
    check = plan_check("before_after", 10, 8.0, -2.0)
    assert f"{format_number(check.minimum_detectable_effect, 4)} min" in page
    assert 'data-warning="expected_effect_below_mde"' in page
    assert "from the plan" in page


def test_without_a_typed_sd_the_mde_uses_the_measurements_before_the_change(app, signed_in):
    before = [10.0, 12.0, 14.0, 11.0, 13.0]
    rows = [{"phase": "before", "value": v} for v in before]
    improvement_id = registered(
        app, "Planned from data", rows, planned_sample_size=200, expected_effect=-3.0
    )
    page = signed_in("member").get(f"/improvements/{improvement_id}").get_data(as_text=True)
    sd = pd.Series(before).std()
    check = plan_check("before_after", 200, sd, -3.0)
    assert f"{format_number(check.minimum_detectable_effect, 4)} min" in page
    assert "from the measurements before the change" in page
    assert "planning-warning" not in page


def test_a_paired_plan_without_an_sd_asks_for_the_sd_of_the_changes(app, signed_in):
    improvement_id = registered(app, "Paired plan", design=Design.PAIRED, planned_sample_size=30)
    page = signed_in("member").get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert "Enter the expected standard deviation of the units&#39; changes" in page


def test_open_data_carries_each_published_estimates_level(app, client):
    text = client.get("/register/data.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0])[-2:] == ["evidence_level", "evidence_level_label"]
    with app.app_context():
        designs = dict(db.session.execute(select(Improvement.id, Improvement.design)).all())
    for row in rows:
        if designs[int(row["id"])] in (Design.BEFORE_AFTER, Design.PAIRED):
            assert row["evidence_level"] == "2", row
        assert row["evidence_level_label"].startswith(f"Level {row['evidence_level']} of 5")
