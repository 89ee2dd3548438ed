"""The calibration suite (`bench.calibrate`) at a small size, so it cannot rot (issue 19).

Three kinds of check: the methods the suite implements itself (the app's methods before issue
19, kept for the before-and-after comparison) give R's numbers; the machinery is
deterministic and its command prints its tables and JSON; and, on seeded replications, the
methods that are already right keep loose coverage and error-rate bounds while the ones known
to be wrong are caught. The bounds are 3-4 Monte Carlo standard errors from the nominal rate
at 300 replications a world, so a method that is off by a few points fails them.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.calibrate import run
from bench.calibration import alternatives, engine
from bench.calibration.engine import (
    APP,
    DESCRIBE,
    EVIDENCE,
    MethodFigures,
    Scenario,
    ScenarioFigures,
)
from bench.calibration.scenarios import (
    CHANGE_SCORES,
    NAIVE,
    OLD_DID,
    ONE_LOOK,
    RAW_TOTAL,
    SHRUNK_ALL,
    SHRUNK_APPROVED,
    SHRUNK_ORACLE,
    SHRUNK_WIDENED,
    UNCONTROLLED,
    app_outcome,
    select,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "reference"
REPS = 300


@functools.cache
def figures(name: str) -> ScenarioFigures:
    (found,) = run([name], REPS)
    assert found.scenario.name == name
    return found


def reference(name: str) -> dict:
    return json.loads((REFERENCE / "outputs" / f"{name}.json").read_text())


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / f"{name}.csv")


# The suite's own implementations against R ------------------------------------------------


def _cells(frame: pd.DataFrame) -> list[np.ndarray]:
    return [
        frame.loc[(frame["group"] == g) & (frame["phase"] == p), "value"].to_numpy()
        for g, p in (
            ("treatment", "before"),
            ("treatment", "after"),
            ("control", "before"),
            ("control", "after"),
        )
    ]


def _panel(frame: pd.DataFrame):
    unit = pd.factorize(frame["unit"])[0]
    return (
        frame["value"].to_numpy(dtype=float),
        (frame["phase"] == "after").to_numpy(dtype=float),
        (frame["group"] == "treatment").to_numpy(dtype=float),
        unit,
    )


def _interval_matches(found: tuple[float, float], expected: dict) -> None:
    assert found == pytest.approx((expected["ci_low"], expected["ci_high"]), rel=1e-9)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (lambda f: alternatives.did_cells_hc3(_cells(f)), "hc3"),
        (lambda f: alternatives.did_cells_classical(_cells(f)), "nonrobust"),
    ],
)
def test_did_on_rows_gives_rs_intervals(method, expected):
    _interval_matches(method(data("did")), reference("did")[expected])


OLD = "calibration_old_methods"  # tests/reference/calibration_old_methods.R


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [("did_unit_means", "did_unit_means_hc3"), ("did_cluster", "did_rows_cr1")],
)
def test_old_did_with_repeated_units_gives_rs_intervals(dataset, expected):
    found = alternatives.old_did_repeated_units(*_panel(data(dataset)))
    _interval_matches(found, reference(OLD)[expected])


def test_old_newey_west_its_gives_rs_interval():
    frame = data("its")
    dates = pd.to_datetime(frame["date"])
    week = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.normalize()
    weekly = frame.assign(week=week).groupby(["week", "phase"], sort=True)["value"].mean()
    weekly = weekly.reset_index().sort_values("week")
    n_before = int((weekly["phase"] == "before").sum())
    assert (weekly["week"].diff().dropna() == pd.Timedelta(days=7)).all()  # no gaps
    x, contrast = alternatives.its_design(n_before, len(weekly) - n_before)
    found = alternatives.its_intervals(weekly["value"].to_numpy(), x, contrast)["newey"]
    _interval_matches(found, reference(OLD)["its_newey_west"])


def test_old_normal_pooled_ci_gives_rs_interval():
    bcg = data("bcg")
    want = reference(OLD)["pooled_dl_normal"]
    intervals = alternatives.pooled_intervals(
        bcg["effect"].to_numpy(), bcg["variance"].to_numpy(), want["tau2"]
    )
    _interval_matches(intervals["z"], want)


def test_bh_frozen_at_each_approval_decides_each_submission_with_the_family_so_far():
    from gains.stats.multiplicity import benjamini_hochberg

    # 0.04 is a discovery when it arrives first (BH over one p is p), and stays one even
    # though BH over all three (adjusted 0.06) would not make it one.
    p = np.array([0.04, 0.5, 0.9])
    assert alternatives.bh_frozen_at_each_approval(p, benjamini_hochberg, 0.05).tolist() == [
        True,
        False,
        False,
    ]
    assert (benjamini_hochberg(p) <= 0.05).tolist() == [False, False, False]


# The machinery ------------------------------------------------------------------------------


def test_figures_do_not_depend_on_the_number_of_workers():
    one = run(["pool k=3 tau2=0.1"], 60, jobs=1)[0]
    two = run(["pool k=3 tau2=0.1"], 60, jobs=2)[0]
    assert [vars(m) for m in one.methods] == [vars(m) for m in two.methods]
    assert one.methods[0].reps == 60


def test_a_whole_name_selects_one_scenario_and_a_part_many():
    assert [s.name for s in select(["welch n=20"])] == ["welch n=20"]
    assert [s.name for s in select(["welch n=2"])] == ["welch n=20", "welch n=200"]


def test_command_prints_tables_markdown_and_json_last(tmp_path):
    markdown = tmp_path / "calibration.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.calibrate",
            "--scenario",
            "bh m=12",
            "--reps",
            "30",
            "--markdown",
            str(markdown),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["bench"] == "calibrate" and last["reps"] == 30 and last["scenarios"] == 3
    assert {r["scenario"] for r in last["results"]} == {
        "bh m=12 null=1.0",
        "bh m=12 null=0.8",
        "bh m=12 null=0.5",
    }
    assert "FDR" in result.stdout
    table = markdown.read_text()
    assert "| scenario | effect | Gains | BH frozen at each approval (old) |" in table
    assert "--reps 30" in table

    unknown = subprocess.run(
        [sys.executable, "-m", "bench.calibrate", "--scenario", "no such"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode != 0 and "no scenario matches" in unknown.stderr


def _figures(method: str, **values) -> MethodFigures:
    return MethodFigures(method, reps=2000, **values)


def test_targets_are_marked_on_the_apps_row():
    def summary(kind: str, *methods: MethodFigures, power_vs: str | None = None) -> ScenarioFigures:
        scenario = Scenario(
            "f", "s", "s", 1.0, lambda rng, truth: {}, kind=kind, power_at_least_as=power_vs
        )
        summary = ScenarioFigures(scenario, list(methods))
        engine.judge_targets(summary)
        return summary

    assert summary("interval", _figures(APP, coverage=0.931, power=0.5)).methods[0].met is True
    assert summary("interval", _figures(APP, coverage=0.929, power=0.5)).methods[0].met is False
    # A rate whose target is the nominal rate itself gets two Monte Carlo SEs (0.0097 at 2,000).
    for kind, rate in (("looks", "false_positive"), ("year", "fdr")):
        assert summary(kind, _figures(APP, coverage=1.0, **{rate: 0.059})).methods[0].met is True
        assert summary(kind, _figures(APP, coverage=1.0, **{rate: 0.061})).methods[0].met is False
    # Power against a reference: within two Monte Carlo SEs (about 0.03 here) counts as equal.
    same = summary(
        "interval",
        _figures(APP, coverage=0.95, power=0.70),
        _figures("ref", power=0.72),
        power_vs="ref",
    )
    worse = summary(
        "interval",
        _figures(APP, coverage=0.95, power=0.60),
        _figures("ref", power=0.72),
        power_vs="ref",
    )
    assert same.methods[0].met is True and worse.methods[0].met is False
    assert worse.methods[0].missed == ["power ≥ ref"]


def test_an_interval_the_app_refuses_or_does_not_show_as_evidence_is_not_held_to_the_target():
    too_few = pd.DataFrame({"phase": ["before", "after", "after"], "value": [1.0, 2.0, 3.0]})
    outcome = app_outcome(0.0, too_few, "before_after")
    assert outcome[APP] == (0.0, 0.0, 0.0, pytest.approx(float("nan"), nan_ok=True), 1.0)
    assert outcome[EVIDENCE] == 0.0 and outcome[DESCRIBE].startswith("refused: ")

    scenario = Scenario("f", "s", "s", 1.0, lambda rng, truth: {})
    below_minimum = ScenarioFigures(scenario, [_figures(APP, coverage=0.5)], evidence_share=0.0)
    engine.judge_targets(below_minimum)
    assert below_minimum.methods[0].met is None
    assert below_minimum.methods[0].target == "not shown as evidence"


# Seeded replications: right methods stay right, wrong ones are caught -------------------------


@pytest.mark.parametrize(
    "name",
    ["welch n=20", "paired units=10", "trial n=20", "did-rows n=20", "idea k=3 tau2=0.005"],
)
def test_methods_already_right_cover_and_keep_the_false_positive_rate(name):
    app = figures(name).figures(APP)
    assert app.coverage >= 0.91, vars(app)
    assert app.false_positive <= 0.09, vars(app)
    assert app.failed == 0


@pytest.mark.parametrize(
    ("name", "method", "bound"),
    [
        ("pool k=5 tau2=0.1", "DL + HKSJ", lambda m: m.coverage >= 0.91),
        ("bh m=40 null=0.8", "BH over the final family", lambda m: m.fdr <= 0.08),
        ("looks weeks=4 before-after", ONE_LOOK, lambda m: m.false_positive <= 0.09),
    ],
)
def test_reference_methods_hold_their_rates(name, method, bound):
    found = figures(name).figures(method)
    assert bound(found), vars(found)


@pytest.mark.parametrize(
    ("name", "method", "bound"),
    [
        ("its n=8 rho=0.6 season=no", "Newey-West (old ITS)", lambda m: m.coverage < 0.85),
        ("looks weeks=4 before-after", NAIVE, lambda m: m.false_positive > 0.08),
        ("bh m=12 null=1.0", "BH frozen at each approval (old)", lambda m: m.fdr > 0.08),
    ],
)
def test_the_suite_catches_the_methods_issue_19_replaces(name, method, bound):
    found = figures(name).figures(method)
    assert bound(found), vars(found)


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("its n=8 rho=0.6 season=no", lambda m: m.coverage >= 0.88),
        ("looks weeks=4 before-after", lambda m: m.false_positive <= 0.06),
        ("bh m=12 null=1.0", lambda m: m.fdr <= 0.08),
        ("pool k=5 tau2=0.1", lambda m: m.coverage >= 0.91),
    ],
)
def test_the_methods_issue_19_brings_hold_their_rates(name, bound):
    """The app's own column (AR(1) REML, the always-valid interval, the year's BH family,
    HKSJ) on the scenarios whose replaced methods the test above catches."""
    found = figures(name).figures(APP)
    assert bound(found), vars(found)


def test_the_suite_catches_the_old_did_throwing_away_the_pairing():
    did = figures("did-units G=12 rows=2")
    assert did.figures(OLD_DID).power < did.figures(CHANGE_SCORES).power - 0.3


def test_a_control_series_cancels_the_common_shock_the_treated_series_alone_takes_for_effect():
    """A jump at go-live that hits both groups: the treated series alone is biased by it
    (about 1.4 of its SEs at 26 weeks a side), the controlled series covers. 100 replications
    a world (200 intervals): the bounds are 4 Monte Carlo SEs from the expected rates."""
    (found,) = run(["cits n=26 rho=0.0"], 100)
    assert found.figures(UNCONTROLLED).coverage < 0.85, vars(found.figures(UNCONTROLLED))
    assert found.figures(APP).coverage >= 0.88, vars(found.figures(APP))


@pytest.mark.parametrize("name", ["winners k=10 mu=0.1 tau2=0.02", "winners k=20 mu=0.2 tau2=0.05"])
def test_shrinking_toward_all_the_departments_items_undoes_the_winners_curse(name):
    """Approval on significance inflates the raw total of the approved (relative bias 0.2-0.6
    at 2,000 replications); BLUPs pooled over the approved only keep most of it, since their
    pool is itself selected; pooled over all the department's items they remove most of it.
    Their band covers less than 0.95 (0.85-0.91) only because τ² is estimated: with the true
    τ² it covers about 0.95, which checks `prediction_error_covariance`, and widened by
    `tau2_estimation_variance` 0.94-0.98. 300 replications:
    the bounds are 3 or more Monte Carlo SEs from the figures of a 2,000-replication run."""
    found = figures(name)
    methods = (RAW_TOTAL, SHRUNK_APPROVED, SHRUNK_ALL, SHRUNK_WIDENED, SHRUNK_ORACLE)
    raw, approved_only, everything, widened, oracle = map(found.figures, methods)
    assert raw.relative_bias > 0.15, vars(raw)
    assert approved_only.bias > 0.5 * raw.bias, vars(approved_only)
    assert abs(everything.bias) < 0.35 * raw.bias, vars(everything)
    assert everything.rmse < 0.8 * raw.rmse, vars(everything)
    assert everything.coverage > raw.coverage, vars(everything)
    assert oracle.coverage >= 0.91, vars(oracle)
    assert widened.coverage >= 0.91, vars(widened)
