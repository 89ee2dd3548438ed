"""One improvement's money (`savings.money_for`): the saving's interval with its input ranges
and the Green Book appraisal, from its current terms or an approval's; and what an approval's
snapshot records of them (issue 20)."""

from decimal import Decimal

from sqlalchemy import select

from gains.models import Decision, Improvement, Review
from gains.services.estimates.current import current_estimate
from gains.services.money.savings import money_for
from gains.services.review.decisions import approved_appraisal


def _improvement(session, title: str) -> Improvement:
    return session.scalars(select(Improvement).where(Improvement.title.startswith(title))).one()


def test_money_of_a_demo_improvement_by_hand(session):
    """ "Text before a fine is escalated": 60,000 a year (range 50,000 to 70,000) at £6.50
    a unit (range £5.00 to £8.00), cost £12,500, life 3 years, persistence 0.85, optimism
    bias 15 % on benefits and 10 % on the cost, discounted at 3.5 %.

    Saving S = gain ÷ scale × 60,000 × £6.50 = 4,290,000 p (£42,900) a year.
    PV factor = 0.85 × (1/1.035 + 0.85/1.035² + 0.85²/1.035³)
              = 0.85 × (0.9661836 + 0.85 × 0.9335107 + 0.7225 × 0.9019427)
              = 0.85 × 2.4113213 = 2.0496231
    PVB = 4,290,000 × 2.0496231 = 8,792,883.03 → 8,792,883 p (£87,928.83)
    PVC = 1,250,000 × 1.10 = 1,375,000 p;  NPV = 7,417,883 p;  BCR = 8,792,883 ÷ 1,375,000
    = 6.3948.  Payback: year 1's undiscounted benefit is 4,290,000 × 0.85 = 3,646,500 p,
    3,646,500 × m ÷ 12 ≥ 1,375,000 first at m = 5 (4.52 months → the 5th).
    """
    improvement = _improvement(session, "Text before a fine is escalated")
    result = current_estimate(improvement).result
    money = money_for(improvement, result)
    assert (improvement.annual_volume, improvement.value_per_unit_gbp) == (60_000, Decimal("6.5"))
    assert improvement.implementation_cost_pence == 1_250_000
    per_unit_of_gain = 60_000 * 650 / improvement.scale
    assert money.saving.annual_saving_pence == round(result["gain"] * per_unit_of_gain)
    assert money.saving.annual_saving_pence == 4_290_000
    appraisal = money.appraisal
    assert appraisal.pv_benefits_pence == 8_792_883
    assert appraisal.pv_costs_pence == 1_375_000
    assert appraisal.npv_pence == 7_417_883
    assert abs(appraisal.bcr - 6.3948) < 5e-5
    assert appraisal.payback_month == 5
    # Both inputs are ranged, so the interval includes them: wider than the gain's alone.
    assert money.annual_volume_ranged and money.value_per_unit_ranged
    assert money.saving.includes_input_ranges
    exact_low = round(result["gain_ci_low"] * per_unit_of_gain)
    exact_high = round(result["gain_ci_high"] * per_unit_of_gain)
    assert money.saving.ci_low_pence < exact_low and money.saving.ci_high_pence > exact_high


def test_health_outcomes_are_discounted_at_the_health_rate(session):
    improvement = _improvement(session, "Same-day discharge checklist")
    assert improvement.health_outcomes
    appraisal = money_for(improvement, current_estimate(improvement).result).appraisal
    assert appraisal.discount_rate == 0.015


def test_no_ratio_at_zero_cost(session):
    improvement = _improvement(session, "Social norm line in tax reminder")
    appraisal = money_for(improvement, current_estimate(improvement).result).appraisal
    assert appraisal.pv_costs_pence == 0 and appraisal.bcr is None
    assert appraisal.npv_pence == appraisal.pv_benefits_pence > 0


def test_without_ranges_the_interval_is_the_gains_alone(session):
    improvement = _improvement(session, "Pre-fill known fields")
    result = current_estimate(improvement).result
    money = money_for(improvement, result)
    assert not money.ranged and not money.saving.includes_input_ranges
    per_unit_of_gain = improvement.annual_volume * improvement.value_per_unit_gbp * 100
    per_unit_of_gain /= improvement.scale
    assert money.saving.ci_low_pence == round(Decimal(result["gain_ci_low"]) * per_unit_of_gain)


def test_an_approval_snapshot_records_the_ranged_interval_and_the_appraisal(session):
    """Every demo approval (made by `decide`) keeps the saving with its interval and the
    appraisal as approved; the approval's own terms (its `reviews` columns) price the same."""
    approvals = session.scalars(select(Review).where(Review.decision == Decision.APPROVED)).all()
    assert len(approvals) > 5
    ranged = 0
    for review in approvals:
        snapshot = review.snapshot
        assert set(snapshot["appraisal"]) == {
            "pv_benefits_pence",
            "pv_costs_pence",
            "npv_pence",
            "bcr",
            "payback_month",
        }
        assert "includes_input_ranges" in snapshot["annual_saving"]
        money = money_for(review, snapshot["estimate"])
        saving = snapshot["annual_saving"]
        assert (saving["ci_low_pence"], saving["ci_high_pence"]) == (
            money.saving.ci_low_pence,
            money.saving.ci_high_pence,
        )
        assert snapshot["appraisal"] == approved_appraisal(money.appraisal)
        ranged += saving["includes_input_ranges"]
    assert ranged >= 2  # the demo's ranged approvals are among them
