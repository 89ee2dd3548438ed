"""Typed SQLAlchemy 2 models for the whole domain (see docs/DESIGN.md "Domain")."""

from gains.models.api_token import ApiToken
from gains.models.audit import AuditEvent
from gains.models.base import Base
from gains.models.cells import measurement_cells
from gains.models.chart_note import ChartNote
from gains.models.cycle import Cycle
from gains.models.enums import (
    ActDecision,
    BatchSource,
    BatchStatus,
    Decision,
    Design,
    Direction,
    ImprovementKind,
    Phase,
    Pillar,
    Role,
    Status,
    StudyGroup,
)
from gains.models.figures import figures_version
from gains.models.improvement import (
    APPRAISAL_DEFAULTS,
    MONEY_FIELDS,
    Amendment,
    AppraisalTerms,
    Improvement,
)
from gains.models.measurement import Measurement, UploadBatch
from gains.models.notification import Notification, NotificationOptOut
from gains.models.org import Department, Team, User
from gains.models.publication import Publication
from gains.models.rate_limit import rate_limit_hits
from gains.models.review import Estimate, MissingEstimate, Review
from gains.models.user_session import UserSession

__all__ = [
    "APPRAISAL_DEFAULTS",
    "MONEY_FIELDS",
    "ActDecision",
    "Amendment",
    "ApiToken",
    "AppraisalTerms",
    "AuditEvent",
    "Base",
    "BatchSource",
    "BatchStatus",
    "ChartNote",
    "Cycle",
    "Decision",
    "Department",
    "Design",
    "Direction",
    "Estimate",
    "Improvement",
    "ImprovementKind",
    "Measurement",
    "MissingEstimate",
    "Notification",
    "NotificationOptOut",
    "Phase",
    "Pillar",
    "Publication",
    "Review",
    "Role",
    "Status",
    "StudyGroup",
    "Team",
    "UploadBatch",
    "User",
    "UserSession",
    "figures_version",
    "measurement_cells",
    "rate_limit_hits",
]
