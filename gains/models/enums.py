"""The domain's closed vocabularies, with the wording people see.

Stored values are short snake_case strings (stable across releases); `label` is the text
shown on pages and in exports.
"""

import enum
from typing import Self


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a human label: Member("value", "Label")."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def parse(cls, value: object) -> Self | None:
        """The member stored as `value`, or None for anything else: a filter value in a URL
        that is not on offer (a stale bookmark, a typo) means "any", not an error."""
        try:
            return cls(value)
        except ValueError:
            return None


class Role(LabelledEnum):
    MEMBER = "member", "Service team member"
    MANAGER = "manager", "Manager"
    TREASURY = "treasury", "Treasury"
    ADMIN = "admin", "Administrator"


class ImprovementKind(LabelledEnum):
    MARGINAL_GAIN = "marginal_gain", "Marginal gain"
    NO_EXTRA_COST = "no_extra_cost", "Innovation at no extra cost"


class Pillar(LabelledEnum):
    """The four pillars of HM Treasury's Public Value Framework (2019)."""

    PURSUING_GOALS = "pursuing_goals", "Pursuing goals"
    MANAGING_INPUTS = "managing_inputs", "Managing inputs"
    ENGAGING_USERS = "engaging_users", "Engaging users and citizens"
    SYSTEM_CAPACITY = "system_capacity", "Developing system capacity"


class Direction(LabelledEnum):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Design(LabelledEnum):
    BEFORE_AFTER = "before_after", "Before and after"
    PAIRED = "paired", "Paired (same units before and after)"
    CONTROL_GROUP = "control_group", "Control group"
    TIME_SERIES = "time_series", "Time series"


class Status(LabelledEnum):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Phase(LabelledEnum):
    BEFORE = "before", "Before"
    AFTER = "after", "After"


class StudyGroup(LabelledEnum):
    TREATMENT = "treatment", "Treatment"
    CONTROL = "control", "Control"


class BatchSource(LabelledEnum):
    FORM = "form", "Typed in"
    CSV = "csv", "CSV upload"
    API = "api", "API"
    CLI = "cli", "Command-line import"
    DEMO = "demo", "Demo data"


class BatchStatus(LabelledEnum):
    PENDING = "pending", "Awaiting confirmation"
    ACTIVE = "active", "Active"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ActDecision(LabelledEnum):
    """What a team decides at the end of a PDSA cycle ("Act"); `meaning` is the radio's hint."""

    ADOPT = "adopt", "Adopt"
    ADAPT = "adapt", "Adapt"
    ABANDON = "abandon", "Abandon"

    @property
    def meaning(self) -> str:
        return {
            "adopt": "Keep the change as it was tried in this cycle",
            "adapt": "Change it and try again in a next cycle",
            "abandon": "Stop: the change did not work",
        }[self.value]


class Decision(LabelledEnum):
    """Labels are the reviewer's buttons; `outcome` is how the history reads."""

    APPROVED = "approved", "Approve"
    REJECTED = "rejected", "Reject"
    CHANGES_REQUESTED = "changes_requested", "Request changes"

    @property
    def outcome(self) -> str:
        return Status(self.value).label
