"""`gains.stats.inference` calls SciPy's special functions instead of `scipy.stats` (which
costs every command half a second and 60 MB to import): the results must be bit for bit
those of `scipy.stats`, inside the interior and at its edges (where `scipy.stats` answers)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from gains.stats import inference

EDGE_DF = [0.5, 1.0, 2.0, 2.7, 29.0, 1e6, 1e12, np.inf, np.nan, 0.0, -1.0]
EDGE_X = [0.0, -0.0, 1e-9, 1.96, 40.0, 1e3, np.inf, -np.inf, np.nan, -3.0]
EDGE_NC = [0.0, 0.1, 2.8, 37.0, 1e3, np.nan, np.inf]


def same_bits(ours, theirs) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    assert ours.tobytes() == theirs.tobytes()


def random_arguments(size: int = 50_000):
    rng = np.random.default_rng(42)
    df = np.concatenate([rng.uniform(0.01, 60, size // 2), 10 ** rng.uniform(-2, 12, size // 2)])
    q = rng.uniform(0, 1, size)
    x = np.abs(rng.normal(0, 5, size)) * 10 ** rng.uniform(-10, 3, size)
    nc = np.abs(rng.normal(0, 5, size)) * 10 ** rng.uniform(-3, 2, size)
    return df, q, x, nc


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy.stats warns at some edges
def test_the_special_functions_give_scipy_stats_bit_for_bit():
    df, q, x, nc = random_arguments()
    same_bits(inference.t_ppf(q, df), stats.t.ppf(q, df))
    same_bits(inference.t_sf(x, df), stats.t.sf(x, df))
    same_bits(inference.nct_sf(x, df, nc), stats.nct.sf(x, df, nc))
    same_bits(inference.nct_cdf(-x, df, nc), stats.nct.cdf(-x, df, nc))
    grid_df, grid_q = np.meshgrid(EDGE_DF, [0.0, 0.5, 0.975, 1.0, np.nan])
    same_bits(inference.t_ppf(grid_q, grid_df), stats.t.ppf(grid_q, grid_df))
    for one_df in EDGE_DF:  # scalars too, as the per-improvement path calls them
        assert type(inference.t_ppf(0.975, one_df)) is type(stats.t.ppf(0.975, one_df))
        same_bits(inference.t_ppf(0.975, one_df), stats.t.ppf(0.975, one_df))
        for one_x in EDGE_X:
            same_bits(inference.t_sf(one_x, one_df), stats.t.sf(one_x, one_df))
            for one_nc in EDGE_NC:
                same_bits(
                    inference.nct_sf(one_x, one_df, one_nc), stats.nct.sf(one_x, one_df, one_nc)
                )
                same_bits(
                    inference.nct_cdf(-one_x, one_df, one_nc),
                    stats.nct.cdf(-one_x, one_df, one_nc),
                )


def test_the_inference_is_what_scipy_stats_gives():
    df, _, x, nc = random_arguments(2_000)
    effect, se = x, nc + 0.1
    result = inference.t_inference(effect, se, df)
    crit = stats.t.ppf(0.975, df)
    same_bits(result.critical_value, crit)
    same_bits(result.p_value, 2.0 * stats.t.sf(np.abs(effect / se), df))
    same_bits(result.ci_low, effect - crit * se)
    power = inference.power_for_effect(effect, se, df)
    far_tail = stats.nct.cdf(-crit, df, effect / se)
    underflowed = np.isnan(far_tail)
    assert underflowed.any()  # the cases below are really exercised
    # Where scipy.stats' far tail underflows to NaN, it is replaced by its normal
    # approximation (below 1e-20 there), so the power is a number, not NaN.
    far_tail[underflowed] = stats.norm.cdf(-crit - effect / se)[underflowed]
    assert (far_tail[underflowed] < 1e-20).all()
    same_bits(power, stats.nct.sf(crit, df, effect / se) + far_tail)
    assert np.isfinite(power).all()
    assert float(stats.t.ppf(0.975, np.inf)) == inference.NORMAL_Z


def test_starting_the_app_for_gains_import_loads_no_heavy_statistics():
    """The app with every blueprint, and what `gains import` runs, without scipy.stats,
    scipy.optimize, statsmodels or matplotlib (each is imported where it is used)."""
    code = (
        "import sys\n"
        "from gains import create_app\n"
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x'})\n"
        "import gains.commands.imports, gains.services.estimates.recompute\n"
        "heavy = ('scipy.stats', 'scipy.optimize', 'statsmodels', 'matplotlib')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
