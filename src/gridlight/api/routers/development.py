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
from gridlight.development import figures, rollups, selectors, services
from gridlight.development import indicator_selectors as sel
from gridlight.development import indicator_services as svc
from gridlight.development.models import (
    DataElement,
    Indicator,
    Milestone,
    ProgressReport,
    Project,
)
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


class ProjectIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    year: int = Field(ge=2000, le=2100)
    kind: str = Field("general", max_length=12)
    industry: str = Field(max_length=12)
    zone: str = Field("", max_length=16)
    land_use: str = Field("", max_length=12)
    street_code: str = Field(max_length=32)
    unit_code: str = Field(max_length=40)
    person: str = Field("", max_length=60)
    total_investment_fen: int = Field(ge=-(2**62), le=2**62)
    annual_investment_fen: int = Field(ge=-(2**62), le=2**62)
    planned_start: date
    planned_end: date
    stage: str = Field("signed", max_length=12)
    signed_on: date | None = None
    started_on: date | None = None
    completed_on: date | None = None
    operating_on: date | None = None
    registration_due: date | None = None
    registered_on: date | None = None
    supplied_on: date | None = None
    version: int | None = None  # required to change a project


class StageIn(Schema):
    stage: str = Field(max_length=12)
    on: date
    version: int


class MilestoneIn(Schema):
    name: str = Field(max_length=120)
    quantity_unit: str = Field(max_length=8)
    planned_quantity: Decimal = Field(max_digits=18, decimal_places=2)
    planned_start: date
    planned_end: date
    weight: int = Field(1, ge=-1000, le=1000)
    version: int | None = None  # required to change a milestone


class MilestoneSavedOut(Schema):
    id: int
    project_id: int
    name: str
    quantity_unit: str
    planned_quantity: Decimal
    planned_start: date
    planned_end: date
    weight: int
    version: int


class SummaryRowOut(Schema):
    key: str
    label: str
    projects: int
    red: int
    yellow: int
    green: int
    unassessed: int
    total_fen: int
    annual_fen: int
    invested_fen: int
    invested_pct: Decimal | None
    actual_pct: Decimal | None
    planned_pct: Decimal | None


class SummaryOut(Schema):
    by: str
    year: int | None
    rows: list[SummaryRowOut]
    total: SummaryRowOut


def _project_input(request: SignedInRequest, payload: ProjectIn, code: str) -> Any:
    from gridlight.core.models import Region, RegionLevel

    street = Region.objects.filter(code=payload.street_code, level=RegionLevel.STREET).first()
    unit = Unit.objects.filter(code=payload.unit_code).first()
    if street is None:
        raise DomainError(_("No street has the code %(code)s.") % {"code": payload.street_code})
    if unit is None:
        raise DomainError(_("No unit has the code %(code)s.") % {"code": payload.unit_code})
    return services.ProjectInput(
        code=code,
        name=payload.name,
        year=payload.year,
        industry=payload.industry,
        region=street,
        unit=unit,
        total_investment_fen=payload.total_investment_fen,
        annual_investment_fen=payload.annual_investment_fen,
        planned_start=payload.planned_start,
        planned_end=payload.planned_end,
        kind=payload.kind,
        zone=payload.zone,
        land_use=payload.land_use,
        person=payload.person,
        stage=payload.stage,
        signed_on=payload.signed_on,
        started_on=payload.started_on,
        completed_on=payload.completed_on,
        operating_on=payload.operating_on,
        registration_due=payload.registration_due,
        registered_on=payload.registered_on,
        supplied_on=payload.supplied_on,
    )


def _milestone_input(payload: MilestoneIn) -> services.MilestoneInput:
    return services.MilestoneInput(
        payload.name,
        payload.quantity_unit,
        payload.planned_quantity,
        payload.planned_start,
        payload.planned_end,
        payload.weight,
    )


def _managed_milestone(request: SignedInRequest, milestone_id: int) -> Milestone:
    milestone = (
        Milestone.objects.filter(project__in=dev_access.visible_projects(request.user))
        .select_related("project")
        .filter(pk=milestone_id)
        .first()
    )
    if milestone is None or not dev_access.may_manage(request.user, milestone.project):
        raise Http404
    return milestone


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
    kind: str = "",
) -> Any:
    dev_access.require_projects(request.user)
    return selectors.projects_list(
        request.user,
        q=q,
        year=year,
        industry=industry,
        zone=zone,
        kind=kind,
        stage=stage,
        light=light,
    )


@router.get("/projects/summary", response={200: SummaryOut}, summary="Projects rolled up")
def project_summary(request: SignedInRequest, by: str = "industry", year: int | None = None) -> Any:
    """Counts by light, investment against the annual plan and average progress, per
    industry, zone, street, unit or kind (``by``)."""
    dev_access.require_projects(request.user)
    result = rollups.summary(request.user, by=by, year=year)

    def row(r: rollups.Row) -> dict[str, Any]:
        return {**r.__dict__, "key": str(r.key), "invested_pct": r.invested_pct}

    return {
        "by": result.by,
        "year": result.year,
        "rows": [row(r) for r in result.rows],
        "total": row(result.total),
    }


