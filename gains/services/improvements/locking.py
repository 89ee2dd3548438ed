"""The lock table: for every field of the plan, the status from which it changes only by
amendment. Every path that changes a plan (web edit and amendment, API PATCH, services) asks
this table and nothing else; the decision record is docs/decisions/0001-lock-table.md.

docs/DESIGN.md "Locking": from *running* the design is locked (pre-registration), from
*submitted* the money too; after approval, anything that changes what was approved or
published is an amendment, and an amendment reopens review (`plan_changes.amend`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from gains.models import Status


class LocksFrom(enum.Enum):
    """The moment a field locks, with the statuses it stays locked in from then on."""

    # The experiment as pre-registered: changing it after seeing data is not pre-registration.
    RUNNING = frozenset(Status) - {Status.DRAFT}
    # What the reviewer prices: anything that moves the £ of the claim or its window.
    SUBMISSION = frozenset(Status) - {Status.DRAFT, Status.RUNNING}
    # What a decision covers and the register shows: kept as decided once approved or
    # rejected, and as it was when withdrawn (an amendment after approval reopens review).
    DECISION = frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN})

    @property
    def statuses(self) -> frozenset[Status]:
        return self.value


@dataclass(frozen=True)
class FieldLock:
    locks_from: LocksFrom
    label: str  # the field in plain words, for messages and links


# The table. Every field of `ImprovementPlan` has exactly one row (tests/services/
# test_lock_table.py is generated from it and fails for a field without one).
LOCK_TABLE: dict[str, FieldLock] = {
    # The design (pre-registration).
    "hypothesis": FieldLock(LocksFrom.RUNNING, "hypothesis"),
    "metric_name": FieldLock(LocksFrom.RUNNING, "metric"),
    # DESIGN's "metric" is its name, unit and direction; rows logged in minutes mean nothing
    # in hours, and the unit is also what £ per unit prices.
    "metric_unit": FieldLock(LocksFrom.RUNNING, "unit of the metric"),
    "direction": FieldLock(LocksFrom.RUNNING, "direction (which way is better)"),
    "unit_of_observation": FieldLock(LocksFrom.RUNNING, "unit of observation"),
    "design": FieldLock(LocksFrom.RUNNING, "design"),
    # A planned sample size moved after seeing data is optional stopping.
    "planned_sample_size": FieldLock(LocksFrom.RUNNING, "planned sample size"),
    "expected_effect": FieldLock(LocksFrom.RUNNING, "expected effect"),
    # The SD behind the minimum detectable effect planned at registration.
    "planned_sd": FieldLock(LocksFrom.RUNNING, "planned standard deviation"),
    # Declaring random assignment after seeing data would make level 5 a choice.
    "randomised": FieldLock(LocksFrom.RUNNING, "random assignment"),
    # Adding or dropping the yearly cycle after seeing data would pick the flattering model.
    "seasonal": FieldLock(LocksFrom.RUNNING, "yearly cycle"),
    # The money: gain ÷ scale × annual volume × £ per unit, less the cost, accruing from
    # go-live until the end date.
    "kind": FieldLock(LocksFrom.SUBMISSION, "kind of improvement"),
    "scale": FieldLock(LocksFrom.SUBMISSION, "scale"),
    "implementation_cost_pence": FieldLock(LocksFrom.SUBMISSION, "implementation cost"),
    "annual_volume": FieldLock(LocksFrom.SUBMISSION, "annual volume"),
    "value_per_unit_gbp": FieldLock(LocksFrom.SUBMISSION, "value of one unit of the metric"),
    "cashable": FieldLock(LocksFrom.SUBMISSION, "cashable or not"),
    # The ranges and the appraisal terms price the claim as much as the central values do.
    "annual_volume_low": FieldLock(LocksFrom.SUBMISSION, "low annual volume"),
    "annual_volume_high": FieldLock(LocksFrom.SUBMISSION, "high annual volume"),
    "value_per_unit_low_gbp": FieldLock(LocksFrom.SUBMISSION, "low value of one unit"),
    "value_per_unit_high_gbp": FieldLock(LocksFrom.SUBMISSION, "high value of one unit"),
    "expected_life_years": FieldLock(LocksFrom.SUBMISSION, "expected life"),
    "persistence": FieldLock(LocksFrom.SUBMISSION, "share of the gain that remains each year"),
    "health_outcomes": FieldLock(LocksFrom.SUBMISSION, "health discount rate"),
    "optimism_bias_benefits": FieldLock(LocksFrom.SUBMISSION, "optimism bias on benefits"),
    "optimism_bias_costs": FieldLock(LocksFrom.SUBMISSION, "optimism bias on the cost"),
    "go_live_on": FieldLock(LocksFrom.SUBMISSION, "go-live date"),
    "ended_on": FieldLock(LocksFrom.SUBMISSION, "end date"),
    # What the register publishes beside the figures.
    "title": FieldLock(LocksFrom.DECISION, "title"),
    "pillar": FieldLock(LocksFrom.DECISION, "Public Value Framework pillar"),
}


# Fields amended together: a range and its central value must stay low <= central <= high
# and have both ends or neither, which one field at a time could not always keep (adding a
# range where there was none changes both ends).
AMENDED_TOGETHER = (
    ("annual_volume", "annual_volume_low", "annual_volume_high"),
    ("value_per_unit_gbp", "value_per_unit_low_gbp", "value_per_unit_high_gbp"),
)


def amended_with(name: str) -> tuple[str, ...]:
    """The fields an amendment of `name` offers together (just `name` outside a range)."""
    return next((group for group in AMENDED_TOGETHER if name in group), (name,))


def locked_in(status: Status) -> frozenset[str]:
    """The plan fields that change only by amendment while an improvement has this status."""
    return frozenset(
        name for name, lock in LOCK_TABLE.items() if status in lock.locks_from.statuses
    )


def locked_fields(improvement: Any) -> frozenset[str]:
    """The plan fields of this improvement that change only by amendment now."""
    return locked_in(improvement.status)


def labels_locking_from(locks_from: LocksFrom) -> list[str]:
    """The fields that lock at this moment, in plain words, in the table's order."""
    return [lock.label for lock in LOCK_TABLE.values() if lock.locks_from is locks_from]


def field_label(name: str) -> str:
    return LOCK_TABLE[name].label if name in LOCK_TABLE else name.replace("_", " ")
