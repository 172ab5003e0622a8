"""Key projects and indicators: lists, a project with its milestones, monthly reports
(submitted by the responsible unit, approved by the district), element figures, indicator
values and GDP contributions. Same access, selectors and services as the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import Perm, SignedInRequest, require
from gridlight.core.errors import DomainError
from gridlight.development import access as dev_access
from gridlight.development import figures, selectors, services
from gridlight.development import indicator_selectors as sel
from gridlight.development import indicator_services as svc
from gridlight.development.models import DataElement, ProgressReport, Project
from gridlight.tickets.models import Unit

router = Router(tags=["development"])


class Message(Schema):
    detail: str


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    year: int
    kind: str
    industry: str
    zone: str
    street_code: str
    unit_code: str
    total_investment_fen: int
    annual_investment_fen: int
    stage: str
    actual_pct: Decimal | None
    planned_pct: Decimal | None
    light: str
    reasons: list[dict[str, Any]]
    version: int

    # A project, or the dict a detail is built from (its codes already resolved).
    @staticmethod
    def resolve_street_code(obj: Project | dict[str, Any]) -> str:
        return str(obj["street_code"]) if isinstance(obj, dict) else obj.region.code

    @staticmethod
    def resolve_unit_code(obj: Project | dict[str, Any]) -> str:
        return str(obj["unit_code"]) if isinstance(obj, dict) else obj.unit.code


class MilestoneOut(Schema):
    id: int
    name: str
    quantity_unit: str
    planned_quantity: Decimal
    planned_start: date
    planned_end: date
    done: Decimal


class ProjectDetailOut(ProjectOut):
    milestones: list[MilestoneOut]


class LineIn(Schema):
    milestone_id: int
    quantity: Decimal = Field(max_digits=18, decimal_places=2)
    unit: str = Field(max_length=8)


class ReportIn(Schema):
    month: date
    investment_fen: int = Field(ge=-(2**62), le=2**62)
    lines: list[LineIn] = Field(default_factory=list, max_length=100)
    note: str = Field("", max_length=500)
    unit_code: str | None = Field(None, max_length=40)
    version: int | None = None


class ReportOut(Schema):
    id: int
    project_id: int
    month: date
    status: str
    investment_fen: int
    version: int


class VersionIn(Schema):
    version: int


class FigureOut(Schema):
    value: Decimal | None
    missing: list[str]
    inputs: list[tuple[str, Decimal | None]]


class ElementFiguresOut(Schema):
    element: str
    region: str
    period: str
    value: FigureOut
    growth_pct: FigureOut
    year_to_date: FigureOut
    year_to_date_growth_pct: FigureOut
    target_to_date: FigureOut
    target_completion_pct: FigureOut


class ValueIn(Schema):
    element: str = Field(max_length=40)
    region_code: str = Field(max_length=32)
    period: date
    value: Decimal = Field(max_digits=20, decimal_places=4)
    version: int | None = None


class ValueOut(Schema):
    id: int
    element_id: int
    period: date
    value: Decimal
    status: str
    version: int


class ContributionOut(Schema):
    name: str
    increment: Decimal
    rate_pct: Decimal | None
    pull_points: Decimal


class ContributionsOut(Schema):
    period: str
    growth_pct: Decimal | None
    parts: list[ContributionOut]
    missing: list[str]


def _figure(f: figures.Figure) -> FigureOut:
    return FigureOut(
        value=f.rounded(4),
        missing=list(f.missing),
        inputs=[(name, figures.rounded(v, 4)) for name, v in f.inputs],
    )


@router.get("/projects", response=list[ProjectOut], summary="Key projects in scope")
@paginate(Pagination)
def list_projects(
    request: SignedInRequest,
    q: str = "",
    year: int | None = None,
    industry: str = "",
    zone: str = "",
    stage: str = "",
    light: str = "",
) -> Any:
    dev_access.require_projects(request.user)
    return selectors.projects_list(
        request.user, q=q, year=year, industry=industry, zone=zone, stage=stage, light=light
    )


@router.get("/projects/{project_id}", response=ProjectDetailOut)
def get_project(request: SignedInRequest, project_id: int) -> dict[str, Any]:
    project = dev_access.get_project(request.user, project_id)
    rows = selectors.milestone_rows(project)
    data = ProjectOut.from_orm(project).dict()
    data["milestones"] = [
        {
            "id": r.milestone.pk,
            "name": r.milestone.name,
            "quantity_unit": r.milestone.quantity_unit,
            "planned_quantity": r.milestone.planned_quantity,
            "planned_start": r.milestone.planned_start,
            "planned_end": r.milestone.planned_end,
            "done": r.done,
        }
        for r in rows
    ]
    return data


@router.post(
    "/projects/{project_id}/reports",
    response={201: ReportOut, 400: Message, 404: Message, 409: Message},
    summary="Submit (or correct) a month's progress report",
)
def submit_report(
    request: SignedInRequest, project_id: int, payload: ReportIn
) -> Status[ProgressReport]:
    project = dev_access.get_project(request.user, project_id)
    unit = None
    if payload.unit_code:
        unit = Unit.objects.filter(code=payload.unit_code).first()
        if unit is None:
            raise DomainError(_("No unit has this code."))
    report = services.report_submit(
        actor=request.user,
        project=project,
        month=payload.month,
        investment_fen=payload.investment_fen,
        lines=[services.LineInput(li.milestone_id, li.quantity, li.unit) for li in payload.lines],
        note=payload.note,
        unit=unit,
        version=payload.version,
    )
    return Status(201, report)


@router.post(
    "/reports/{report_id}/approve",
    response={200: ReportOut, 400: Message, 404: Message, 409: Message},
)
def approve_report(request: SignedInRequest, report_id: int, payload: VersionIn) -> ProgressReport:
    return services.report_approve(
        actor=request.user,
        report=dev_access.get_report(request.user, report_id),
        version=payload.version,
    )


@router.get(
    "/indicators/elements/{code}/figures",
    response={200: ElementFiguresOut, 404: Message},
    summary="An element's value, growth, year to date and target completion",
)
def element_figures(
    request: SignedInRequest, code: str, region: str, period: date | None = None
) -> dict[str, Any]:
    require(request.user, Perm.INDICATOR_VIEW)
    element = DataElement.objects.filter(code=code).first()
    place = sel.regions_for_figures(request.user).filter(code=region).first()
    if element is None or place is None:
        raise Http404
    when = period or sel.latest_period(element, place)
    if when is None:
        raise Http404
    when = figures.period_start(when, element.period_type)
    f = sel.element_figures(element, place, when)
    return {
        "element": element.code,
        "region": place.code,
        "period": figures.period_label(when, element.period_type),
        "value": _figure(f.value),
        "growth_pct": _figure(f.growth),
        "year_to_date": _figure(f.to_date),
        "year_to_date_growth_pct": _figure(f.to_date_growth),
        "target_to_date": _figure(f.target),
        "target_completion_pct": _figure(f.completion),
    }


@router.post(
    "/indicators/values",
    response={201: ValueOut, 400: Message, 404: Message, 409: Message},
    summary="Enter or correct a value (awaits approval)",
)
def enter_value(request: SignedInRequest, payload: ValueIn) -> Status[Any]:
    require(request.user, Perm.INDICATOR_ENTER)
    element = DataElement.objects.filter(code=payload.element).first()
    place = sel.regions_for_figures(request.user).filter(code=payload.region_code).first()
    if element is None or place is None:
        raise Http404
    value = svc.value_enter(
        actor=request.user,
        element=element,
        region=place,
        period=payload.period,
        value=payload.value,
        version=payload.version,
    )
    return Status(201, value)


@router.get("/indicators/contributions", response={200: ContributionsOut, 404: Message})
def contributions(request: SignedInRequest, region: str, period: date | None = None) -> Any:
    require(request.user, Perm.INDICATOR_VIEW)
    gdp = DataElement.objects.filter(code="gdp").first()
    place = sel.regions_for_figures(request.user).filter(code=region).first()
    if gdp is None or place is None:
        raise Http404
    when = figures.period_start(period, gdp.period_type) if period else None
    when = when or sel.latest_period(gdp, place)
    if when is None:
        raise Http404
    parts = list(DataElement.objects.filter(gdp_part=True, period_type=gdp.period_type))
    table = sel.contribution_table(gdp, parts, place, when)
    return {
        "period": figures.period_label(when, gdp.period_type),
        "growth_pct": figures.rounded(table.growth, 4),
        "parts": [
            {
                "name": r.name,
                "increment": figures.rounded(r.increment, 4),
                "rate_pct": figures.rounded(r.rate * 100, 4) if r.rate is not None else None,
                "pull_points": figures.rounded(r.pull, 4),
            }
            for r in table.rows
        ],
        "missing": list(table.missing),
    }
