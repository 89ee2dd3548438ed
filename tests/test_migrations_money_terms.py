"""Migration 0018 (issue 20): down to 0017 and up again on a demo register, the new columns
are filled as the decision record says: each improvement its kind's appraisal defaults and no
range, each approval its snapshot's central terms and those defaults, each estimate its
document's evidence level."""

from decimal import Decimal

import flask_migrate
from sqlalchemy import inspect, select

from gains.demo.seed import seed_demo
from gains.extensions import db
from gains.models import APPRAISAL_DEFAULTS, Decision, Estimate, Improvement, Review
from gains.stats.evidence import level_of_document
from tests.conftest import make_test_app


def test_0018_backfills_the_terms_and_levels(empty_database_url):
    app = make_test_app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        db.session.commit()
        flask_migrate.downgrade(revision="0017_seasonal_plan")
        columns = {c["name"] for c in inspect(db.engine).get_columns("improvements")}
        assert "persistence" not in columns
        assert "evidence_level" not in {
            c["name"] for c in inspect(db.engine).get_columns("estimates")
        }
        flask_migrate.upgrade()
        db.session.expire_all()

        improvements = db.session.scalars(select(Improvement)).all()
        for improvement in improvements:
            defaults = APPRAISAL_DEFAULTS[improvement.kind]
            assert improvement.expected_life_years == defaults.expected_life_years
            assert improvement.persistence == defaults.persistence
            assert improvement.optimism_bias_costs == defaults.optimism_bias_costs
            assert improvement.annual_volume_low is None

        approvals = db.session.scalars(
            select(Review).where(Review.decision == Decision.APPROVED)
        ).all()
        assert len(approvals) > 5
        for review in approvals:
            money = review.snapshot["money"]
            assert review.scale == money["scale"]
            assert review.annual_volume == money["annual_volume"]
            assert review.value_per_unit_gbp == Decimal(money["value_per_unit_gbp"])
            assert review.implementation_cost_pence == money["implementation_cost_pence"]
            defaults = APPRAISAL_DEFAULTS[review.improvement.kind]
            assert review.expected_life_years == defaults.expected_life_years
            assert review.optimism_bias_benefits == defaults.optimism_bias_benefits
            assert review.health_outcomes is False
        others = db.session.scalars(select(Review).where(Review.decision != Decision.APPROVED))
        assert all(review.persistence is None for review in others)

        estimates = db.session.scalars(select(Estimate)).all()
        assert estimates
        assert all(e.evidence_level == level_of_document(e.result) for e in estimates)
        assert {e.evidence_level for e in estimates} >= {2, 3, 5}
        db.session.remove()
        db.engine.dispose()
