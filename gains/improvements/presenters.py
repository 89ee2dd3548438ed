"""What the improvement page says about an estimate: the method and why, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gains.models import Estimate, Improvement
from gains.services.estimates import (
    DESIGN_METHOD,
    ESTIMATION_METHODS,
    NoEstimate,
    current_estimate,
)
from gains.services.savings import saving_for
from gains.stats.money import AnnualSaving


@dataclass(frozen=True)
class EstimateView:
    estimate: Estimate | None
    reason: str | None  # why there is no estimate
    method_name: str = ""
    method_why: str = ""
    downgraded: bool = False
    saving: AnnualSaving | None = None
    warnings: tuple[dict[str, Any], ...] = ()

    @property
    def result(self) -> dict[str, Any]:
        return self.estimate.result if self.estimate else {}


def estimate_view(improvement: Improvement) -> EstimateView:
    estimate = current_estimate(improvement)
    if isinstance(estimate, NoEstimate):
        return EstimateView(estimate=None, reason=estimate.reason)
    name, why = ESTIMATION_METHODS.get(estimate.method, (estimate.method, ""))
    return EstimateView(
        estimate=estimate,
        reason=None,
        method_name=name,
        method_why=why,
        downgraded=estimate.method
        not in (DESIGN_METHOD[improvement.design], "treatment_vs_control"),
        saving=saving_for(improvement, estimate.result),
        warnings=tuple(estimate.result.get("warnings") or ()),
    )
