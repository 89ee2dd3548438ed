"""Frozen result types shared by every design.

Missing quantities are ``None`` (never NaN) so that JSON output and templates show "not
available" rather than a number that is not one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gains.stats.warning_codes import describe


@dataclass(frozen=True)
class Coefficient:
    """One model coefficient with its inference (used for ITS level and slope changes)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float | None
    p_value: float | None


@dataclass(frozen=True)
class GroupCounts:
    """Observations per phase and group (``None`` where the design has no such cell)."""

    n_before: int
    n_after: int
    n_treatment_before: int | None = None
    n_treatment_after: int | None = None
    n_control_before: int | None = None
    n_control_after: int | None = None
    n_units: int | None = None


@dataclass(frozen=True)
class EstimateResult:
    """Everything the app shows about one improvement's estimate.

    ``effect`` is on the metric's own scale (after minus before, or its DiD/ITS analogue);
    ``gain`` is the same number signed so that positive is better, with its CI.
    """

    method: str
    level: float
    effect: float
    se: float
    df: float
    statistic: float | None
    p_value: float | None
    ci_low: float
    ci_high: float
    gain: float
    gain_ci_low: float
    gain_ci_high: float
    counterfactual_mean: float
    relative_change: float | None
    relative_se: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    hedges_g: float | None
    hedges_g_variance: float | None
    counts: GroupCounts
    cov_type: str | None = None
    warnings: tuple[str, ...] = ()
    level_change: Coefficient | None = None
    slope_change: Coefficient | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # The always-valid interval on the effect's scale (`stats.sequential`): the live estimate
    # while the improvement runs. None where it is not defined (time series, too few rows).
    cs_low: float | None = None
    cs_high: float | None = None
    # How far the design rules out other explanations, 2-5 (`stats.evidence`); None until
    # `design.estimate_improvement` (or recompute-all) decides it.
    evidence_level: int | None = None

    @property
    def n_before(self) -> int:
        """Observations (ITS: weekly points) before go-live."""
        return self.counts.n_before

    @property
    def n_after(self) -> int:
        """Observations (ITS: weekly points) after go-live."""
        return self.counts.n_after

    def to_dict(self) -> dict[str, Any]:
        """A flat JSON-ready dict: the fields in order, counts lifted to the end, NaN/inf
        turned into ``None``. From the instance's own dict rather than `dataclasses.asdict`
        (a deep copy through every value): recompute-all builds ten thousand at once."""
        data = dict(self.__dict__)
        del data["counts"]
        data.update(self.counts.__dict__)
        for name, value in data.items():
            kind = type(value)
            if kind is float:
                if not math.isfinite(value):
                    data[name] = None
            elif kind not in _PLAIN and name not in _STRUCTURED:
                data[name] = json_safe(value)  # a numpy number, say
        data["warnings"] = describe(self.warnings)
        data["details"] = json_safe(self.details)
        for name in ("level_change", "slope_change"):
            if data[name] is not None:
                data[name] = json_safe(vars(data[name]))  # flat: no deep copy needed
        return data


_PLAIN = (int, str, bool, type(None))
_STRUCTURED = frozenset({"warnings", "details", "level_change", "slope_change"})


def json_safe(value: Any) -> Any:
    """Nested results made JSON-serialisable: NaN and inf become ``None``, numpy scalars
    Python numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return json_safe(value.item())
    return value
