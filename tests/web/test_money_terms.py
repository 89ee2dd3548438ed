"""Issue 20 on the web: the ranges and appraisal terms on the registration form (fractions
typed as percentages, kind defaults when left empty, bad ranges refused with a message and
nothing written), on the improvement page in plain words, and amended after submission and
after approval with their central value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Amendment, Improvement, Status
from tests.support.improvement_forms import form_data
from tests.support.lock_table import prepared, reloaded

pytestmark = pytest.mark.usefixtures("member_team")


def _get(app, title: str) -> Improvement | None:
    with app.app_context():
        improvement = db.session.scalars(
            select(Improvement).where(Improvement.title == title)
        ).one_or_none()
        if improvement is not None:
            db.session.expunge(improvement)
        return improvement


def test_the_form_asks_for_ranges_and_appraisal_and_stores_fractions(app, signed_in):
    client = signed_in("member")
    page = client.get("/improvements/new").get_data(as_text=True)
    for words in ("What it is worth", "Appraisal", "Low annual volume (optional)", "3 years"):
        assert words in page
    assert 'name="optimism_bias_benefits" type="text" value="15"' in page
    data = form_data(
        title="Ranged",
        annual_volume_low="300,000",
        annual_volume_high="450,000",
        value_per_unit_low_gbp="0.30",
        value_per_unit_high_gbp="0.55",
        expected_life_years="4",
        persistence="75 %",
        health_outcomes="yes",
        optimism_bias_benefits="20",
        optimism_bias_costs="12.5",
    )
    response = client.post("/improvements/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    improvement = _get(app, "Ranged")
    assert (improvement.annual_volume_low, improvement.annual_volume_high) == (300_000, 450_000)
    assert improvement.persistence == Decimal("0.75")
    assert improvement.optimism_bias_costs == Decimal("0.125")
    assert improvement.health_outcomes is True and improvement.expected_life_years == 4
    view = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "410,000 (range 300,000 to 450,000) a year" in view
    assert "£0.45 (range £0.30 to £0.55) per minute" in view
    assert (
        "Expected life: 4 years; 75% of the gain remains each year; discounted at 1.5% a year"
        in view
    )
    assert "optimism bias: benefits \u221220%, cost +12.5%" in view
    edit = client.get(f"/improvements/{improvement.id}/edit").get_data(as_text=True)
    assert 'name="persistence" type="text" value="75"' in edit


def test_left_empty_the_terms_are_the_kinds_defaults(app, signed_in):
    client = signed_in("member")
    data = form_data(title="Free", kind="no_extra_cost", implementation_cost="0")
    assert client.post("/improvements/new", data=data).status_code == 303
    improvement = _get(app, "Free")
    assert (improvement.expected_life_years, improvement.persistence) == (5, Decimal("0.9"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"annual_volume_low": "300000"}, None, "Enter both the low and the high annual volume"),
        (
            {"value_per_unit_low_gbp": "0.50", "value_per_unit_high_gbp": "0.60"},
            None,
            "The low value per unit must be at most the value per unit itself",
        ),
        ({"persistence": "101"}, "persistence", "between 0 % and 100 %"),
        ({"optimism_bias_benefits": "96"}, "optimism_bias_benefits", "between 0 % and 95 %"),
        ({"expected_life_years": "31"}, "expected_life_years", "between 1 and 30"),
        ({"persistence": "80.001"}, "persistence", "no more than 2 decimal places"),
    ],
)
def test_bad_ranges_and_terms_are_refused_and_nothing_is_written(
    app, signed_in, changes, field, message
):
    client = signed_in("member")
    response = client.post("/improvements/new", data=form_data(title="Refused", **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if field:
        assert f'href="#{field}"' in html
    assert _get(app, "Refused") is None


def _amendments(app, improvement_id: int) -> list[tuple[str, object, object]]:
    with app.app_context():
        return [
            (a.field_name, a.old_value, a.new_value)
            for a in db.session.scalars(
                select(Amendment)
                .where(Amendment.improvement_id == improvement_id)
                .order_by(Amendment.id)
            )
        ]


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED])
def test_a_range_and_a_life_are_amended_with_a_reason(app, signed_in, status):
    improvement_id, _, _, _ = prepared(app, status, "annual_volume_low")
    before = reloaded(app, improvement_id)
    client = signed_in("member")
    edit = client.get(f"/improvements/{improvement_id}/edit").get_data(as_text=True)
    assert f"/improvements/{improvement_id}/amend/value_per_unit_low_gbp" in edit
    url = f"/improvements/{improvement_id}/amend/value_per_unit_low_gbp"
    page = client.get(url).get_data(as_text=True)
    # The range comes with its central value: they must stay in order together.
    for name in ("value_per_unit_gbp", "value_per_unit_low_gbp", "value_per_unit_high_gbp"):
        assert f'name="{name}"' in page
    low, high = before.value_per_unit_gbp - Decimal("0.01"), before.value_per_unit_gbp * 4
    refused = client.post(
        url,
        data={
            "value_per_unit_gbp": str(before.value_per_unit_gbp),
            "value_per_unit_low_gbp": str(high),
            "value_per_unit_high_gbp": str(high),
            "reason": "Typo",
        },
    )
    assert refused.status_code == 422
    assert "The low value per unit must be at most" in refused.get_data(as_text=True)
    assert _amendments(app, improvement_id) == []
    accepted = client.post(
        url,
        data={
            "value_per_unit_gbp": str(before.value_per_unit_gbp),
            "value_per_unit_low_gbp": str(low),
            "value_per_unit_high_gbp": str(high),
            "reason": "Finance's unit-cost review",
        },
    )
    assert accepted.status_code == 303, accepted.get_data(as_text=True)[:2000]
    life = client.post(
        f"/improvements/{improvement_id}/amend/expected_life_years",
        data={"expected_life_years": "6", "reason": "Written into the guidance"},
    )
    assert life.status_code == 303
    after = reloaded(app, improvement_id)
    assert after.status is Status.SUBMITTED  # an approved one goes back to review
    assert (after.value_per_unit_low_gbp, after.expected_life_years) == (low, 6)
    assert [name for name, _, _ in _amendments(app, improvement_id)] == [
        "value_per_unit_low_gbp",
        "value_per_unit_high_gbp",
        "expected_life_years",
    ]
    history = client.get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert "Finance&#39;s unit-cost review" in history or "Finance's unit-cost review" in history
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Amendment).where(Amendment.reason == "Typo")
            )
            == 0
        )


def test_the_reviewer_sees_the_terms_being_approved(app, signed_in):
    improvement_id, _, _, _ = prepared(app, Status.SUBMITTED, "persistence")
    improvement = reloaded(app, improvement_id)
    page = signed_in("manager").get(f"/reviews/{improvement_id}").get_data(as_text=True)
    assert f"(range {improvement.annual_volume_low:,} to" in page
    assert "% of the gain remains each year; discounted at" in page
