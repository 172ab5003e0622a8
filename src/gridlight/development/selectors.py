"""Reads for key projects, each limited to what the user may see (development.access)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from gridlight.core.access import Viewer
from gridlight.development.access import visible_projects
from gridlight.development.lights import reason_text
from gridlight.development.models import (
    STAGE_ORDER,
    Light,
    Milestone,
    ProgressReport,
    Project,
    ProjectSnapshot,
    ReportLine,
    ReportStatus,
    Stage,
)


def projects_list(
    user: Viewer,
    *,
    q: str = "",
    year: int | None = None,
    industry: str = "",
    zone: str = "",
    kind: str = "",
    stage: str = "",
    light: str = "",
    street: Any = None,
) -> QuerySet[Project]:
    """The projects the user may see, filtered, with street and unit joined (one query a page)."""
    qs = visible_projects(user).select_related("region", "unit")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(person__icontains=q))
    if year:
        qs = qs.filter(year=year)
    for field, value in (
        ("industry", industry),
        ("zone", zone),
        ("kind", kind),
        ("stage", stage),
        ("light", light),
    ):
        if value:
            qs = qs.filter(**{field: value})
    if street is not None:
        qs = qs.filter(region=street)
    return qs.order_by("-year", "code")


def light_counts(qs: QuerySet[Project]) -> dict[str, int]:
    """Projects of a list by light, in one query."""
    counts = Counter(dict(qs.order_by().values_list("light").annotate(n=Count("pk"))))
    return {
        "red": counts.get("red", 0),
        "yellow": counts.get("yellow", 0),
        "green": counts.get("green", 0),
        "none": counts.get("", 0),
    }


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    done: Decimal
    pct: Decimal  # of the planned quantity, not capped


def milestone_rows(project: Project) -> list[MilestoneRow]:
    """The project's milestones with what the approved reports add up to (two queries)."""
    done = dict(
        ReportLine.objects.filter(milestone__project=project, report__status=ReportStatus.APPROVED)
        .values("milestone_id")
        .annotate(total=Sum("quantity"))
        .values_list("milestone_id", "total")
    )
    rows = []
    for m in project.milestones.all():
        total = done.get(m.pk) or Decimal(0)
        rows.append(
            MilestoneRow(m, total, (total / m.planned_quantity * 100).quantize(Decimal("0.1")))
        )
    return rows


def reports_of(project: Project) -> QuerySet[ProgressReport]:
    return (
        project.reports.select_related("submitted_by", "decided_by")
        .prefetch_related("lines__milestone")
        .order_by("-month")
    )


def snapshots_of(project: Project) -> QuerySet[ProjectSnapshot]:
    return project.snapshots.order_by("month")


def reasons_display(project: Project) -> list[dict[str, str]]:
    labels = dict(Light.choices)
    return [
        {
            "light": r.get("light", ""),
            "label": str(labels.get(r.get("light", ""), "")),
            "text": reason_text(r),
        }
        for r in project.reasons
    ]


def charts(project: Project, rows: list[MilestoneRow]) -> dict[str, Any]:
    """The project page's chart data: the milestones' Gantt bars and the monthly snapshots."""
    snaps = list(snapshots_of(project))
    return {
        "gantt": [
            {
                "name": r.milestone.name,
                "start": r.milestone.planned_start.isoformat(),
                "end": r.milestone.planned_end.isoformat(),
                "pct": float(r.pct),
            }
            for r in rows
        ],
        "months": [f"{s.month:%Y-%m}" for s in snaps],
        "actual": [float(s.actual_pct) if s.actual_pct is not None else None for s in snaps],
        "planned": [float(s.planned_pct) if s.planned_pct is not None else None for s in snaps],
        # The day the plan was measured on (the last assessment), else today.
        "today": (project.assessed_on or timezone.localdate()).isoformat(),
    }


def next_stages(project: Project) -> list[tuple[str, str]]:
    """The stages a project may move on to (later than its own), with their names."""
    reached = STAGE_ORDER.index(project.stage)
    return [(value, str(label)) for value, label in Stage.choices][reached + 1 :]