@router.post(
    "/projects",
    response={201: ProjectOut, 400: Message, 403: Message, 409: Message},
    summary="Register a key project",
)
def create_project(request: SignedInRequest, payload: ProjectIn) -> Status[Project]:
    project = services.project_create(
        actor=request.user, data=_project_input(request, payload, payload.code)
    )
    return Status(201, Project.objects.select_related("region", "unit").get(pk=project.pk))


@router.put(
    "/projects/{project_id}",
    response={200: ProjectOut, 400: Message, 404: Message, 409: Message},
    summary="Change a key project (with the version read)",
)
def update_project(request: SignedInRequest, project_id: int, payload: ProjectIn) -> Project:
    project = dev_access.get_project(request.user, project_id)
    if payload.version is None:
        raise DomainError(_("Give the version you read."))
    return services.project_update(
        actor=request.user,
        project=project,
        version=payload.version,
        data=_project_input(request, payload, project.code),
    )


@router.post(
    "/projects/{project_id}/stage",
    response={200: ProjectOut, 400: Message, 404: Message, 409: Message},
    summary="Move a project on to a later stage, reached on a day",
)
def advance_project(request: SignedInRequest, project_id: int, payload: StageIn) -> Project:
    project = dev_access.get_project(request.user, project_id)
    return services.project_advance(
        actor=request.user,
        project=project,
        version=payload.version,
        stage=payload.stage,
        on=payload.on,
    )


@router.post(
    "/projects/{project_id}/milestones",
    response={201: MilestoneSavedOut, 400: Message, 404: Message},
    summary="Add a milestone",
)
def add_milestone(
    request: SignedInRequest, project_id: int, payload: MilestoneIn
) -> Status[Milestone]:
    project = dev_access.get_project(request.user, project_id)
    data = _milestone_input(payload)
    milestone = services.milestone_add(
        actor=request.user,
        project=project,
        name=data.name,
        quantity_unit=data.quantity_unit,
        planned_quantity=data.planned_quantity,
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        weight=data.weight,
    )
    return Status(201, milestone)


@router.put(
    "/milestones/{milestone_id}",
    response={200: MilestoneSavedOut, 400: Message, 404: Message, 409: Message},
    summary="Change a milestone (with the version read)",
)
def update_milestone(request: SignedInRequest, milestone_id: int, payload: MilestoneIn) -> Any:
    milestone = _managed_milestone(request, milestone_id)
    if payload.version is None:
        raise DomainError(_("Give the version you read."))
    return services.milestone_update(
        actor=request.user,
        milestone=milestone,
        version=payload.version,
        data=_milestone_input(payload),
    )


@router.delete(
    "/milestones/{milestone_id}",
    response={204: None, 400: Message, 404: Message, 409: Message},
    summary="Remove a milestone nothing was reported against",
)
def delete_milestone(request: SignedInRequest, milestone_id: int, version: int) -> Status[None]:
    milestone = _managed_milestone(request, milestone_id)
    services.milestone_delete(actor=request.user, milestone=milestone, version=version)
    return Status(204, None)


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


class IndicatorIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=80)
    kind: str = Field(max_length=10)
    numerator: str = Field(max_length=40)
    denominator: str = Field("", max_length=40)
    factor: Decimal = Field(Decimal(1), max_digits=12, decimal_places=4)
    unit: str = Field("", max_length=20)


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    factor: Decimal
    unit: str


class IndicatorFigureOut(Schema):
    indicator: str
    region: str
    period: str
    figure: FigureOut


@router.post(
    "/indicators",
    response={201: IndicatorOut, 400: Message, 403: Message},
    summary="Define an indicator as a formula over data elements (district managers)",
)
def define_indicator(request: SignedInRequest, payload: IndicatorIn) -> Status[Any]:
    require(request.user, Perm.INDICATOR_MANAGE)
    indicator = svc.indicator_define(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        numerator=payload.numerator,
        denominator=payload.denominator,
        factor=payload.factor,
        unit=payload.unit,
    )
    return Status(201, indicator)


@router.get(
    "/indicators/{code}/figure",
    response={200: IndicatorFigureOut, 400: Message, 404: Message},
    summary="An indicator's value with its inputs (400 when it would divide by zero)",
)
def indicator_figure(
    request: SignedInRequest, code: str, region: str, period: date | None = None
) -> dict[str, Any]:
    require(request.user, Perm.INDICATOR_VIEW)
    indicator = Indicator.objects.select_related("numerator", "denominator").filter(code=code)
    found = indicator.first()
    place = sel.regions_for_figures(request.user).filter(code=region).first()
    if found is None or place is None:
        raise Http404
    period_type = found.numerator.period_type
    when = figures.period_start(period, period_type) if period else None
    when = when or sel.latest_period(found.numerator, place)
    if when is None:
        raise Http404
    return {
        "indicator": found.code,
        "region": place.code,
        "period": figures.period_label(when, period_type),
        "figure": _figure(sel.indicator_figure(found, place, when)),
    }
