"""Run chart rules against base R (tests/reference/runs.R, qicharts2's runs analysis written
out), and the cases the rules turn on worked by hand."""

import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.runs import crossings_limit, longest_run_limit, run_chart

SERIES = [
    "step_down",
    "noise",
    "no_signal",
    "ties",
    "few_crossings",
    "alternate_then_high",
    "short",
    "trend",
    "all_baseline",
]


@pytest.mark.parametrize("name", SERIES)
def test_rules_match_r(reference, name):
    expected = reference("runs")["series"][name]
    values = expected["values"]
    chart = run_chart(values, baseline=[i < expected["n_baseline"] for i in range(len(values))])
    assert chart.median == pytest.approx(expected["median"], rel=1e-15)
    assert chart.n_baseline == expected["n_baseline"]
    assert chart.n_useful == expected["n_useful"]
    assert chart.longest_run == expected["longest_run"]
    assert chart.longest_run_limit == expected["longest_run_limit"]
    assert chart.crossings == expected["crossings"]
    assert chart.crossings_limit == expected["crossings_limit"]
    assert list(chart.long_run_points) == expected["long_run_points"]


def test_limits_match_r_for_1_to_100_points(reference):
    for row in reference("runs")["limits"]:
        assert longest_run_limit(row["n"]) == row["longest_run_limit"], row
        assert crossings_limit(row["n"]) == row["crossings_limit"], row


def test_which_rule_signals(reference):
    series = reference("runs")["series"]

    def chart(name):
        values = series[name]["values"]
        return run_chart(values, [i < series[name]["n_baseline"] for i in range(len(values))])

    assert chart("step_down").unusually_long_run and chart("step_down").too_few_crossings
    assert not chart("no_signal").signals
    # Runs of 7, 7 and 6 among 20 points: none longer than 7, but 2 crossings where 6 is
    # the 5th percentile.
    assert (
        chart("few_crossings").too_few_crossings and not chart("few_crossings").unusually_long_run
    )
    assert chart("short").short_baseline and not chart("step_down").short_baseline


def test_points_on_the_median_neither_make_nor_break_a_run():
    # Median of the baseline 1, 2, 3 is 2; the 2s after it are dropped, so 3, 3, 2, 3 is one
    # run of three above.
    chart = run_chart([1, 2, 3, 3, 3, 2, 3], baseline=[True] * 3 + [False] * 4)
    assert chart.median == 2
    assert chart.n_useful == 5
    assert chart.longest_run == 4
    assert chart.crossings == 1


def test_every_point_on_the_median_has_no_runs():
    chart = run_chart([4, 4, 4, 4])
    assert (chart.n_useful, chart.longest_run, chart.crossings) == (0, 0, 0)
    assert not chart.signals


@pytest.mark.parametrize(
    "values, baseline",
    [([1.0, float("nan")], None), ([1.0, 2.0], [True]), ([1.0, 2.0], [False, False])],
)
def test_refuses_what_it_cannot_chart(values, baseline):
    with pytest.raises(StatsInputError):
        run_chart(values, baseline)
