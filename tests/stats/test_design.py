"""The declared design decides; the data can only downgrade it, with a warning."""

import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.design import estimate_improvement
from gains.stats.warning_codes import StatsWarning

DOWNGRADED = StatsWarning.DESIGN_DOWNGRADED


@pytest.mark.parametrize(
    ("dataset", "method"),
    [
        ("welch", "welch"),
        ("paired", "paired"),
        ("did", "did"),
        ("did_cluster", "did"),
        ("rct", "treatment_vs_control"),
        ("its", "its"),
    ],
)
def test_auto_picks_what_the_data_support(reference_data, dataset, method):
    result = estimate_improvement(reference_data(dataset), "auto")
    assert result.method == method
    assert DOWNGRADED not in result.warnings


def test_declared_design_is_never_upgraded(reference_data):
    assert estimate_improvement(reference_data("paired"), "before_after").method == "welch"
    assert estimate_improvement(reference_data("its"), "before/after").method == "welch"
    assert estimate_improvement(reference_data("did"), "welch").n_after == 12  # treated rows


@pytest.mark.parametrize(
    ("dataset", "declared", "method"),
    [
        ("welch", "paired", "welch"),
        ("welch", "control_group", "welch"),
        ("paired", "did", "paired"),
    ],
)
def test_unsupported_declared_design_downgrades_with_a_warning(
    reference_data, dataset, declared, method
):
    result = estimate_improvement(reference_data(dataset), declared)
    assert result.method == method
    assert result.warnings[0] == DOWNGRADED


@pytest.mark.parametrize("dataset", ["paired", "welch"])
def test_a_declared_time_series_without_dates_is_no_estimate_not_a_downgrade(
    reference_data, dataset
):
    """Fewer than 8 weekly points a side is not evidence: a before/after comparison of the
    same rows, trend and autocorrelation ignored, would be shown instead (it used to be)."""
    with pytest.raises(StatsInputError, match="needs a 'date' column"):
        estimate_improvement(reference_data(dataset), "time_series")


def test_alpha_sets_the_confidence_level(reference_data):
    narrow = estimate_improvement(reference_data("welch"), alpha=0.2)
    wide = estimate_improvement(reference_data("welch"), alpha=0.01)
    assert narrow.level == pytest.approx(0.8) and wide.level == pytest.approx(0.99)
    assert wide.ci_high - wide.ci_low > narrow.ci_high - narrow.ci_low


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"design": "crossover"}, "unknown design"), ({"direction": "up"}, "direction")],
)
def test_bad_arguments_raise_a_clear_error(reference_data, kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        estimate_improvement(reference_data("welch"), **kwargs)
