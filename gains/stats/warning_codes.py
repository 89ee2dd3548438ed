"""The small, fixed vocabulary of warnings an estimate can carry.

Codes are stable strings (stored with cached estimates and shown in exports); the message is
what a manager reads next to the number.
"""

from __future__ import annotations

from enum import StrEnum


class StatsWarning(StrEnum):
    """Warning codes; ``.message`` gives the text shown to users."""

    SMALL_SAMPLE = "small_sample"
    ZERO_VARIANCE = "zero_variance"
    NO_CONTROL_GROUP = "no_control_group"
    STRONG_OUTLIERS = "strong_outliers"
    DROPPED_UNPAIRED_UNITS = "dropped_unpaired_units"
    TOO_FEW_TIME_POINTS = "too_few_time_points"
    UNDERPOWERED = "underpowered_for_planned_effect"
    DENOMINATOR_CI_INCLUDES_ZERO = "denominator_ci_includes_zero"
    DESIGN_DOWNGRADED = "design_downgraded"
    ROWS_WITHOUT_UNIT = "rows_without_unit"
    ROWS_WITHOUT_DATE = "rows_without_date"
    AUTOCORRELATION_AT_LIMIT = "autocorrelation_at_limit"

    @property
    def message(self) -> str:
        """The sentence shown next to the estimate."""
        return _MESSAGES[self]


_MESSAGES: dict[StatsWarning, str] = {
    StatsWarning.SMALL_SAMPLE: (
        "Fewer than 5 observations on at least one side: the estimate is fragile."
    ),
    StatsWarning.ZERO_VARIANCE: "A phase or group has no variation: the test cannot be computed.",
    StatsWarning.NO_CONTROL_GROUP: (
        "No control group: part of a before/after change may be regression to the mean "
        "or a trend that would have happened anyway."
    ),
    StatsWarning.STRONG_OUTLIERS: (
        "Strong outliers (beyond 3 interquartile ranges from the quartiles) are present."
    ),
    StatsWarning.DROPPED_UNPAIRED_UNITS: "Units measured in only one phase were dropped.",
    # No longer given (fewer than 8 points a side is no estimate); kept for stored estimates.
    StatsWarning.TOO_FEW_TIME_POINTS: (
        "Fewer than 8 weekly points on a side of go-live: the time series is weak."
    ),
    StatsWarning.UNDERPOWERED: (
        "Power to detect the planned effect with this precision is below 80%."
    ),
    StatsWarning.DENOMINATOR_CI_INCLUDES_ZERO: (
        "The counterfactual mean's confidence interval includes 0: no relative change is given."
    ),
    StatsWarning.DESIGN_DOWNGRADED: (
        "The data do not support the declared design: a simpler design was analysed."
    ),
    StatsWarning.ROWS_WITHOUT_UNIT: (
        "Some rows name no unit: the analysis compares units, so those rows were left out."
    ),
    StatsWarning.ROWS_WITHOUT_DATE: (
        "Some rows have no date, so they could not be placed in a week: the time series "
        "leaves them out."
    ),
    StatsWarning.AUTOCORRELATION_AT_LIMIT: (
        "Neighbouring weeks are so alike that the model cannot tell a lasting drift from "
        "a change at go-live (autocorrelation at its 0.99 limit): treat the interval with "
        "caution."
    ),
}


def describe(codes: tuple[str, ...]) -> list[dict[str, str]]:
    """Codes with their messages, in order, for display and JSON output."""
    return [{"code": code, "message": _MESSAGES[StatsWarning(code)]} for code in codes]
