"""Planning at registration: the minimum detectable effect and the n needed per design, against
R's power.t.test(delta = NULL) and the DiD's noncentral t written out in R
(tests/reference/evidence_planning.R)."""

import json
from pathlib import Path

import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.power import EXPECTED_EFFECT_BELOW_MDE, plan_check, solve_power

REL = 1e-7  # R's uniroot tolerance 1e-13 on n; both solve the same curve


def planning_cases():
    path = Path(__file__).resolve().parents[1] / "reference/outputs/evidence_planning.json"
    return json.loads(path.read_text())["planning"]


@pytest.mark.parametrize(
    "case", planning_cases(), ids=lambda case: f"{case['design']}-n{case['n']}"
)
def test_mde_and_n_needed_equal_r(case):
    check = plan_check(
        case["design"], case["n"], case["sd"], case["effect"], case["power"], case["alpha"]
    )
    assert check.minimum_detectable_effect == pytest.approx(
        case["minimum_detectable_effect"], rel=REL
    )
    assert check.n_needed == pytest.approx(case["n_needed"], rel=REL)
    below = case["effect"] < case["minimum_detectable_effect"]
    assert (check.warning == EXPECTED_EFFECT_BELOW_MDE) is below


def test_two_group_mde_is_the_standardised_mde_times_the_sd():
    standardised = solve_power(n_per_group=30, power=0.8).effect_size
    assert plan_check("before_after", 30, 6.0).minimum_detectable_effect == pytest.approx(
        6.0 * standardised, rel=1e-12
    )


def test_the_warning_names_an_expected_effect_below_the_mde_whatever_its_sign():
    mde = plan_check("paired", 10, 2.0).minimum_detectable_effect
    assert plan_check("paired", 10, 2.0, -0.9 * mde).warning == EXPECTED_EFFECT_BELOW_MDE
    assert plan_check("paired", 10, 2.0, 1.1 * mde).warning is None
    assert (
        plan_check("paired", 10, 2.0).warning is None
        and plan_check("paired", 10, 2.0).n_needed is None
    )


@pytest.mark.parametrize(
    ("design", "n", "sd"),
    [("time_series", 20, 1.0), ("before_after", 1, 1.0), ("paired", 10, 0.0)],
)
def test_what_cannot_be_planned_is_refused(design, n, sd):
    with pytest.raises(StatsInputError):
        plan_check(design, n, sd)
