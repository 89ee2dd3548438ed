"""The numbers behind an improvement's charts, checked by hand on small frames."""

import math

import pandas as pd
import pytest

from gains.services.estimates.charts import distribution_cells, weekly_xmr


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


def test_weekly_means_that_never_vary_before_go_live_give_no_xmr_chart():
    # A count that stood still for weeks: process limits cannot be set, so there is no chart
    # (the improvement and review pages once answered 500 here).
    weeks = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-02-02"]
    rows = [
        ("before" if i < 3 else "after", "treatment", None, day, 7) for i, day in enumerate(weeks)
    ]
    assert weekly_xmr(frame(rows)) is None


# The page's NumPy versions against the pandas code they replaced, on awkward data: values of
# very different sizes (where the order and kind of summation shows in the last bits), weeks
# split by a mid-week go-live, gaps, undated and control rows. Equal to the last bit.


def pandas_cells(data):
    from gains.models import Phase, StudyGroup
    from gains.stats.inference import DEFAULT_LEVEL, critical_value

    rows = []
    for group in StudyGroup:
        for phase in Phase:
            values = data.loc[(data["group"] == group.value) & (data["phase"] == phase.value)]
            values = values["value"]
            if values.empty:
                continue
            mean = float(values.mean())
            half = 0.0
            if len(values) > 1:
                half = (
                    float(critical_value(DEFAULT_LEVEL, len(values) - 1))
                    * float(values.std(ddof=1))
                    / math.sqrt(len(values))
                )
            rows.append((len(values), values.tolist(), mean, mean - half, mean + half))
    return rows


def pandas_weekly(data):
    from gains.stats.spc import MIN_BASELINE_POINTS, xmr_chart
    from gains.stats.timeseries import weekly_means

    treated = data[(data["group"] == "treatment") & data["date"].notna()]
    if treated.empty:
        return None
    weekly = weekly_means(treated)
    before = weekly["after"] == 0
    if before.sum() < MIN_BASELINE_POINTS:
        return None
    after_rows = weekly.index[weekly["after"] == 1]
    return (
        [ts.date() for ts in weekly["week_start"]],
        weekly["value"].astype(float).tolist(),
        weekly["n"].astype(int).tolist(),
        xmr_chart(weekly["value"], baseline=before),
        int(after_rows[0]) if len(after_rows) else None,
    )


def awkward_frame(seed: int, n: int, date_unit: str):
    import numpy as np

    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01") + int(rng.integers(0, 7))
    day = np.sort(rng.integers(0, 120, n))
    go_live = start + int(rng.integers(20, 100))
    dates = (start + day).astype("datetime64[D]")
    scale = 10.0 ** rng.integers(-3, 9, n)
    data = pd.DataFrame(
        {
            "phase": np.where(dates >= go_live, "after", "before").astype(object),
            "group": rng.choice(["treatment", "treatment", "control"], n).astype(object),
            "unit": None,
            "date": pd.Series(dates).astype(f"datetime64[{date_unit}]"),
            "value": rng.normal(0, 1, n) * scale + rng.normal(0, 1, n) * 1e-7,
        }
    )
    data.loc[rng.random(n) < 0.05, "date"] = pd.NaT
    return data


@pytest.mark.parametrize("seed", range(40))
def test_page_numbers_equal_the_pandas_ones_to_the_last_bit(seed):
    data = awkward_frame(seed, n=[3, 40, 400, 5000][seed % 4], date_unit=["s", "ns"][seed % 2])
    cells = distribution_cells(data)
    assert [(c.n, c.cell.values, c.cell.mean, c.cell.ci_low, c.cell.ci_high) for c in cells] == (
        pandas_cells(data)
    )
    weekly = weekly_xmr(data)
    expected = pandas_weekly(data)
    if expected is None:
        assert weekly is None
    else:
        assert weekly is not None
        assert (weekly.weeks, weekly.values, weekly.counts, weekly.chart, weekly.go_live_index) == (
            expected
        )


# The pages' chart tables come from the cell summaries and per-week sums in the database, the
# drawings from the rows: the same figures, to rounding, for every demo improvement.


def test_the_chart_tables_equal_the_figures_from_the_rows(session):
    from sqlalchemy import select

    from gains.models import Improvement
    from gains.services.estimates.charts import chart_data, chart_tables
    from gains.services.estimates.summaries import cell_summaries

    improvements = session.scalars(select(Improvement).order_by(Improvement.id)).all()
    with_weeks = 0
    for improvement in improvements:
        drawn_cells, drawn_weekly = chart_data(improvement)
        cells, weekly = chart_tables(improvement, cell_summaries([improvement.id]))
        assert [(r.cell.label, r.n) for r in cells] == [(r.cell.label, r.n) for r in drawn_cells]
        for row, drawn in zip(cells, drawn_cells, strict=True):
            assert row.cell.values == []  # the tables never carry the rows
            for name in ("mean", "ci_low", "ci_high"):
                expected = getattr(drawn.cell, name)
                assert getattr(row.cell, name) == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert (weekly is None) == (drawn_weekly is None), improvement.title
        if weekly is None:
            continue
        with_weeks += 1
        assert weekly.weeks == drawn_weekly.weeks
        assert weekly.counts == drawn_weekly.counts
        assert weekly.go_live_index == drawn_weekly.go_live_index
        assert weekly.values == pytest.approx(drawn_weekly.values, rel=1e-12)
        for name in ("mean", "upl", "lpl"):
            expected = getattr(drawn_weekly.chart, name)
            assert getattr(weekly.chart, name) == pytest.approx(expected, rel=1e-12)
        assert [(s.index, s.rule) for s in weekly.chart.signals] == [
            (s.index, s.rule) for s in drawn_weekly.chart.signals
        ]
    assert with_weeks >= 2  # the demo has dated improvements, so the weekly path ran
