"""The figures dashboards read as columns equal the documents they are copied from."""

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from gains.models import Decision, Estimate, Review

MIGRATION = Path(__file__).parents[2] / "migrations/versions/0008_saving_columns.py"


def assert_columns_match_documents(session):
    estimates = session.scalars(select(Estimate)).all()
    approvals = session.scalars(select(Review).where(Review.decision == Decision.APPROVED)).all()
    assert len(estimates) > 20 and len(approvals) > 5
    for estimate in estimates:
        assert estimate.gain_ci_low == estimate.result.get("gain_ci_low")
        assert estimate.gain_ci_high == estimate.result.get("gain_ci_high")
    for review in approvals:
        saving, snapshot = review.snapshot["annual_saving"], review.snapshot
        assert review.annual_saving_gbp == Decimal(saving["annual_saving_pence"]) / 100
        assert review.annual_saving_se_gbp == Decimal(saving["se_pence"]) / 100
        assert review.saving_ci_excludes_zero is saving["ci_excludes_zero"]
        assert review.cashable is bool(snapshot["money"]["cashable"])
        assert review.hedges_g == snapshot["estimate"]["hedges_g"]
        assert review.hedges_g_variance == snapshot["estimate"]["hedges_g_variance"]


def test_the_app_writes_the_columns_with_the_documents(session):
    assert_columns_match_documents(session)


def test_the_migration_fills_them_from_the_documents(session):
    spec = importlib.util.spec_from_file_location("saving_columns", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    session.execute(update(Estimate).values(gain_ci_low=None, gain_ci_high=None))
    session.execute(update(Review).values(**dict.fromkeys(migration.REVIEW_COLUMNS)))
    session.expire_all()
    with pytest.raises(AssertionError):
        assert_columns_match_documents(session)
    migration._copy_out_of_the_documents(session.connection())
    session.expire_all()
    assert_columns_match_documents(session)
