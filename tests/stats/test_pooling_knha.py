"""Pooling's Hartung-Knapp-Sidik-Jonkman CI against metafor::rma(test="knha"|"adhoc"|"z")
with predict.rma(pi.type="riley") (tests/reference/pooling_knha.R)."""

import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.pooling import pool_random_effects

REL = 1e-6  # HKSJ's figures agree to about 1e-12; the brief's contract is 1e-6
FIELDS = ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "q")
CASES = [
    f"{data}_{method}_{test}"
    for data in ("bcg", "bcg_first3", "homogeneous", "department")
    for method in ("dl", "pm")
    for test in ("knha", "adhoc", "z")
]


@pytest.mark.parametrize("key", CASES)
def test_pooling_matches_metafor(reference, key):
    expected = reference("pooling_knha")[key]
    method, ci_method = key.split("_")[-2:]
    pooled = pool_random_effects(
        expected["effects"], expected["variances"], method=method, ci_method=ci_method
    )
    assert pooled.k == expected["k"] and pooled.ci_method == ci_method
    assert pooled.df == expected["df"]  # k - 1 for HKSJ; None (normal) for z
    for name in FIELDS:
        assert getattr(pooled, name) == pytest.approx(expected[name], rel=REL, abs=1e-14), name


def test_knha_is_the_default():
    pooled = pool_random_effects([0.42, 0.15, 0.61], [0.021, 0.085, 0.047])
    assert pooled.ci_method == "knha" and pooled.df == 2


def test_knha_is_not_truncated_but_adhoc_is(reference):
    """Nearly equal effects give q < 1: metafor's knha narrows the CI below the normal
    theory's variance, the ad hoc variant (Röver et al. 2015) does not."""
    effects, variances = [0.10, 0.12, 0.11, 0.09], [0.04, 0.05, 0.03, 0.06]
    knha, adhoc, normal = (
        pool_random_effects(effects, variances, ci_method=ci) for ci in ("knha", "adhoc", "z")
    )
    assert knha.se < normal.se == pytest.approx(adhoc.se, rel=1e-15)
    assert adhoc.ci_high - adhoc.ci_low > normal.ci_high - normal.ci_low


def test_unknown_ci_method_is_refused():
    with pytest.raises(StatsInputError, match="ci_method must be one of knha, adhoc, z"):
        pool_random_effects([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], ci_method="hk")
