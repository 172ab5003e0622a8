"""Core models: the region tree, service positions, accounts and roles, audit events, API tokens."""

from gridlight.core.models.accounts import ApiToken, Assignment, Role, User
from gridlight.core.models.audit import AuditEvent
from gridlight.core.models.boundaries import RegionBoundary
from gridlight.core.models.calendar import CalendarNotice, WorkdayOverride
from gridlight.core.models.jobs import Job, JobStatus
from gridlight.core.models.regions import (
    PositionKind,
    Region,
    RegionKind,
    RegionLevel,
    ServicePosition,
)

__all__ = [
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "CalendarNotice",
    "Job",
    "JobStatus",
    "PositionKind",
    "Region",
    "RegionBoundary",
    "RegionKind",
    "RegionLevel",
    "Role",
    "ServicePosition",
    "User",
    "WorkdayOverride",
]
