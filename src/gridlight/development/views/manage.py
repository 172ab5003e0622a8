"""Pages that register and change key projects: the project and milestone forms (version
checked), moving a project on to a later stage, the roll-up summary, and the Excel imports of
projects (with milestones) and of monthly reports with their templates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core.access import Perm, SignedInRequest, Viewer, access, scope_for
from gridlight.core.errors import DomainError
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import Column, template_notes, write_workbook
from gridlight.core.views.common import flash_errors, submit, xlsx_response
from gridlight.core.views.imports import ImportPage, import_page
from gridlight.development import access as dev_access
from gridlight.development import project_imports, rollups, services
from gridlight.development.forms import (
    MilestoneForm,
    ProjectForm,
    StageForm,
    SummaryForm,
    project_initial,
)
from gridlight.development.models import KIND_UNIT, Milestone
from gridlight.tickets.models import Unit


def _streets(user: Viewer) -> list[Region]:
    return list(
        Region.objects.filter(level=RegionLevel.STREET)
        .filter(scope_for(user, Perm.PROJECT_MANAGE).q("path"))
        .order_by("path")
    )


def _units(user: Viewer) -> list[Unit]:
    """Active units working in or above the streets the user manages."""
    paths = scope_for(user, Perm.PROJECT_MANAGE).paths
    return [
        u
        for u in Unit.objects.filter(active=True).order_by("kind", "code")
        if any(
            p == u.region_path
            or p.startswith(u.region_path + ".")
            or u.region_path.startswith(p + ".")
            for p in paths
        )
    ]


def _require_manager(user: Viewer) -> None:
    if scope_for(user, Perm.PROJECT_MANAGE).empty:
        raise PermissionDenied


@access()
def project_create(request: SignedInRequest) -> HttpResponse:
    _require_manager(request.user)
    form = ProjectForm(
        request.POST or None,
        streets=_streets(request.user),
        units=_units(request.user),
        initial={"year": timezone.localdate().year},
    )
    project, status = submit(
        request,
        form,
        lambda _d: services.project_create(actor=request.user, data=form.project_input()),
    )
    if project is not None:
        messages.success(request, _("Registered %(name)s.") % {"name": project.name})
        return redirect("development:project_detail", project.pk)
    return render(request, "development/project_form.html", {"form": form}, status=status)


@access()
def project_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    project = dev_access.get_project(request.user, pk)
    if not dev_access.may_manage(request.user, project):
        raise PermissionDenied
    form = ProjectForm(
        request.POST or None,
        streets=_streets(request.user),
        units=_units(request.user),
        initial=project_initial(project),
        editing=True,
    )
    done, status = submit(
        request,
        form,
        lambda d: services.project_update(
            actor=request.user,
            project=project,
            version=d.get("version") or 0,
            data=form.project_input(code=project.code),
        ),
    )
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("development:project_detail", project.pk)
    return render(
        request,
        "development/project_form.html",
        {"form": form, "project": project},
        status=status,
    )


@require_POST
@access()
def project_stage(request: SignedInRequest, pk: int) -> HttpResponse:
    project = dev_access.get_project(request.user, pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
    else:
        d = form.cleaned_data
        try:
            moved = services.project_advance(
                actor=request.user,
                project=project,
                version=d["version"],
                stage=d["stage"],
                on=d["on"],
            )
            messages.success(
                request, _("Moved on to %(stage)s.") % {"stage": moved.get_stage_display()}
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("development:project_detail", project.pk)


@access()
def milestone_add(request: SignedInRequest, pk: int) -> HttpResponse:
    project = dev_access.get_project(request.user, pk)
    if not dev_access.may_manage(request.user, project):
        raise PermissionDenied
    form = MilestoneForm(
        request.POST or None,
        initial={
            "quantity_unit": KIND_UNIT.get(project.kind, "yuan"),
            "planned_start": project.planned_start,
            "planned_end": project.planned_end,
            "weight": 1,
        },
    )

    def save(_d: dict[str, Any]) -> Milestone:
        data = form.milestone_input()
        return services.milestone_add(
            actor=request.user,
            project=project,
            name=data.name,
            quantity_unit=data.quantity_unit,
            planned_quantity=data.planned_quantity,
            planned_start=data.planned_start,
            planned_end=data.planned_end,
            weight=data.weight,
        )

    milestone, status = submit(request, form, save)
    if milestone is not None:
        messages.success(request, _("Milestone added."))
        return redirect("development:project_detail", project.pk)
    return render(
        request,
        "development/milestone_form.html",
        {"form": form, "project": project},
        status=status,
    )


def _milestone(user: Viewer, pk: Any) -> Milestone:
    """A milestone of a project the user manages, else 404 (the walk's out-of-scope users)."""
    milestone = (
        Milestone.objects.filter(project__in=dev_access.visible_projects(user))
        .select_related("project", "project__region", "project__unit")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if milestone is None or not dev_access.may_manage(user, milestone.project):
        raise Http404
    return milestone


@access()
def milestone_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    milestone = _milestone(request.user, pk)
    project = milestone.project
    form = MilestoneForm(
        request.POST or None,
        initial={
            k: getattr(milestone, k)
            for k in (
                "name",
                "quantity_unit",
                "planned_quantity",
                "planned_start",
                "planned_end",
                "weight",
                "version",
            )
        },
    )
    done, status = submit(
        request,
        form,
        lambda d: services.milestone_update(
            actor=request.user,
            milestone=milestone,
            version=d.get("version") or 0,
            data=form.milestone_input(),
        ),
    )
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("development:project_detail", project.pk)
    return render(
        request,
        "development/milestone_form.html",
        {"form": form, "project": project, "milestone": milestone},
        status=status,
    )


@require_POST
@access()
def milestone_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    milestone = _milestone(request.user, pk)
    version = parse_id(request.POST.get("version")) or 0
    try:
        services.milestone_delete(actor=request.user, milestone=milestone, version=version)
        messages.success(request, _("Milestone removed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("development:project_detail", milestone.project_id)


@access()
def project_summary(request: SignedInRequest) -> HttpResponse:
    """Progress and lights rolled up per industry, zone, street, unit or kind."""
    dev_access.require_projects(request.user)
    form = SummaryForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    year = data.get("year")
    by = data.get("by") or "industry"
    return render(
        request,
        "development/project_summary.html",
        {
            "form": form,
            "summary": rollups.summary(request.user, by=by, year=year),
            "quantities": rollups.quantities(request.user, year=year),
            "by_label": dict(form.fields["by"].choices).get(by, ""),  # type: ignore[attr-defined]
            # Groups the project list filters by: each row links to its projects.
            "link_by": by if by in ("industry", "zone", "kind") else "",
        },
    )


# --- imports ----------------------------------------------------------------------------------


def _projects_run(user: User, upload: UploadedFile) -> str:
    result = project_imports.import_projects(actor=user, upload=upload, filename=upload.name or "")
    return _("%(c)s projects registered, %(u)s changed, %(n)s unchanged.") % {
        "c": result.created,
        "u": result.updated,
        "n": result.unchanged,
    }


def _reports_run(user: User, upload: UploadedFile) -> str:
    result = project_imports.import_reports(actor=user, upload=upload, filename=upload.name or "")
    return _("%(c)s reports submitted, %(u)s replaced, %(n)s unchanged.") % {
        "c": result.created,
        "u": result.updated,
        "n": result.unchanged,
    }


PROJECTS_IMPORT = ImportPage(
    key="key_projects",
    title=gettext_lazy("Import key projects"),
    template_url="development:projects_template",
    done_url="development:project_list",
    run=_projects_run,
)
REPORTS_IMPORT = ImportPage(
    key="progress_reports",
    title=gettext_lazy("Import monthly progress reports"),
    template_url="development:reports_template",
    done_url="development:project_list",
    run=_reports_run,
)


@access()
def projects_import(request: SignedInRequest) -> HttpResponse:
    _require_manager(request.user)
    return import_page(request, PROJECTS_IMPORT)


@access()
def reports_import(request: SignedInRequest) -> HttpResponse:
    if scope_for(request.user, Perm.PROJECT_REPORT).empty:
        raise PermissionDenied
    return import_page(request, REPORTS_IMPORT)


def _template(sheet: str, columns: list[Column], filename: str) -> HttpResponse:
    content = write_workbook(
        sheet, columns, project_imports.template_rows(columns), notes=template_notes(columns)
    )
    return xlsx_response(content, filename)


@access()
def projects_template(request: SignedInRequest) -> HttpResponse:
    _require_manager(request.user)
    return _template(
        project_imports.PROJECT_SHEET, project_imports.PROJECT_COLUMNS, "key-projects-template.xlsx"
    )


@access()
def reports_template(request: SignedInRequest) -> HttpResponse:
    if scope_for(request.user, Perm.PROJECT_REPORT).empty:
        raise PermissionDenied
    return _template(
        project_imports.REPORT_SHEET,
        project_imports.REPORT_COLUMNS,
        "progress-reports-template.xlsx",
    )
