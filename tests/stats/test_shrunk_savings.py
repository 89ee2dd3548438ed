"""Shrunk savings (`gains.stats.shrunk_savings`): pounds from BLUPs, and the total's
variance against `shrinkage.shrunk_total` + `tau2_estimation_variance` written out densely;
the low-rank covariance in `money.ranged_total` against the dense matrix."""

from __future__ import annotations

import numpy as np
import pytest

from gains.stats.money import LowRankCovariance, RangedItem, ranged_total
from gains.stats.shrinkage import shrink, shrunk_total, tau2_estimation_variance
from gains.stats.shrunk_savings import MIN_ABS_G, shrink_savings, total_variance

G = np.array([0.62, 0.15, -0.05, 0.41, 0.30, 0.005, 0.22])
V = np.array([0.040, 0.020, 0.030, 0.050, 0.010, 0.020, 0.060])


def test_shrunk_saving_is_pence_per_g_times_the_blup_and_the_variance_matches_shrinkage():
    # Items: pool rows 0, 1, 3 and 4 counted (approved), with savings of the gain's sign.
    index = np.array([0, 1, 3, 4])
    saving = np.array([620_000.0, 90_000.0, 205_000.0, 600_000.0])
    se = np.array([200_000.0, 50_000.0, 110_000.0, 200_000.0])
    found = shrink_savings(G, V, index, saving, se)
    fit = shrink(G, V)
    c = np.zeros(len(G))
    c[index] = saving / G[index]
    np.testing.assert_allclose(found.saving_pence, c[index] * fit.shrunk[index], rtol=1e-12)
    total, variance = shrunk_total(fit, V, c)
    variance += tau2_estimation_variance(fit, G, V, c)
    assert found.saving_pence.sum() == pytest.approx(total, rel=1e-12)
    assert total_variance(found.covariance) == pytest.approx(variance, rel=1e-10)
    assert found.shrunk.all() and found.n_unshrunk == 0


def test_items_outside_the_pool_or_with_a_tiny_g_keep_their_saving_and_se():
    assert abs(G[5]) < MIN_ABS_G
    found = shrink_savings(G, V, [5, -1, 0], [1000.0, 5000.0, 620_000.0], [300.0, 800.0, 1.0])
    assert found.saving_pence[:2].tolist() == [1000.0, 5000.0]
    assert found.covariance.diagonal[:2].tolist() == [300.0**2, 800.0**2]
    assert not found.covariance.factors[:2].any()
    assert found.n_unshrunk == 2


def test_a_pool_of_one_shrinks_nothing():
    found = shrink_savings([0.4], [0.02], [0], [1000.0], [300.0])
    assert found.saving_pence.tolist() == [1000.0] and found.n_unshrunk == 1
    assert found.tau2 is None


def test_ranged_total_with_a_low_rank_covariance_is_the_dense_matrix_to_monte_carlo_error():
    found = shrink_savings(G, V, np.arange(len(G) - 1), G[:-1] * 1e6 + 3e5, np.full(6, 1e5))
    cov = found.covariance
    dense = np.diag(cov.diagonal) + cov.factors @ cov.factors.T
    items = [
        RangedItem(round(s), 0.0, "A", (0.8, 1.3), (0.9, 1.1), weight=2.5, offset_pence=1000)
        for s in found.saving_pence
    ]
    low_rank = ranged_total(items, {"A": cov}, draws=2**14)
    matrix = ranged_total(items, {"A": dense}, draws=2**14)
    for band in ("saving", "weighted"):
        a, b = getattr(low_rank, band), getattr(matrix, band)
        assert a.total_pence == b.total_pence
        width = b.band_high_pence - b.band_low_pence
        assert abs(a.band_low_pence - b.band_low_pence) < 0.03 * width
        assert abs(a.band_high_pence - b.band_high_pence) < 0.03 * width


def test_a_low_rank_covariance_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError):
        ranged_total(
            [RangedItem(1, 1.0, "A")], {"A": LowRankCovariance(np.ones(2), np.zeros((2, 2)))}
        )
