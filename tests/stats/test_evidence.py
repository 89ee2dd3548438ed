"""Evidence levels (docs/DESIGN.md "Evidence levels") and the DiD pre-trend test against R's
``lm(value ~ treated * t)`` (tests/reference/evidence_planning.R)."""

import numpy as np
import pandas as pd
import pytest

from gains.stats.design import estimate_improvement
from gains.stats.evidence import (
    evidence_level,
    level_label,
    level_of_document,
    pre_trends_of_rows,
    trend_summaries,
    week_numbers,
)
from gains.stats.frames import clean_measurements

REL = 1e-9


@pytest.fixture(scope="module")
def pre_trend_rows(reference_data):
    data = reference_data("pre_trend")
    return {case: rows.drop(columns="case") for case, rows in data.groupby("case")}


@pytest.mark.parametrize("case", ["parallel", "diverging"])
def test_the_pre_trend_test_equals_r(reference, pre_trend_rows, case):
    expected = reference("evidence_planning")["pre_trend"][case]
    got = pre_trends_of_rows(clean_measurements(pre_trend_rows[case]))
    assert got.slope_difference[0] == pytest.approx(expected["slope_difference"], rel=REL)
    assert got.statistic[0] == pytest.approx(expected["statistic"], rel=REL)
    assert got.df[0] == expected["df"]
    assert got.p_value[0] == pytest.approx(expected["p_value"], rel=REL)
    assert bool(got.parallel[0]) is (case == "parallel")


def test_did_with_parallel_pre_trends_is_level_4_and_diverging_ones_level_3(pre_trend_rows):
    parallel = estimate_improvement(pre_trend_rows["parallel"], design="did")
    diverging = estimate_improvement(pre_trend_rows["diverging"], design="did")
    assert (parallel.method, parallel.evidence_level) == ("did", 4)
    assert (diverging.method, diverging.evidence_level) == ("did", 3)
    assert parallel.details["pre_trend_p_value"] > 0.10 > diverging.details["pre_trend_p_value"]
    assert parallel.to_dict()["evidence_level"] == 4


def test_a_did_without_dates_or_with_one_undated_before_row_is_not_tested(pre_trend_rows):
    rows = pre_trend_rows["parallel"]
    assert estimate_improvement(rows.drop(columns="date"), design="did").evidence_level == 3
    one_blank = rows.assign(date=rows["date"].where(rows.index != rows.index[0]))
    result = estimate_improvement(one_blank, design="did")
    assert result.evidence_level == 3 and result.details["pre_trend_p_value"] is None


def test_one_before_week_per_group_is_too_few_periods(pre_trend_rows):
    rows = pre_trend_rows["parallel"]
    before = rows["phase"] == "before"
    same_week = rows.assign(date=rows["date"].where(~before, "2026-02-23"))
    assert estimate_improvement(same_week, design="did").evidence_level == 3


def test_randomised_raises_a_comparison_group_to_level_5_and_nothing_else(pre_trend_rows):
    rows = pre_trend_rows["diverging"]
    assert estimate_improvement(rows, design="did", randomised=True).evidence_level == 5
    trial = rows[rows["phase"] == "after"]
    assert estimate_improvement(trial, design="did").method == "treatment_vs_control"
    assert estimate_improvement(trial, design="did").evidence_level == 2
    assert estimate_improvement(trial, design="did", randomised=True).evidence_level == 5
    # Declared randomised, but only treated rows: a before/after comparison, level 2.
    treated = rows[rows["group"] == "treatment"].drop(columns="date")
    downgraded = estimate_improvement(treated, design="did", randomised=True)
    assert (downgraded.method, downgraded.evidence_level) == ("welch", 2)


def _weekly_rows(weeks_per_side: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    dates = pd.date_range("2026-01-05", periods=2 * weeks_per_side, freq="W-MON")
    return pd.DataFrame(
        {
            "phase": ["before"] * weeks_per_side + ["after"] * weeks_per_side,
            "date": dates,
            "value": rng.normal(10, 1, 2 * weeks_per_side),
        }
    )


@pytest.mark.parametrize("weeks", [8, 12])
def test_a_time_series_with_8_weekly_points_a_side_is_level_3(weeks):
    result = estimate_improvement(_weekly_rows(weeks), design="its")
    assert (result.method, result.evidence_level) == ("its", 3)


@pytest.mark.parametrize(
    ("method", "facts", "level"),
    [
        ("welch", {}, 2),
        ("paired", {"randomised": True}, 2),
        ("treatment_vs_control", {}, 2),
        ("treatment_vs_control", {"randomised": True}, 5),
        ("did", {}, 3),
        ("did", {"parallel_pre_trends": True}, 4),
        ("did", {"parallel_pre_trends": True, "randomised": True}, 5),
        ("its", {"weekly_points_per_side": 8}, 3),
        ("its", {"weekly_points_per_side": 3, "control_series": True}, 4),
        ("its", {"weekly_points_per_side": 20, "randomised": True}, 3),
    ],
)
def test_the_level_table(method, facts, level):
    arguments = {"randomised": False, "parallel_pre_trends": False} | facts
    assert evidence_level(method, **arguments) == level


def test_before_after_and_paired_estimates_are_level_2(reference_data):
    assert estimate_improvement(reference_data("welch"), design="welch").evidence_level == 2
    assert estimate_improvement(reference_data("paired"), design="paired").evidence_level == 2


def test_labels_and_documents_stored_before_levels_existed():
    assert level_label(3) == "Level 3 of 5: compared with a group that did not get the change"
    assert level_label(3, "its").startswith("Level 3 of 5: a long time series")
    assert level_label(None) is None
    assert level_of_document({"method": "paired"}) == 2
    assert level_of_document({"method": "did"}) is None
    assert level_of_document({"method": "did", "evidence_level": 4}) == 4


def test_weeks_start_on_monday_and_undated_rows_poison_their_group():
    weeks = week_numbers(["2026-03-01", "2026-03-02", "2026-03-08", None])
    assert weeks[1] == weeks[2] == weeks[0] + 1 and np.isnan(weeks[3])
    table = trend_summaries([0, 0, 1, 1], [1.0, 2.0, 1.0, np.nan], [3.0, 5.0, 1.0, 2.0])
    assert table.loc[0].tolist() == [2.0, 0.5, 1.0, 2.0]
    assert table.loc[1].isna().all()
