"""When a running improvement's live estimate gives way to its final one, and recording why a
team stopped before the planned sample size.

While an improvement runs, people look at its estimate as the data arrive. The fixed-sample
95 % CI is valid at one look chosen in advance, so its page shows the always-valid interval
(`stats.sequential`, the estimate's ``cs_low``/``cs_high``) as the live estimate, with the
progress to the planned sample size. The fixed-sample result is final once every compared
sample has reached the planned size, or once the team records why it stopped early: a fact
about the experiment recorded while it runs, kept and audited, never edited (it is not part
of the plan, so the lock table does not list it). docs/decisions/0028-live-estimate-and-stopping.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gains.bounds import STOP_REASON
from gains.models import Improvement, Status
from gains.models.base import utcnow
from gains.services.audit.events import record_event
from gains.services.improvements.workflow import (
    WorkflowError,
    lock_improvement,
    require_change_rights,
)
from gains.stats.assemble import direction_sign
from gains.stats.sequential import MIN_PER_SAMPLE

# What the planned sample size ("measurements you plan in each phase (and group)") is compared
# with, per method: the estimate document's counts of each compared sample, and their name.
PLANNED_SAMPLES = {
    "welch": (("n_before", "n_after"), "measurements in each phase"),
    "treatment_vs_control": (
        ("n_treatment_after", "n_control_after"),
        "measurements in each group",
    ),
    "paired": (("n_units",), "units measured in both phases"),
    "did": (
        ("n_treatment_before", "n_treatment_after", "n_control_before", "n_control_after"),
        "measurements in each phase and group",
    ),
}
NO_INTERVAL_FOR_TIME_SERIES = (
    "A time series has no always-valid interval: its effect is the mean over the weeks seen so "
    "far, so what it estimates changes every week. Read the result at the planned size."
)
TOO_FEW_FOR_AN_INTERVAL = (
    f"The always-valid interval needs at least {MIN_PER_SAMPLE} measurements in each compared "
    f"phase and group (paired: {MIN_PER_SAMPLE} units measured in both phases)."
)


@dataclass(frozen=True)
class Progress:
    """The smallest compared sample so far against the planned size (None: no plan)."""

    so_far: int
    planned: int | None
    counted: str  # what the numbers count, in words

    @property
    def reached(self) -> bool:
        return self.planned is not None and self.so_far >= self.planned


@dataclass(frozen=True)
class LiveEstimate:
    """What the page shows while the fixed-sample result is not final yet."""

    progress: Progress | None  # None for a time series (its counts are weekly points)
    # The always-valid interval turned as the gain is (positive is better), or why there is none.
    gain_low: float | None
    gain_high: float | None
    why_no_interval: str | None


def progress_to_plan(planned_sample_size: int | None, result: dict[str, Any]) -> Progress | None:
    """The smallest of the samples the estimate compares, in what the plan counts."""
    if result.get("method") not in PLANNED_SAMPLES:
        return None
    names, counted = PLANNED_SAMPLES[result["method"]]
    return Progress(min(int(result.get(name) or 0) for name in names), planned_sample_size, counted)


def live_estimate(improvement: Improvement, result: dict[str, Any]) -> LiveEstimate | None:
    """The live estimate of a running improvement, or None once its fixed-sample result is
    final (not running, stopped early with a reason, or the planned size reached)."""
    if improvement.status is not Status.RUNNING or improvement.stopped_early_reason:
        return None
    progress = progress_to_plan(improvement.planned_sample_size, result)
    if progress is not None and progress.reached:
        return None
    low, high = result.get("cs_low"), result.get("cs_high")
    if low is None or high is None:
        why = NO_INTERVAL_FOR_TIME_SERIES if result.get("method") == "its" else None
        return LiveEstimate(progress, None, None, why or TOO_FEW_FOR_AN_INTERVAL)
    sign = direction_sign(improvement.direction.value)
    gain_low, gain_high = sorted((sign * low, sign * high))
    return LiveEstimate(progress, gain_low, gain_high, None)


def record_stop_reason(actor: Any, improvement: Improvement, reason: str) -> Improvement:
    """Record why a running improvement stopped before its planned sample size.

    From then on its fixed-sample result is final. Recorded once: a stopping decision is part
    of the experiment's record (audited as ``improvement.stopped_early``), not a setting.
    """
    require_change_rights(actor, improvement)
    improvement = lock_improvement(improvement)
    if improvement.status is not Status.RUNNING:
        raise WorkflowError(
            f"An improvement that is {improvement.status.label.lower()} is not running: "
            "there is nothing to stop"
        )
    if improvement.stopped_early_reason:
        raise WorkflowError("Why it stopped early is recorded already, and stays as recorded")
    reason = reason.strip()
    problem = STOP_REASON.problem(reason) if reason else "Say why you stopped early"
    if problem:
        raise WorkflowError(problem)
    improvement.stopped_early_reason = reason
    improvement.stopped_early_at = utcnow()
    record_event(
        actor,
        "improvement.stopped_early",
        improvement,
        department_id=improvement.department_id,
        before={"stopped_early_reason": None},
        after={"stopped_early_reason": reason},
    )
    return improvement
