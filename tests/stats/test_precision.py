"""Numerics at the edges of double precision (issue 19 item 4): a tiny but real SE next to
large values is kept, rounding noise is still zero, and values too large to square are refused
with a message instead of overflowing into nulls."""

import numpy as np
import pandas as pd
import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.design import estimate_improvement
from gains.stats.pooling import pool_random_effects
from gains.stats.sufficient import CellAggregates, did_from_cells, welch_from_cells
from gains.stats.warning_codes import StatsWarning

# The data are decimals next to 1e9, where doubles are 2**-23 = 1.2e-7 apart: each mean is
# rounded to that spacing (R accumulates in long double, numpy does not), so the effect may
# differ from R's by one spacing, 7e-5 of it here. The SE and df come from the deviations and
# agree far better.
SPACING_NEAR_1E9 = 2.0**-23


def test_a_small_real_se_next_to_large_values_keeps_its_ci_as_r(reference, reference_data):
    """Values near 1e9 with an SD of 1e-3: R t = 3.84, p = 0.0035. The old rule (SE below
    1e-12 of the means is noise) zeroed the SE and dropped the CI while g = 2.05 stayed."""
    expected = reference("precision")["welch"]
    result = estimate_improvement(reference_data("precision"), "welch")
    assert StatsWarning.ZERO_VARIANCE not in result.warnings
    assert result.se == pytest.approx(expected["se"], rel=1e-7)
    assert result.df == pytest.approx(expected["df"], rel=1e-7)
    for name in ("effect", "ci_low", "ci_high"):
        assert getattr(result, name) == pytest.approx(expected[name], abs=2 * SPACING_NEAR_1E9)
    for name in ("statistic", "hedges_g"):
        assert getattr(result, name) == pytest.approx(expected[name], rel=2e-4)
    assert result.p_value == pytest.approx(expected["p_value"], rel=1e-3)


def test_the_cell_aggregates_keep_the_same_se(reference, reference_data):
    """The recompute path (`sufficient`) applies the same rule to the same two-pass figures."""
    frame = reference_data("precision")
    cells = [frame.loc[frame["phase"] == phase, "value"] for phase in ("before", "after")]
    before, after = (
        CellAggregates.of([len(cell)], [cell.mean()], [cell.var(ddof=1)]) for cell in cells
    )
    arrays = welch_from_cells(before, after)
    assert not arrays.zero_variance[0]
    assert arrays.se[0] == pytest.approx(reference("precision")["welch"]["se"], rel=1e-7)


@pytest.mark.parametrize("level", [5.0, 0.1, 1e9 + 0.3, -7.77e11, 123456.789])
def test_constant_cells_are_still_zero_variance_at_any_magnitude(level):
    """The rounding noise of an OLS fit to constant cells (HC3 with 2 rows a cell is the
    largest, up to about 12·eps·M) stays below the threshold on both paths."""
    levels = {"tb": level, "ta": level * 1.3, "cb": level * 0.7, "ca": level * 1.1}
    rows = [
        {"group": group, "phase": phase, "value": levels[group[0] + phase[0]]}
        for group in ("treatment", "control")
        for phase in ("before", "after")
        for _ in range(2)
    ]
    result = estimate_improvement(pd.DataFrame(rows), "did")
    assert result.se == 0.0 and result.p_value is None
    assert StatsWarning.ZERO_VARIANCE in result.warnings
    cells = [CellAggregates.of([2.0], [levels[key]], [0.0]) for key in ("tb", "ta", "cb", "ca")]
    assert did_from_cells(*cells).zero_variance[0]


def test_values_too_large_to_square_are_refused_not_turned_into_nulls():
    """Near 1e200 the variance overflowed: SE null and statistic 0.0, without a word."""
    frame = pd.DataFrame(
        {
            "phase": ["before"] * 3 + ["after"] * 3,
            "value": [1e200, 2e200, 3e200, 4e200, 5e200, 7e200],
        }
    )
    with pytest.raises(StatsInputError, match=r"data row 1 .*too large"):
        estimate_improvement(frame, "welch")


def test_large_values_short_of_the_limit_give_finite_results():
    frame = pd.DataFrame(
        {"phase": ["before"] * 3 + ["after"] * 3, "value": [1e49, 2e49, 3e49, 4e49, 5e49, 7e49]}
    )
    result = estimate_improvement(frame, "welch")
    assert all(
        np.isfinite(value) for value in (result.se, result.df, result.statistic, result.p_value)
    )


@pytest.mark.parametrize(
    ("effects", "variances"),
    [([1e200, 2e200, 3e200, 4e200], [1e200] * 4), ([1e-200, 2e-200, 3e-200], [1e-300] * 3)],
)
def test_pooling_refuses_effects_and_variances_it_cannot_square(effects, variances):
    """1e200 overflowed into nulls; variances of 1e-300 underflowed into Q = 0 and τ² = 0."""
    with pytest.raises(StatsInputError, match="too large or too small"):
        pool_random_effects(effects, variances)
