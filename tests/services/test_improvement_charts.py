"""The numbers behind an improvement's charts, checked by hand on small frames."""

import math

import pandas as pd
import pytest

from gains.services.improvement_charts import distribution_cells, weekly_xmr


def frame(rows):
    data = pd.DataFrame(rows, columns=["phase", "group", "unit", "date", "value"])
    data["date"] = pd.to_datetime(data["date"])
    return data


def test_cell_means_and_intervals_by_hand():
    rows = [("before", "treatment", None, None, v) for v in (10, 12, 14)]
    rows += [("after", "treatment", None, None, v) for v in (8, 9)]
    cells = distribution_cells(frame(rows))
    assert [c.cell.label for c in cells] == ["Treatment, before", "Treatment, after"]
    before = cells[0].cell
    # mean 12, s = 2, n = 3, t(0.975, 2) = 4.302652729749464 (R: qt(0.975, 2))
    assert before.mean == 12
    assert before.ci_high == pytest.approx(12 + 4.302652729749464 * 2 / math.sqrt(3), rel=1e-12)
    assert cells[1].n == 2


def test_weekly_xmr_limits_by_hand():
    # Mondays of six weeks; four before go-live with weekly means 10, 12, 11, 13.
    weeks = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02", "2026-02-09"]
    values = [10, 12, 11, 13, 9, 8]
    rows = [
        ("before" if i < 4 else "after", "treatment", None, day, v)
        for i, (day, v) in enumerate(zip(weeks, values, strict=True))
    ]
    rows.append(("after", "control", None, "2026-02-09", 100))  # control rows are left out
    weekly = weekly_xmr(frame(rows))
    assert weekly.values == [10, 12, 11, 13, 9, 8]
    assert weekly.go_live_index == 4
    mean, mean_moving_range = 11.5, (2 + 1 + 2) / 3
    assert weekly.chart.mean == pytest.approx(mean)
    assert weekly.chart.upl == pytest.approx(mean + 2.66 * mean_moving_range)
    assert weekly.chart.lpl == pytest.approx(mean - 2.66 * mean_moving_range)


def test_no_dates_no_xmr():
    rows = [("before", "treatment", None, None, 1), ("after", "treatment", None, None, 2)]
    assert weekly_xmr(frame(rows)) is None
