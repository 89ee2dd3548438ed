"""Planning at registration (docs/DESIGN.md "Planning"): the minimum detectable effect of the
plan's design for its planned sample size and a standard deviation, and what the expected
effect would need.

The SD is the plan's own (typed at registration, locked from running) or, without one, the
spread of the measurements before the change (the treatment group's; for a control-group
design, both groups' before rows pooled). A paired design needs the SD of the units' changes,
which the before rows cannot give, so it must be typed. A time series has no MDE here
(`stats.power`: it depends on the weeks and their autocorrelation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from gains.models import Design, Improvement, Phase, StudyGroup
from gains.services.estimates.summaries import CellSummary
from gains.stats.assemble import StatsInputError
from gains.stats.power import EXPECTED_EFFECT_BELOW_MDE, PlanCheck, plan_check

WARNINGS = {
    EXPECTED_EFFECT_BELOW_MDE: (
        "The expected effect is smaller than the smallest effect this plan can reliably "
        "detect: with this sample size a real effect of that size would often look "
        "inconclusive. Plan more measurements, or expect a larger effect only if you have "
        "reason to."
    )
}


@dataclass(frozen=True)
class Planning:
    """What the page shows: the check, where its SD came from, or why there is none."""

    check: PlanCheck | None
    sd_source: str = ""  # "plan" or "before" (the measurements before the change)
    reason: str = ""  # why there is no check

    @property
    def warning_message(self) -> str | None:
        return WARNINGS.get(self.check.warning) if self.check and self.check.warning else None


def planning_for(improvement: Improvement, cells: Iterable[CellSummary] = ()) -> Planning:
    """The plan's minimum detectable effect (80 % power, 5 % two-sided), from its planned
    sample size and SD; ``cells`` are its kept cell summaries (for the SD before the change)."""
    if improvement.design is Design.TIME_SERIES:
        return Planning(
            None,
            reason="A time series' minimum detectable effect depends on the number of weeks "
            "and on how much each week resembles the last, which the plan does not say: "
            "aim for at least 8 weekly points before and 8 after go-live.",
        )
    if not improvement.planned_sample_size:
        return Planning(None, reason="Enter a planned sample size to see what it can detect.")
    sd, source = improvement.planned_sd, "plan"
    if sd is None and improvement.design is not Design.PAIRED:
        sd, source = _before_sd(improvement.design, cells), "before"
    if sd is None:
        what = " of the units' changes" if improvement.design is Design.PAIRED else ""
        return Planning(
            None,
            reason=f"Enter the expected standard deviation{what} to see the smallest effect "
            "the plan can detect.",
        )
    try:
        check = plan_check(
            improvement.design.value,
            improvement.planned_sample_size,
            sd,
            improvement.expected_effect,
        )
    except StatsInputError as error:
        return Planning(None, reason=f"The plan cannot be checked: {error}.")
    return Planning(check, sd_source=source)


def _before_sd(design: Design, cells: Iterable[CellSummary]) -> float | None:
    """The treatment group's SD before the change (control-group design: both groups' before
    rows, variances pooled by their degrees of freedom); None with fewer than 2 rows."""
    before = [
        cell
        for cell in cells
        if cell.phase is Phase.BEFORE
        and cell.variance is not None
        and (design is Design.CONTROL_GROUP or cell.group is StudyGroup.TREATMENT)
    ]
    df = sum(cell.n - 1 for cell in before)
    if not df:
        return None
    pooled = math.sqrt(sum((cell.n - 1) * cell.variance for cell in before) / df)
    return pooled if pooled > 0 else None
