"""What the improvement pages say: an estimate's method and why, and locked plan values,
in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from gains import numbers
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
from gains.services.money.savings import Money, money_for
from gains.stats.appraisal import HEALTH_DISCOUNT_RATE, Appraisal
from gains.stats.evidence import level_label, level_of_document
from gains.stats.money import AnnualSaving
from gains.templating import format_date, format_gbp, format_gbp_rate


@dataclass(frozen=True)
class EstimateView:
    estimate: Estimate | None
    reason: str | None  # why there is no estimate
    method_name: str = ""
    method_why: str = ""
    downgraded: bool = False
    money: Money | None = None  # the saving with its interval and its appraisal
    warnings: tuple[dict[str, Any], ...] = ()
    # While running and short of the planned size: the always-valid interval and progress.
    live: LiveEstimate | None = None

    @property
    def result(self) -> dict[str, Any]:
        return self.estimate.result if self.estimate else {}

    @property
    def saving(self) -> AnnualSaving | None:
        return self.money.saving if self.money else None

    @property
    def interval_includes(self) -> str:
        return interval_includes(self.money) if self.money else ""

    @property
    def appraisal_rows(self) -> list[tuple[str, str, str]]:
        appraisal = self.money.appraisal if self.money else None
        return appraisal_rows(appraisal) if appraisal else []

    @property
    def evidence_level(self) -> int | None:
        return level_of_document(self.result) if self.estimate else None

    @property
    def evidence_label(self) -> str | None:
        return level_label(self.evidence_level, self.result.get("method"))

    @property
    def evidence_why(self) -> str:
        return evidence_why(self.result, self.evidence_level)


def evidence_why(result: dict[str, Any], level: int | None) -> str:
    """Why the estimate has its evidence level, in a sentence (empty when there is none)."""
    method = result.get("method")
    p_value = (result.get("details") or {}).get("pre_trend_p_value")
    if level == 5:
        return "Units were assigned at random, as declared at registration."
    if method == "did" and level == 4:
        return (
            f"The two groups' trends before the change did not differ detectably (p = "
            f"{p_value:.2f}): a weak check that the comparison is fair, not proof."
        )
    if method == "did" and p_value is not None:
        return (
            f"The two groups' trends already differed before the change (p = {p_value:.2f}), "
            "so part of the difference may have happened anyway."
        )
    if method == "did":
        return (
            "Level 4 needs dated measurements in at least 2 weeks before the change in both "
            "groups, to check that their trends ran parallel."
        )
    if method == "treatment_vs_control":
        return (
            "The comparison group was measured only after the change and was not chosen at "
            "random: the groups may have differed already."
        )
    if method == "its":
        return (
            "Fewer than 8 weekly points on a side of go-live."
            if level == 2
            else "A trend long enough to project what would have happened without the change."
        )
    if level == 2:
        return "Without a comparison group, part of the change may have happened anyway."
    return ""


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
        money=money_for(improvement, estimate.result),
        warnings=tuple(estimate.result.get("warnings") or ()),
        live=live_estimate(improvement, estimate.result),
    )


def interval_includes(money: Money) -> str:
    """What the saving's interval includes, and how to include what it leaves out."""
    if money.annual_volume_ranged and money.value_per_unit_ranged:
        return "statistical uncertainty and the ranges you gave for volume and value."
    if money.annual_volume_ranged:
        return (
            "statistical uncertainty and the range you gave for the annual volume: give a low "
            "and high for the value of one unit to include how uncertain it is too."
        )
    if money.value_per_unit_ranged:
        return (
            "statistical uncertainty and the range you gave for the value of one unit: give a "
            "low and high for the annual volume to include how uncertain it is too."
        )
    return (
        "statistical uncertainty only: give a low and high for the annual volume and the "
        "value of one unit to include how uncertain they are."
    )


# Said instead of a benefit-cost ratio at zero cost (there is nothing to divide by).
NO_RATIO = "No ratio: it costs nothing extra, so every pound of benefit is net; see the NPV"


def appraisal_rows(appraisal: Appraisal) -> list[tuple[str, str, str]]:
    """The appraisal as the money section's summary list: (row id, key, value) in words."""
    rate = percent(Decimal(str(appraisal.discount_rate)))
    if appraisal.discount_rate == HEALTH_DISCOUNT_RATE:
        rate += " a year: the Green Book rate for health outcomes"
    else:
        rate += " a year: the Green Book rate"
    return [
        ("appraisal-life", "Expected life", years(appraisal.years)),
        (
            "appraisal-persistence",
            "Persistence",
            f"{percent(appraisal.persistence)} of the saving remains each further year",
        ),
        ("appraisal-discount-rate", "Discount rate", rate),
        (
            "appraisal-optimism-bias",
            "Optimism bias",
            f"Benefits reduced by {percent(appraisal.optimism_bias_benefits)}, "
            f"cost raised by {percent(appraisal.optimism_bias_costs)}",
        ),
        ("appraisal-pv-benefits", "Present value of benefits", _pence(appraisal.pv_benefits_pence)),
        ("appraisal-pv-costs", "Present value of costs", _pence(appraisal.pv_costs_pence)),
        ("appraisal-npv", "Net present value (NPV)", _pence(appraisal.npv_pence)),
        ("appraisal-bcr", "Benefit-cost ratio", ratio_text(appraisal.bcr)),
        (
            "appraisal-payback",
            "Payback",
            payback_text(appraisal.payback_month, appraisal.cost_pence),
        ),
    ]


