"""Treasury figures pinned to sums worked out here, month by month, by hand."""

import calendar
import math
from datetime import date

import pytest
from sqlalchemy import select

from gains.models import Department
from gains.services.dashboards.treasury import TreasuryFilters, treasury_dashboard
from tests.support.validated import standing_approvals

TODAY = date(2026, 11, 23)
Z = 1.959963984540054


def validated_rows(session, department_codes=None):
    """The headline's: standing approvals at evidence level 3 or more."""
    return [
        (improvement, review.snapshot["annual_saving"])
        for improvement, review in standing_approvals(session, department_codes)
        if review.evidence_level >= 3
    ]


def years_accrued(go_live: date, month_end: date) -> float:
    """Fraction of a year accrued from go-live to the end of a month (or today), by days."""
    total = 0.0
    year, month = go_live.year, go_live.month
    while date(year, month, 1) <= month_end:
        days = calendar.monthrange(year, month)[1]
        start = max(go_live, date(year, month, 1))
        stop = min(TODAY, date(year, month, days).replace(day=days))
        stop_exclusive = date.fromordinal(stop.toordinal() + (0 if stop == TODAY else 1))
        total += max((stop_exclusive - start).days, 0) / days / 12
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return total


def test_cumulative_validated_total_by_hand(session):
    dashboard = treasury_dashboard(TreasuryFilters(), TODAY)
    last = dashboard.months[-1]
    assert last.month == date(2026, 11, 1)
    rows = validated_rows(session)
    net = variance = 0.0
    for improvement, saving in rows:
        accrued = years_accrued(improvement.go_live_on, TODAY)
        net += saving["annual_saving_pence"] * accrued - improvement.implementation_cost_pence
        variance += (saving["se_pence"] * accrued) ** 2
    assert last.validated_pence == pytest.approx(net, abs=1)
    assert last.validated_low_pence == pytest.approx(net - Z * math.sqrt(variance), abs=1)
    assert last.validated_high_pence == pytest.approx(net + Z * math.sqrt(variance), abs=1)


def test_financial_year_split_adds_up_to_the_cumulative_total(session):
    dashboard = treasury_dashboard(TreasuryFilters(), TODAY)
    by_year = dict((label, validated) for label, _, validated, _ in dashboard.by_financial_year)
    assert sum(by_year.values()) == dashboard.months[-1].validated_pence
    # 2025-26 runs April 2025 to March 2026: its share is the March 2026 cumulative figure.
    march = next(p for p in dashboard.months if p.month == date(2026, 3, 1))
    assert by_year["2025-26"] == march.validated_pence


def test_filters_restrict_departments_and_period(session):
    wkp = session.scalars(select(Department).where(Department.code == "WKP")).one()
    dashboard = treasury_dashboard(
        TreasuryFilters(department_ids=(wkp.id,), start=date(2026, 1, 1), end=date(2026, 6, 1)),
        TODAY,
    )
    assert dashboard.months[0].month == date(2026, 1, 1)
    assert dashboard.months[-1].month == date(2026, 6, 1)
    expected = sum(s["annual_saving_pence"] for _, s in validated_rows(session, {"WKP"}))
    assert dashboard.validated.total_pence == expected
    assert {v.row.department_id for v in dashboard.top} <= {wkp.id}


def test_the_page_lists_the_first_signals_and_counts_every_flag(session):
    from dataclasses import replace

    from gains.dashboards.treasury_tables import (
        LASTING_ROWS_ON_THE_PAGE,
        lasting_on_the_page,
        treasury_tables,
    )
    from gains.services.estimates.lasting import Lasting, LastingCheck

    dashboard = treasury_dashboard(TreasuryFilters(), TODAY)
    row = dashboard.top[0].row
    signal = LastingCheck(Lasting.SIGNAL, "shift in the week of 2 March 2026", 14)
    holding = LastingCheck(Lasting.HOLDING, "no special cause", 12)
    many = replace(
        dashboard,
        lasting=[(replace(row, title=f"Signal {i:02d}"), signal) for i in range(25)]
        + [(replace(row, title=f"Holding {i}"), holding) for i in range(7)],
    )
    rows, summary = lasting_on_the_page(many)
    assert len(rows) == LASTING_ROWS_ON_THE_PAGE == 20
    assert [r[0] for r in rows] == [f"Signal {i:02d}" for i in range(20)]
    assert summary.startswith(
        "Of 32 approved improvements: holding 7; special-cause signal against the gain 25; "
        "not assessable 0. Listed here: the first 20 with a signal"
    )
    assert len(treasury_tables(many)["lasting"].rows) == 32  # the files have every row
    few_rows, few_summary = lasting_on_the_page(replace(many, lasting=many.lasting[20:]))
    assert len(few_rows) == 5 and "Listed here: all 5 with a signal" in few_summary


def test_each_app_prices_savings_for_itself(monkeypatch):
    """Prices are remembered per app: apps on different databases (the suite builds many)
    share none, so nothing one computed can reach another."""
    from decimal import Decimal

    from gains.services.money import savings
    from tests.conftest import make_test_app

    priced = []
    price = savings.annual_saving
    monkeypatch.setattr(
        savings,
        "annual_saving",
        lambda *terms, **ranged: priced.append(1) or price(*terms, **ranged),
    )
    terms = (0.123456789, 0.05, 0.02, 0.22, 1, 40_000, Decimal("3.20"))
    first, second = make_test_app("sqlite://"), make_test_app("sqlite://")
    answers = []
    for app in (first, first, second):
        with app.app_context():
            answers.append(savings._saving(*terms))
    assert len(priced) == 2  # the first app remembered its price; the second priced afresh
    assert answers[0] == answers[1] == answers[2]
