"""Excel import of key projects (with their milestones) and of monthly progress reports,
through the shared pipeline (the guarded reader, ``core.imports``, the one upload page): the
whole file is checked first, one bad row rejects it with row and column messages and nothing
is written; a clean file is written in one transaction through the same services as the forms
(so each project, milestone and report is validated and audited as when typed in).

Projects (sheet ``projects``): one row per milestone; the project's own columns are filled on
its first row and may be left blank (or repeated unchanged) on the rows of its further
milestones. Projects match by code, milestones by name within their project: importing the
same file again changes nothing; a changed value is a change of the project or milestone.

Reports (sheet ``progress_reports``): one row per milestone reported for a project and month,
the month's investment on the first of them. A report that exists and is the same is left
alone; one awaiting approval or returned is replaced; an approved one cannot change."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any, TypeVar

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core.errors import DomainError, ImportRejected, RowError
from gridlight.core.imports.common import ImportResult, reject_if
from gridlight.core.industries import Industry
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.spreadsheets import Column, cell_text, read_sheet
from gridlight.development import services
from gridlight.development.access import may_report
from gridlight.development.forms import WAN
from gridlight.development.models import (
    LandUse,
    Milestone,
    ProgressReport,
    Project,
    ProjectKind,
    QuantityUnit,
    ReportStatus,
    Stage,
    Zone,
)
from gridlight.tickets.models import Unit

T = TypeVar("T")
# A key project list is hundreds of rows a year; a bigger file is a mistake.
MAX_ROWS = 20_000
PROJECT_SHEET = "projects"
REPORT_SHEET = "progress_reports"

_DATE_NOTE = gettext_lazy("a date such as 2026-03-01")
PROJECT_COLUMNS = [
    Column("code", "项目编号", "code", required=True, example="KP-2026-001"),
    Column("name", "项目名称", "name", example="中博领创时代"),
    Column("year", "年度", "year", example="2026"),
    Column(
        "kind",
        "项目类型",
        "kind",
        example="建设项目",
        note=gettext_lazy("construction project, demolition task, land parcel or road project"),
    ),
    Column("industry", "产业", "industry", example="现代金融"),
    Column("zone", "战略片区", "strategy zone", example="中央活力区"),
    Column("land_use", "用地性质", "land use", note=gettext_lazy("land parcels only")),
    Column("street", "街道编码", "street code", example="370103001"),
    Column("unit", "责任单位编码", "responsible unit code", example="construction"),
    Column("person", "责任人", "responsible person", example="王伟"),
    Column("total", "总投资(万元)", "total investment (10k yuan)", example="1660000"),
    Column("annual", "年度计划投资(万元)", "annual plan (10k yuan)", example="300000"),
    Column("stage", "阶段", "stage", example="在建"),
    Column("planned_start", "计划开工", "planned start", example="2026-01-01", note=_DATE_NOTE),
    Column("planned_end", "计划竣工", "planned completion", example="2028-12-31"),
    Column("signed_on", "签约日期", "signed on", example="2025-11-01"),
    Column("started_on", "开工日期", "started on", example="2026-01-10"),
    Column("completed_on", "竣工日期", "completed on"),
    Column("operating_on", "投产日期", "in operation since"),
    Column("registration_due", "入统期限", "statistical registration due"),
    Column("registered_on", "入统日期", "statistically registered on"),
    Column("supplied_on", "供地日期", "land supplied on"),
    Column("milestone", "里程碑", "milestone", example="年度投资"),
    Column(
        "m_unit",
        "计量单位",
        "unit of quantity",
        example="元",
        note=gettext_lazy("yuan, m², mu, km, items or % of works"),
    ),
    Column("m_quantity", "计划量", "planned quantity", example="3000000000"),
    Column("m_start", "里程碑开始", "milestone start", example="2026-01-01"),
    Column("m_end", "里程碑结束", "milestone end", example="2026-12-31"),
    Column("m_weight", "权重", "weight", example="1"),
]
REPORT_COLUMNS = [
    Column("code", "项目编号", "project code", required=True, example="KP-2026-001"),
    Column(
        "month",
        "月份",
        "month",
        required=True,
        example="2026-03",
        note=gettext_lazy("the month reported on, 2026-03"),
    ),
    Column("investment", "本月完成投资(万元)", "investment this month (10k yuan)", example="2500"),
    Column("milestone", "里程碑", "milestone", required=True, example="年度投资"),
    Column("quantity", "本月完成量", "quantity this month", required=True, example="25000000"),
    Column("unit", "计量单位", "unit of quantity", required=True, example="元"),
    Column("note", "说明", "note"),
]
MILESTONE_FIELDS = ["milestone", "m_unit", "m_quantity", "m_start", "m_end", "m_weight"]
PROJECT_FIELDS = [c.key for c in PROJECT_COLUMNS if c.key not in MILESTONE_FIELDS]
PH = {c.key: c.header for c in PROJECT_COLUMNS}
RH = {c.key: c.header for c in REPORT_COLUMNS}
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


# Names staff write for a kind of project besides the catalogue's own (路网项目, 土地供应地块).
KIND_ALIASES = {
    "道路项目": ProjectKind.ROAD.value,
    "道路": ProjectKind.ROAD.value,
    "地块": ProjectKind.LAND.value,
    "土地": ProjectKind.LAND.value,
    "征收拆迁": ProjectKind.DEMOLITION.value,
    "拆迁": ProjectKind.DEMOLITION.value,
}


def _choices(choices: type[TextChoices], aliases: dict[str, str] | None = None) -> dict[str, str]:
    """A choice as staff may write it: its code, or its name in Chinese (with or without a
    leading 已: 签约 for 已签约) or English."""
    found: dict[str, str] = dict(aliases or {})
    for value, label in choices.choices:
        found[value.lower()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                name = str(label).lower()
            found[name] = value
            if name.startswith("已") and len(name) > 1:
                found[name[1:]] = value
    found.pop("", None)
    return found


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if m := _DAY.match(text):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def _month(value: Any) -> date | None:
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    text = cell_text(value)
    if m := _MONTH.match(text):
        try:
            return date(int(m[1]), int(m[2]), 1)
        except ValueError:
            return None
    day = _day(value)
    return day.replace(day=1) if day else None


def _number(value: Any) -> Decimal | None:
    text = cell_text(value).replace(",", "")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


class _Row:
    """One row's cells with the errors found reading them."""

    def __init__(self, number: int, values: dict[str, Any], headers: dict[str, str]) -> None:
        self.line, self.values, self.headers = number, values, headers
        self.errors: list[RowError] = []

    def text(self, key: str) -> str:
        return cell_text(self.values.get(key))

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.line, self.headers.get(key, ""), message))

    def required(self, key: str) -> str:
        text = self.text(key)
        if not text:
            self.error(key, _("%(column)s is required.") % {"column": self.headers[key]})
        return text

    def choice(self, key: str, table: dict[str, str], *, blank: str | None = None) -> str:
        text = self.text(key)
        if not text and blank is not None:
            return blank
        value = table.get(text.lower())
        if value is None:
            self.error(key, _("Not one of the choices: %(v)s") % {"v": text or "—"})
            return ""
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        text = self.text(key)
        if not text:
            if required:
                self.required(key)
            return None
        day = _day(self.values.get(key))
        if day is None:
            self.error(key, _("Not a date: %(v)s") % {"v": text})
        return day

    def number(self, key: str, *, required: bool = True) -> Decimal | None:
        text = self.text(key)
        if not text:
            if required:
                self.required(key)
            return None
        number = _number(self.values.get(key))
        if number is None:
            self.error(key, _("Not a number: %(v)s") % {"v": text})
        return number