def ratio_text(bcr: float | None) -> str:
    if bcr is None:
        return NO_RATIO
    return f"{numbers.to_places(bcr, 2)}: present value of benefits ÷ present value of costs"


def payback_text(month: int | None, cost_pence: int) -> str:
    if cost_pence == 0:
        return "Nothing to pay back: it costs nothing extra"
    if month is None:
        return "Not within its expected life"
    return f"Month {month} after go-live"


def approved_appraisal_rows(approved: dict[str, Any]) -> list[tuple[str, str, str]]:
    """An approval's recorded appraisal (`decisions.approved_appraisal`) as the public
    page's summary list: (row id, key, value)."""
    return [
        ("public-pv-benefits", "Benefits", _pence(approved["pv_benefits_pence"])),
        ("public-pv-costs", "Costs", _pence(approved["pv_costs_pence"])),
        ("public-npv", "Net present value", _pence(approved["npv_pence"])),
        ("public-bcr", "Benefit-cost ratio", ratio_text(approved["bcr"])),
        (
            "public-payback",
            "Pays back its cost",
            payback_text(approved["payback_month"], approved["pv_costs_pence"]),
        ),
    ]


def _pence(pence: int) -> str:
    return format_gbp(Decimal(pence) / 100)


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
    if name in PERCENT_TERMS:
        return percent(value)
    if name == "expected_life_years":
        return years(value)
    if isinstance(value, Decimal):
        return format_gbp_rate(value)
    if isinstance(value, int | float):
        return numbers.exact(value)
    return str(value)


def locked_values(improvement: Improvement, names: frozenset[str]) -> dict[str, LockedValue]:
    """The current value of each locked field, by plan field name, in plain words."""
    return {
        name: LockedValue(LOCK_TABLE[name].label, _value_text(name, getattr(improvement, name)))
        for name in names
    }


# The plan's fractions, shown as percentages.
PERCENT_TERMS = ("persistence", "optimism_bias_benefits", "optimism_bias_costs")


def percent(fraction: Decimal | float) -> str:
    """0.8 as "80%", 0.035 as "3.5%" (a float by its shortest decimal)."""
    return numbers.exact_percent(fraction)


def years(count: int) -> str:
    return numbers.plural(count, "year")


def with_range(central: str, low: str | None, high: str | None) -> str:
    """ "£0.40 (range £0.30 to £0.55)", or the central figure alone without a range."""
    return central if low is None or high is None else f"{central} (range {low} to {high})"


def annual_volume_text(improvement: Improvement) -> str:
    if improvement.annual_volume is None:
        return "Not set"
    low, high = improvement.annual_volume_low, improvement.annual_volume_high
    shown = with_range(
        numbers.count(improvement.annual_volume),
        None if low is None else numbers.count(low),
        None if high is None else numbers.count(high),
    )
    return f"{shown} a year (unit of observation: {improvement.unit_of_observation})"


def value_per_unit_text(improvement: Improvement) -> str:
    if improvement.value_per_unit_gbp is None:
        return "Not set"
    low, high = improvement.value_per_unit_low_gbp, improvement.value_per_unit_high_gbp
    shown = with_range(
        format_gbp_rate(improvement.value_per_unit_gbp),
        None if low is None else format_gbp_rate(low),
        None if high is None else format_gbp_rate(high),
    )
    return f"{shown} {numbers.per_unit(improvement.metric_unit)}"


def appraisal_text(improvement: Improvement) -> str:
    """The appraisal terms in one plain sentence, as the improvement page shows them."""
    return (
        f"Expected life: {years(improvement.expected_life_years)}; "
        f"{percent(improvement.persistence)} of the gain remains each year; "
        f"discounted at {percent(improvement.discount_rate)} a year"
        f"{' (the Green Book rate for health outcomes)' if improvement.health_outcomes else ''}; "
        f"optimism bias: benefits \u2212{percent(improvement.optimism_bias_benefits)}, "
        f"cost +{percent(improvement.optimism_bias_costs)}"
    )


@dataclass(frozen=True)
class MoneyTerms:
    """The plan's money terms as the improvement page's summary words them."""

    annual_volume: str
    value_per_unit: str
    appraisal: str


def money_terms(improvement: Improvement) -> MoneyTerms:
    return MoneyTerms(
        annual_volume_text(improvement),
        value_per_unit_text(improvement),
        appraisal_text(improvement),
    )
