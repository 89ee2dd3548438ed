"""What the improvement pages say: an estimate's method and why, and locked plan values,
in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from gains.models import Estimate, Improvement
from gains.models.enums import LabelledEnum
from gains.services.estimates.current import (
    DESIGN_METHOD,
    ESTIMATION_METHODS,
    NoEstimate,
    current_estimate,
)
from gains.services.improvements.locking import LOCK_TABLE
from gains.services.improvements.stopping import LiveEstimate, live_estimate
from gains.services.money.savings import saving_for
from gains.stats.money import AnnualSaving
from gains.templating import format_date, format_gbp, format_gbp_rate


@dataclass(frozen=True)
class EstimateView:
    estimate: Estimate | None
    reason: str | None  # why there is no estimate
    method_name: str = ""
    method_why: str = ""
    downgraded: bool = False
    saving: AnnualSaving | None = None
    warnings: tuple[dict[str, Any], ...] = ()
    # While running and short of the planned size: the always-valid interval and progress.
    live: LiveEstimate | None = None

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
        live=live_estimate(improvement, estimate.result),
    )


@dataclass(frozen=True)
class LockedValue:
    """A locked plan field as the edit form shows it instead of an input."""

    label: str
    text: str


def _value_text(name: str, value: Any) -> str:
    if value is None:
        return "Not set"
    if isinstance(value, LabelledEnum):
        return value.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_date(value)
    if name == "implementation_cost_pence":
        return format_gbp(Decimal(value) / 100, pence=True)
    if isinstance(value, Decimal):
        return format_gbp_rate(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def locked_values(improvement: Improvement, names: frozenset[str]) -> dict[str, LockedValue]:
    """The current value of each locked field, by plan field name, in plain words."""
    return {
        name: LockedValue(LOCK_TABLE[name].label, _value_text(name, getattr(improvement, name)))
        for name in names
    }
