"""What the improvement page says about an estimate: the method and why, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gains.models import Design, Estimate, Improvement
from gains.services.estimates import NoEstimate, current_estimate
from gains.services.savings import saving_for
from gains.stats.money import AnnualSaving

METHODS = {
    "welch": (
        "Welch two-sample t-test",
        "Compares the mean after the change with the mean before, without assuming the two "
        "periods vary equally. It cannot rule out other things that changed at the same time.",
    ),
    "paired": (
        "Paired t-test on unit means",
        "Each unit (a round, a caseworker) is compared with itself before and after, which "
        "removes differences between units.",
    ),
    "did": (
        "Difference-in-differences",
        "Compares the change in the treatment group with the change in the control group over "
        "the same period, so changes that hit both groups cancel out.",
    ),
    "treatment_vs_control": (
        "Randomised comparison of treatment and control",
        "Compares the treatment group with the control group after the change; randomisation "
        "makes the groups alike in everything but the change.",
    ),
    "its": (
        "Interrupted time series",
        "Fits the weekly trend before go-live, projects it forward, and compares what happened "
        "after with that projection, with standard errors that allow for autocorrelation.",
    ),
}

DESIGN_METHOD = {
    Design.BEFORE_AFTER: "welch",
    Design.PAIRED: "paired",
    Design.CONTROL_GROUP: "did",
    Design.TIME_SERIES: "its",
}


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
    name, why = METHODS.get(estimate.method, (estimate.method, ""))
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
