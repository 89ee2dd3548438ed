"""Empirical-Bayes shrinkage (`gains.stats.shrinkage`) against metafor's ``blup(rma(...))``
(tests/reference/shrinkage_blup.R), and the prediction errors' covariance against an explicit
matrix calculation and a seeded simulation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.pooling import check_effects
from gains.stats.shrinkage import (
    dersimonian_laird_variance,
    prediction_error_covariance,
    shrink,
    shrink_given_tau2,
    shrunk_total,
    tau2_estimation_variance,
)

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "outputs" / "shrinkage_blup.json"
CASES = json.loads(REFERENCE.read_text())


def close(found, expected):
    return np.testing.assert_allclose(
        np.atleast_1d(found), np.atleast_1d(expected), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_blups_match_metafor(name):
    case = CASES[name]
    found = shrink(np.atleast_1d(case["yi"]), np.atleast_1d(case["vi"]), case["method"])
    assert found.k == case["k"] and found.method == case["method"]
    for field in ("tau2", "pooled_mean", "pooled_mean_se", "shrunk", "shrunk_se"):
        close(getattr(found, field), case[field])


def test_the_reference_covers_one_two_three_eight_and_twenty_items_and_a_zero_tau2():
    assert {case["k"] for case in CASES.values()} == {1, 2, 3, 4, 8, 20}
    assert any(case["tau2"] == 0 and case["k"] > 1 for case in CASES.values())


def test_with_tau2_zero_every_item_is_shrunk_fully_to_the_pooled_mean():
    case = CASES["homogeneous_dl"]
    found = shrink(case["yi"], case["vi"])
    assert found.tau2 == 0.0
    assert np.all(found.shrinkage_weight == 0.0)
    close(found.shrunk, np.full(4, found.pooled_mean))
    close(found.shrunk_se, np.full(4, found.pooled_mean_se))


def test_one_item_is_not_shrunk():
    found = shrink([0.3], [0.04], "pm")
    assert (found.tau2, found.pooled_mean, found.shrunk[0]) == (0.0, 0.3, 0.3)
    close(found.shrunk_se, 0.2)


@pytest.mark.parametrize(
    ("effects", "variances", "method", "words"),
    [
        ([], [], "dl", "at least 1"),
        ([0.1, 0.2], [0.01], "dl", "same length"),
        ([0.1, 0.2], [0.01, 0.0], "dl", "positive"),
        ([0.1, float("nan")], [0.01, 0.02], "dl", "finite"),
        ([0.1, 0.2], [0.01, 0.02], "reml", "method"),
    ],
)
def test_bad_inputs_are_refused_with_the_poolings_words(effects, variances, method, words):
    with pytest.raises(StatsInputError, match=words):
        shrink(effects, variances, method)


def _explicit_covariance(v: np.ndarray, tau2: float) -> np.ndarray:
    """τ²(A − I)(A − I)ᵀ + A diag(v) Aᵀ with A = B + (I − B) 1 wᵀ/Σw, written out."""
    k = len(v)
    w = 1.0 / (v + tau2)
    b = np.diag(tau2 / (tau2 + v))
    a = b + (np.eye(k) - b) @ np.ones((k, 1)) @ (w / w.sum())[None, :]
    return tau2 * (a - np.eye(k)) @ (a - np.eye(k)).T + a @ np.diag(v) @ a.T


@pytest.mark.parametrize("name", ["two_dl", "bcg_4to6_pm", "homogeneous_dl", "department8_dl"])
def test_prediction_error_covariance_is_the_explicit_matrix_and_its_diagonal_the_blup_se(name):
    case = CASES[name]
    v = np.asarray(case["vi"])
    found = shrink(case["yi"], v, case["method"])
    covariance = prediction_error_covariance(found, v)
    np.testing.assert_allclose(covariance, _explicit_covariance(v, found.tau2), rtol=1e-12)
    close(np.sqrt(np.diag(covariance)), case["shrunk_se"])  # metafor's SE is the diagonal
    # Positive semi-definite; with τ² = 0 of rank 1 (every error is the same μ̂ − μ).
    assert np.linalg.eigvalsh(covariance).min() > -1e-12 * covariance.max()


def test_prediction_error_covariance_matches_a_simulation_with_known_tau2():
    """θ ~ N(μ, τ²), y ~ N(θ, v), BLUPs with the true τ²: the errors' sample covariance, and
    the variance of a total's error, agree with the formula within Monte Carlo error."""
    rng = np.random.default_rng(20261203)
    v = np.array([0.01, 0.02, 0.05, 0.1, 0.2])
    tau2, mu, draws = 0.05, 0.2, 40_000
    theta = rng.normal(mu, np.sqrt(tau2), (draws, len(v)))
    y = rng.normal(theta, np.sqrt(v))
    errors = np.array([shrink_given_tau2(row, v, tau2, "dl").shrunk for row in y]) - theta
    expected = prediction_error_covariance(shrink_given_tau2(y[0], v, tau2, "dl"), v)
    assert np.abs(errors.mean(axis=0)).max() < 4 * np.sqrt(np.diag(expected).max() / draws)
    # A sample variance's relative SE is about √(2/n) = 0.7 %: 4 of them.
    np.testing.assert_allclose(np.cov(errors.T), expected, atol=0.03 * expected.max())
    money = np.array([1.0, 3.0, 2.0, 0.5, 4.0])  # £ per unit of effect, say
    total_variance = money @ expected @ money
    assert np.var(errors @ money) == pytest.approx(total_variance, rel=0.03)
    # Independence would understate it: the shared μ̂ correlates the errors positively.
    assert money**2 @ np.diag(expected) < 0.9 * total_variance