# --- projects -----------------------------------------------------------------------------------


@dataclass
class _Project:
    row: int
    data: services.ProjectInput
    cells: dict[str, str]
    milestones: list[tuple[int, services.MilestoneInput]] = field(default_factory=list)


def import_projects(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportResult:
    """Import key projects with their milestones (all or nothing; by code, then by name)."""
    sheet = read_sheet(upload, PROJECT_COLUMNS, sheet=PROJECT_SHEET, max_rows=MAX_ROWS)
    streets = {
        r.code: r
        for r in Region.objects.filter(level=RegionLevel.STREET).only(
            "id", "code", "path", "name", "level"
        )
    }
    units = {u.code: u for u in Unit.objects.all()}
    tables = {
        "kind": _choices(ProjectKind, KIND_ALIASES),
        "industry": _choices(Industry),
        "zone": _choices(Zone),
        "land_use": _choices(LandUse),
        "stage": _choices(Stage),
        "m_unit": _choices(QuantityUnit),
    }
    errors: list[RowError] = []
    projects: dict[str, _Project] = {}
    failed: set[str] = set()  # codes whose first row was wrong (its error is listed there)
    for number, values in sheet.rows:
        row = _Row(number, values, PH)
        code = row.required("code")
        cells = {k: row.text(k) for k in PROJECT_FIELDS if k != "code"}
        first = projects.get(code)
        if first is None and code and code not in failed:
            data = _project_row(row, code, streets, units, tables, actor)
            if data is not None and not row.errors:
                projects[code] = _Project(number, data, cells)
            else:
                failed.add(code)
        elif first is not None:
            for key, text in cells.items():
                if text and text != first.cells[key]:
                    row.error(
                        key,
                        _("Differs from row %(row)s of the same project.") % {"row": first.row},
                    )
        if row.text("milestone") or any(row.text(k) for k in MILESTONE_FIELDS[1:]):
            milestone = _milestone_row(row, tables["m_unit"])
            target = projects.get(code)
            if milestone is not None and target is not None and not row.errors:
                if any(m.name.strip() == milestone.name.strip() for _r, m in target.milestones):
                    row.error("milestone", _("This milestone is listed twice for the project."))
                else:
                    target.milestones.append((number, milestone))
        errors += row.errors
    reject_if(errors)
    return _write_projects(actor, list(projects.values()), filename)


def _project_row(
    row: _Row,
    code: str,
    streets: dict[str, Region],
    units: dict[str, Unit],
    tables: dict[str, dict[str, str]],
    actor: User,
) -> services.ProjectInput | None:
    name = row.required("name")
    year_text = row.required("year")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    if year_text and year is None:
        row.error("year", _("Not a year: %(v)s") % {"v": year_text})
    kind = row.choice("kind", tables["kind"], blank=ProjectKind.GENERAL.value)
    industry = row.choice("industry", tables["industry"])
    zone = row.choice("zone", tables["zone"], blank="")
    land_use = row.choice("land_use", tables["land_use"], blank="")
    stage = row.choice("stage", tables["stage"], blank=Stage.SIGNED.value)
    street = streets.get(row.required("street"))
    if street is None and row.text("street"):
        row.error("street", _("No street has the code %(code)s.") % {"code": row.text("street")})
    elif street is not None and not services.may_manage_path(actor, street.path):
        row.error("street", _("You may not manage key projects here."))
    unit = units.get(row.required("unit"))
    if unit is None and row.text("unit"):
        row.error("unit", _("No unit has the code %(code)s.") % {"code": row.text("unit")})
    amounts = {}
    for key in ("total", "annual"):
        amount = row.number(key)
        if amount is not None and amount < 0:
            row.error(key, _("An investment cannot be negative."))
        amounts[key] = amount
    days = {
        k: row.day(k, required=k in ("planned_start", "planned_end"))
        for k in (
            "planned_start",
            "planned_end",
            "signed_on",
            "started_on",
            "completed_on",
            "operating_on",
            "registration_due",
            "registered_on",
            "supplied_on",
        )
    }
    if row.errors or year is None or street is None or unit is None:
        return None
    total, annual = amounts["total"], amounts["annual"]
    start, end = days["planned_start"], days["planned_end"]
    if total is None or annual is None or start is None or end is None:
        return None
    data = services.ProjectInput(
        code=code,
        name=name,
        year=year,
        industry=industry,
        region=street,
        unit=unit,
        total_investment_fen=int(total * WAN),
        annual_investment_fen=int(annual * WAN),
        planned_start=start,
        planned_end=end,
        kind=kind,
        zone=zone,
        land_use=land_use,
        person=row.text("person")[:60],
        stage=stage,
        signed_on=days["signed_on"],
        started_on=days["started_on"],
        completed_on=days["completed_on"],
        operating_on=days["operating_on"],
        registration_due=days["registration_due"],
        registered_on=days["registered_on"],
        supplied_on=days["supplied_on"],
    )
    try:
        services.check_project(data)
    except DomainError as exc:
        row.error("code", exc.message)
        return None
    return data


def _milestone_row(row: _Row, units: dict[str, str]) -> services.MilestoneInput | None:
    name = row.required("milestone")
    unit = row.choice("m_unit", units)
    quantity = row.number("m_quantity")
    start = row.day("m_start", required=True)
    end = row.day("m_end", required=True)
    weight_text = row.text("m_weight") or "1"
    weight = int(weight_text) if weight_text.isdigit() else None
    if weight is None:
        row.error("m_weight", _("Not a number: %(v)s") % {"v": weight_text})
    if row.errors or quantity is None or start is None or end is None or weight is None:
        return None
    data = services.MilestoneInput(name, unit, quantity, start, end, weight)
    try:
        services.check_milestone(data)
    except DomainError as exc:
        row.error("milestone", exc.message)
        return None
    return data


def _same_project(project: Project, data: services.ProjectInput) -> bool:
    values = services.project_values(data)
    return (
        all(getattr(project, k) == v for k, v in values.items())
        and project.region_id == data.region.pk
        and project.unit_id == data.unit.pk
    )


def _same_milestone(milestone: Milestone, data: services.MilestoneInput) -> bool:
    values = services.check_milestone(data)
    return all(getattr(milestone, k) == v for k, v in values.items())


def _guarded(row: int, service: Callable[..., T], **kwargs: Any) -> T:
    """Run a service for a row; a refusal (two people changing the same project meanwhile)
    rejects the whole file, so the transaction rolls back."""
    try:
        return service(**kwargs)
    except DomainError as exc:
        raise ImportRejected([RowError(row, "", exc.message)]) from exc


@transaction.atomic
def _write_projects(actor: User, rows: list[_Project], filename: str) -> ImportResult:
    existing = {
        p.code: p
        for p in Project.objects.select_for_update().filter(code__in=[r.data.code for r in rows])
    }
    milestones: dict[int, dict[str, Milestone]] = {}
    for m in Milestone.objects.filter(project__in=list(existing.values())):
        milestones.setdefault(m.project_id, {})[m.name] = m
    created = updated = unchanged = 0
    for item in rows:
        project = existing.get(item.data.code)
        changed = False
        if project is None:
            project = _guarded(item.row, services.project_create, actor=actor, data=item.data)
            created += 1
        elif not _same_project(project, item.data):
            project = _guarded(
                item.row,
                services.project_update,
                actor=actor,
                project=project,
                version=project.version,
                data=item.data,
            )
            changed = True
        known = milestones.get(project.pk, {})
        for number, data in item.milestones:
            current = known.get(data.name.strip())
            if current is None:
                _guarded(
                    number,
                    services.milestone_add,
                    actor=actor,
                    project=project,
                    name=data.name,
                    quantity_unit=data.quantity_unit,
                    planned_quantity=data.planned_quantity,
                    planned_start=data.planned_start,
                    planned_end=data.planned_end,
                    weight=data.weight,
                )
                changed = True
            elif not _same_milestone(current, data):
                _guarded(
                    number,
                    services.milestone_update,
                    actor=actor,
                    milestone=_with_project(current, project),
                    version=current.version,
                    data=data,
                )
                changed = True
        if item.data.code in existing:
            if changed:
                updated += 1
            else:
                unchanged += 1
    if created or updated:
        services.record_import(actor, "project.import", filename, created, updated, unchanged)
    return ImportResult(created, updated, unchanged)


def _with_project(milestone: Milestone, project: Project) -> Milestone:
    milestone.project = project
    return milestone


# --- progress reports ---------------------------------------------------------------------------


@dataclass
class _Report:
    row: int
    project: Project
    month: date
    investment_fen: int | None
    note: str
    lines: list[services.LineInput] = field(default_factory=list)


def import_reports(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportResult:
    """Import a unit's monthly progress reports (all or nothing; by project and month)."""
    sheet = read_sheet(upload, REPORT_COLUMNS, sheet=REPORT_SHEET, max_rows=MAX_ROWS)
    codes = {cell_text(v.get("code")) for _n, v in sheet.rows}
    projects = {p.code: p for p in Project.objects.filter(code__in=codes)}
    milestones: dict[int, dict[str, Milestone]] = {}
    for m in Milestone.objects.filter(project__in=list(projects.values())):
        milestones.setdefault(m.project_id, {})[m.name] = m
    units = _choices(QuantityUnit)
    today = services.month_start(timezone.localdate())
    errors: list[RowError] = []
    reports: dict[tuple[int, date], _Report] = {}
    seen: dict[tuple[int, date, int], int] = {}
    for number, values in sheet.rows:
        row = _Row(number, values, RH)
        code = row.required("code")
        project = projects.get(code)
        if project is None and code:
            row.error("code", _("No project has the code %(code)s.") % {"code": code})
        elif project is not None and not may_report(actor, project):
            row.error("code", _("Only the project's responsible unit reports its progress."))
        month = _month(values.get("month"))
        if month is None:
            row.error("month", _("Not a month: %(v)s") % {"v": row.text("month") or "—"})
        elif month > today:
            row.error("month", _("A report cannot be for a month that has not begun."))
        investment = row.number("investment", required=False)
        if investment is not None and investment < 0:
            row.error("investment", _("An investment cannot be negative."))
        quantity = row.number("quantity")
        if quantity is not None and quantity < 0:
            row.error("quantity", _("A quantity cannot be negative."))
        unit = row.choice("unit", units)
        milestone = None
        if project is not None:
            milestone = milestones.get(project.pk, {}).get(row.required("milestone"))
            if milestone is None and row.text("milestone"):
                row.error(
                    "milestone",
                    _("Project %(code)s has no milestone named %(name)s.")
                    % {"code": code, "name": row.text("milestone")},
                )
            elif milestone is not None and unit and unit != milestone.quantity_unit:
                row.error(
                    "unit",
                    _("Milestone “%(m)s” is counted in %(unit)s, not in %(given)s.")
                    % {
                        "m": milestone.name,
                        "unit": milestone.get_quantity_unit_display(),
                        "given": QuantityUnit(unit).label,
                    },
                )
        if row.errors or project is None or month is None or milestone is None:
            errors += row.errors
            continue
        assert quantity is not None
        key = (project.pk, month)
        report = reports.get(key)
        fen = None if investment is None else int(investment * WAN)
        if report is None:
            report = reports[key] = _Report(number, project, month, fen, row.text("note"))
        elif fen is not None and report.investment_fen not in (None, fen):
            row.error(
                "investment",
                _("Differs from row %(row)s of the same report.") % {"row": report.row},
            )
        elif fen is not None:
            report.investment_fen = fen
        if (project.pk, month, milestone.pk) in seen:
            row.error(
                "milestone",
                _("Repeats row %(row)s (same project, month and milestone).")
                % {"row": seen[(project.pk, month, milestone.pk)]},
            )
        seen[(project.pk, month, milestone.pk)] = number
        report.lines.append(services.LineInput(milestone.pk, quantity, unit))
        errors += row.errors
    reject_if(errors)
    return _write_reports(actor, list(reports.values()), filename)


def _same_report(existing: ProgressReport, item: _Report) -> bool:
    lines = {line.milestone_id: line.quantity for line in existing.lines.all()}
    return existing.investment_fen == (item.investment_fen or 0) and lines == {
        line.milestone_id: Decimal(line.quantity) for line in item.lines
    }


@transaction.atomic
def _write_reports(actor: User, items: list[_Report], filename: str) -> ImportResult:
    existing = {
        (r.project_id, r.month): r
        for r in ProgressReport.objects.select_for_update()
        .filter(project__in=[i.project for i in items])
        .prefetch_related("lines")
    }
    created = updated = unchanged = 0
    for item in items:
        current = existing.get((item.project.pk, item.month))
        if current is not None and _same_report(current, item):
            unchanged += 1
            continue
        if current is not None and current.status == ReportStatus.APPROVED:
            raise ImportRejected(
                [
                    RowError(
                        item.row,
                        RH["month"],
                        _("The report for this month is approved and cannot change."),
                    )
                ]
            )
        _guarded(
            item.row,
            services.report_submit,
            actor=actor,
            project=item.project,
            month=item.month,
            investment_fen=item.investment_fen or 0,
            lines=item.lines,
            note=item.note,
            version=None if current is None else current.version,
        )
        if current is None:
            created += 1
        else:
            updated += 1
    if created or updated:
        services.record_import(
            actor, "project.report_import", filename, created, updated, unchanged
        )
    return ImportResult(created, updated, unchanged)


def template_rows(columns: list[Column]) -> list[list[str]]:
    return [[c.example for c in columns]]
