"""Who may see and change key projects and indicator values: the one place for this app.

A project is seen by those whose ``project.view`` scope holds its street (the district, the
street office, evaluators) and by the members of its responsible unit within their
``project.report`` scope (a department sees only its own projects). Reports are entered by the
responsible unit's members; approval, lights, thresholds and supervision need ``project.manage``.
Indicator values follow the region they are for: ``indicator.view`` to read them,
``indicator.enter`` to enter them, ``indicator.manage`` to approve them and define indicators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gridlight.core.access import Perm, Scope, Viewer, scope_for
from gridlight.core.errors import DomainError
from gridlight.core.params import parse_id
from gridlight.development.models import DataValue, ProgressReport, Project
from gridlight.tickets.access import my_units


def project_visibility(user: Viewer) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = scope_for(user, Perm.PROJECT_VIEW).q("region_path")
    units = my_units(user)
    report = scope_for(user, Perm.PROJECT_REPORT)
    if units and not report.empty:
        q |= Q(unit_id__in=units) & report.q("region_path")
    return q


def visible_projects(user: Viewer) -> QuerySet[Project]:
    return Project.objects.filter(project_visibility(user))


def can_see_projects(user: Viewer) -> bool:
    return not scope_for(user, Perm.PROJECT_VIEW).empty or (
        bool(my_units(user)) and not scope_for(user, Perm.PROJECT_REPORT).empty
    )


def require_projects(user: Viewer) -> None:
    if not can_see_projects(user):
        raise PermissionDenied


def get_project(user: Viewer, pk: Any) -> Project:
    """The project if the user may see it, else 404 (also for an id that is not a number)."""
    number = parse_id(pk)
    try:
        if number is None:
            raise Project.DoesNotExist
        return visible_projects(user).select_related("region", "unit", "supervision").get(pk=number)
    except Project.DoesNotExist as exc:
        raise Http404 from exc


def get_report(user: Viewer, pk: Any) -> ProgressReport:
    """A report of a project the user may see, else 404."""
    report = (
        ProgressReport.objects.filter(project__in=visible_projects(user))
        .select_related("project")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if report is None:
        raise Http404
    return report


def may_report(user: Viewer, project: Project) -> bool:
    """A member of the responsible unit, with report scope over the project's street."""
    return project.unit_id in my_units(user) and scope_for(user, Perm.PROJECT_REPORT).contains(
        project.region_path
    )


def may_manage(user: Viewer, project: Project) -> bool:
    return scope_for(user, Perm.PROJECT_MANAGE).contains(project.region_path)


def require_manage_path(user: Viewer, path: str) -> None:
    if not scope_for(user, Perm.PROJECT_MANAGE).contains(path):
        raise DomainError(_("You may not manage key projects here."))


def is_district_manager(user: Viewer, perm: Perm = Perm.PROJECT_MANAGE) -> bool:
    """Holds ``perm`` over a whole district (settings shared by the district's records)."""
    return any("." not in p for p in scope_for(user, perm).paths)


# --- indicator values ---------------------------------------------------------------------------


def value_scope(user: Viewer) -> Scope:
    return scope_for(user, Perm.INDICATOR_VIEW)


def visible_values(user: Viewer) -> QuerySet[DataValue]:
    return DataValue.objects.filter(value_scope(user).q("region_path"))


def may_enter(user: Viewer, path: str) -> bool:
    return scope_for(user, Perm.INDICATOR_ENTER).contains(path)


def may_approve(user: Viewer, path: str) -> bool:
    return scope_for(user, Perm.INDICATOR_MANAGE).contains(path)