def test_prediction_error_covariance_refuses_other_variances():
    found = shrink([0.1, 0.3, 0.2], [0.01, 0.02, 0.03])
    with pytest.raises(ValueError, match="fitted"):
        prediction_error_covariance(found, [0.01, 0.02])


def test_a_total_is_the_weighted_sum_of_blups_with_the_covariances_variance():
    case = CASES["department8_dl"]
    found = shrink(case["yi"], case["vi"])
    pounds = np.array([100.0, 0.0, 250.0, 0.0, 80.0, 40.0, 0.0, 10.0])  # 0: not counted
    total, variance = shrunk_total(found, case["vi"], pounds)
    assert total == pytest.approx(float(np.dot(pounds, case["shrunk"])), rel=1e-12)
    covariance = _explicit_covariance(np.asarray(case["vi"]), found.tau2)
    assert variance == pytest.approx(pounds @ covariance @ pounds, rel=1e-12)


def test_dersimonian_laird_variance_matches_a_simulation_of_the_untruncated_estimator():
    """τ² large enough against the v's that Q's estimate is rarely negative; 40,000 draws:
    the sample variance's relative SE is about 1 % (heavier tails than normal), 4 of them."""
    rng = np.random.default_rng(20261203)
    v = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.03, 0.04])
    tau2, w = 0.3, 1.0 / v
    theta = rng.normal(0.2, np.sqrt(tau2), (40_000, len(v)))
    y = rng.normal(theta, np.sqrt(v))
    mean = (y @ w / w.sum())[:, None]
    q = ((y - mean) ** 2) @ w
    untruncated = (q - (len(v) - 1)) / (w.sum() - (w**2).sum() / w.sum())
    assert np.var(untruncated) == pytest.approx(dersimonian_laird_variance(v, tau2), rel=0.04)


@pytest.mark.parametrize("name", ["department8_dl", "homogeneous_dl", "seeded20_pm"])
def test_tau2_estimation_variance_is_the_totals_slope_in_tau2_squared_times_var_tau2(name):
    case = CASES[name]
    y, v = check_effects(case["yi"], case["vi"], case["method"], 1)
    found = shrink(y, v, case["method"])
    counted = (np.arange(len(y)) % 3 != 1).astype(float)
    step = 1e-6
    ends = [
        counted @ shrink_given_tau2(y, v, found.tau2 + side * step, "dl").shrunk for side in (1, -1)
    ]
    slope = (ends[0] - ends[1]) / (2 * step)  # central difference
    expected = slope**2 * dersimonian_laird_variance(v, found.tau2)
    assert tau2_estimation_variance(found, y, v, counted) == pytest.approx(expected, rel=1e-6)
