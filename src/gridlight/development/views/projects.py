"""Pages of key projects: the list with filters, the project page (milestone Gantt, progress
chart, reports, light and reasons), the report form, approval, supervision and the export."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, Viewer, access, scope_for
from gridlight.core.errors import DomainError
from gridlight.core.models import Region, RegionLevel
from gridlight.core.spreadsheets import Column
from gridlight.core.views.common import paginate, query_without_page, submit
from gridlight.development import access as dev_access
from gridlight.development import selectors, services
from gridlight.development.forms import ProjectFilterForm, ReasonForm, ReportForm, VersionForm
from gridlight.development.models import ProgressReport, Project


def _filtered(user: Viewer, params: QueryDict) -> tuple[ProjectFilterForm, Any]:
    form = ProjectFilterForm(params or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    street = None
    if data.get("street"):
        street = Region.objects.filter(code=data["street"], level=RegionLevel.STREET).first()
        if street is None:
            return form, Project.objects.none()
    qs = selectors.projects_list(
        user,
        q=data.get("q", ""),
        year=data.get("year"),
        industry=data.get("industry", ""),
        zone=data.get("zone", ""),
        kind=data.get("kind", ""),
        stage=data.get("stage", ""),
        light=data.get("light", ""),
        street=street,
    )
    return form, qs


@access()
def project_list(request: SignedInRequest) -> HttpResponse:
    dev_access.require_projects(request.user)
    form, qs = _filtered(request.user, request.GET)
    return render(
        request,
        "development/project_list.html",
        {
            "form": form,
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "lights": selectors.light_counts(qs),
            "is_manager": dev_access.is_district_manager(request.user),
            "may_create": not scope_for(request.user, Perm.PROJECT_MANAGE).empty,
            "may_report": not scope_for(request.user, Perm.PROJECT_REPORT).empty,
        },
    )


@access()
def project_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    project = dev_access.get_project(request.user, pk)
    rows = selectors.milestone_rows(project)
    return render(
        request,
        "development/project_detail.html",
        {
            "project": project,
            "milestones": rows,
            "reports": selectors.reports_of(project),
            "reasons": selectors.reasons_display(project),
            "chart": selectors.charts(project, rows),
            "may_report": dev_access.may_report(request.user, project),
            "may_manage": dev_access.may_manage(request.user, project),
            "next_stages": selectors.next_stages(project)
            if dev_access.may_manage(request.user, project)
            or dev_access.may_report(request.user, project)
            else [],
        },
    )


@access()
def report_form(request: SignedInRequest, pk: int) -> HttpResponse:
    """Enter or correct a month's report (the responsible unit's members only)."""
    project = dev_access.get_project(request.user, pk)
    if not dev_access.may_report(request.user, project):
        messages.error(request, _("Only the project's responsible unit reports its progress."))
        return redirect("development:project_detail", project.pk)
    milestones = list(project.milestones.all())
    initial: dict[str, Any] = {"month": timezone.localdate().replace(day=1)}
    existing = None
    try:
        asked = datetime.strptime(request.GET.get("month", "")[:7], "%Y-%m").date()
    except ValueError:
        asked = None
    if asked is not None:
        existing = project.reports.filter(month=asked).first()
    if existing is not None:
        initial.update(
            month=existing.month,
            investment_yuan=Decimal(existing.investment_fen) / 100,
            note=existing.note,
            version=existing.version,
        )
        initial.update({f"m{line.milestone_id}": line.quantity for line in existing.lines.all()})
    form = ReportForm(request.POST or None, initial=initial, milestones=milestones)

    def save(data: dict[str, Any]) -> ProgressReport:
        return services.report_submit(
            actor=request.user,
            project=project,
            month=data["month"],
            investment_fen=int(data["investment_yuan"] * 100),
            lines=[
                services.LineInput(m.pk, data.get(f"m{m.pk}") or 0, m.quantity_unit)
                for m in milestones
            ],
            note=data.get("note", ""),
            version=data.get("version"),
        )

    report, status = submit(request, form, save)
    if report is not None:
        messages.success(request, _("The report was submitted for approval."))
        return redirect("development:project_detail", project.pk)
    return render(
        request, "development/report_form.html", {"project": project, "form": form}, status=status
    )


@require_POST
@access()
def report_approve(request: SignedInRequest, pk: int) -> HttpResponse:
    report = dev_access.get_report(request.user, pk)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.report_approve(
                actor=request.user, report=report, version=form.cleaned_data["version"]
            )
            messages.success(request, _("The report was approved."))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("development:project_detail", report.project_id)


@require_POST
@access()
def report_return(request: SignedInRequest, pk: int) -> HttpResponse:
    report = dev_access.get_report(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            services.report_return(
                actor=request.user,
                report=report,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The report was returned to the unit."))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("development:project_detail", report.project_id)


@require_POST
@access()
def project_supervise(request: SignedInRequest, pk: int) -> HttpResponse:
    project = dev_access.get_project(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            ticket = services.project_supervise(
                actor=request.user,
                project=project,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, _("Supervision ticket %(n)s was raised.") % {"n": ticket.number}
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("development:project_detail", project.pk)


@require_POST
@access()
def lights_recompute(request: SignedInRequest) -> HttpResponse:
    try:
        counts = services.lights_recompute(actor=request.user)
        messages.success(
            request,
            _("Lights recomputed: %(red)s red, %(yellow)s yellow, %(green)s green.") % counts,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("development:project_list")


@access()
def project_export(request: SignedInRequest) -> HttpResponse:
    dev_access.require_projects(request.user)
    return exports.respond(request, "projects")


EXPORT_COLUMNS = [
    Column("code", "项目编号", "code"),
    Column("name", "项目名称", "name"),
    Column("year", "年度", "year"),
    Column("industry", "产业", "industry"),
    Column("zone", "战略片区", "strategy zone"),
    Column("kind", "类型", "kind"),
    Column("street", "街道", "street"),
    Column("unit", "责任单位", "responsible unit"),
    Column("person", "责任人", "responsible person"),
    Column("total", "总投资（万元）", "total investment (10k yuan)"),
    Column("annual", "年度计划投资（万元）", "annual plan (10k yuan)"),
    Column("stage", "阶段", "stage"),
    Column("actual", "实际进度（%）", "progress (%)"),
    Column("planned", "序时进度（%）", "time-proportional plan (%)"),
    Column("light", "亮灯", "light"),
]


@exports.register("projects")
def _export(user: Viewer, params: QueryDict) -> exports.Export:
    _form, qs = _filtered(user, params)
    count = qs.count()

    def rows() -> Any:
        for p in qs.iterator(chunk_size=2000):
            yield [
                p.code,
                p.name,
                p.year,
                p.get_industry_display(),
                p.get_zone_display() if p.zone else "",
                p.get_kind_display(),
                p.region.name,
                p.unit.name,
                p.person,
                p.total_investment_fen / 1_000_000,
                p.annual_investment_fen / 1_000_000,
                p.get_stage_display(),
                float(p.actual_pct) if p.actual_pct is not None else None,
                float(p.planned_pct) if p.planned_pct is not None else None,
                p.get_light_display() if p.light else "",
            ]

    return exports.Export(
        sheet="projects",
        columns=EXPORT_COLUMNS,
        rows=rows(),
        count=count,
        filename="key-projects.xlsx",
    )
