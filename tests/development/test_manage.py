"""Registering and changing key projects: the forms and API with their version checks, stage
moves with dates, land parcels, the roll-up summary, the Excel imports of projects and reports
(all or nothing, row and column messages, idempotent) and the daily recompute command."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from gridlight.core.errors import ConflictError, DomainError, ImportRejected
from gridlight.core.models import AuditEvent
from gridlight.core.spreadsheets import write_workbook
from gridlight.development import project_imports as pi
from gridlight.development import rollups, services
from gridlight.development.models import (
    Milestone,
    ProgressReport,
    Project,
    ProjectSnapshot,
)
from tests.conftest import World, login
from tests.development.conftest import Projects

pytestmark = pytest.mark.django_db


def _form(world: World, **change: Any) -> dict[str, Any]:
    data = {
        "code": "P-NEW",
        "name": "新建项目",
        "year": "2026",
        "kind": "general",
        "industry": "digital",
        "zone": "",
        "land_use": "",
        "street": world.open_street.code,
        "unit": "construction",
        "person": "王伟",
        "total_wan": "12000",
        "annual_wan": "3000",
        "planned_start": "2026-01-01",
        "planned_end": "2027-12-31",
        "stage": "signed",
        "signed_on": "2025-12-01",
    }
    data.update(change)
    return data


def test_project_form_registers_edits_with_version_and_refuses_bad_input(
    world: World, projects: Projects
) -> None:
    admin = login(world.users["district_admin"])
    assert admin.get("/development/projects/new/").status_code == 200
    negative = admin.post("/development/projects/new/", _form(world, total_wan="-1"))
    assert negative.status_code == 400
    assert "投资额不能为负数" in negative.content.decode()
    land = admin.post("/development/projects/new/", _form(world, kind="land"))
    assert land.status_code == 400
    assert "地块须填写用地性质" in land.content.decode()
    future = (timezone.localdate() + timedelta(days=5)).isoformat()
    late = admin.post("/development/projects/new/", _form(world, signed_on=future))
    assert "阶段日期不能晚于今天" in late.content.decode()
    assert not Project.objects.filter(code="P-NEW").exists()
    assert admin.post("/development/projects/new/", _form(world)).status_code == 302
    project = Project.objects.get(code="P-NEW")
    assert project.total_investment_fen == 12_000 * 1_000_000
    url = f"/development/projects/{project.pk}/edit/"
    assert admin.get(url).status_code == 200
    saved = admin.post(url, _form(world, name="改名项目", version=project.version))
    assert saved.status_code == 302
    # A second save with the version read before the first: told to reload, nothing changed.
    stale = admin.post(url, _form(world, name="又改名", version=project.version))
    assert stale.status_code == 409
    assert Project.objects.get(pk=project.pk).name == "改名项目"
    actions = set(
        AuditEvent.objects.filter(object_id=str(project.pk)).values_list("action", flat=True)
    )
    assert {"project.create", "project.update"} <= actions
    # A street's staff may not register or edit projects.
    staff = login(world.users["street_staff"])
    assert staff.get("/development/projects/new/").status_code == 403
    edit = staff.get(f"/development/projects/{projects.demolition.pk}/edit/")
    assert edit.status_code == 403


def test_milestones_change_with_version_keep_their_unit_once_reported(
    world: World, projects: Projects
) -> None:
    admin = world.users["district_admin"]
    client = login(admin)
    road = projects.road
    page = client.get(f"/development/projects/{road.pk}/milestones/new/").content.decode()
    assert 'value="km" selected' in page  # a road is measured in km
    added = client.post(
        f"/development/projects/{road.pk}/milestones/new/",
        {
            "name": "辅道",
            "quantity_unit": "km",
            "planned_quantity": "1.5",
            "planned_start": "2026-03-01",
            "planned_end": "2026-10-31",
            "weight": "2",
        },
    )
    assert added.status_code == 302
    side = Milestone.objects.get(project=road, name="辅道")
    data = services.MilestoneInput("辅道", "km", "2", date(2026, 3, 1), date(2026, 10, 31), 2)
    services.milestone_update(actor=admin, milestone=side, version=side.version, data=data)
    with pytest.raises(ConflictError):
        services.milestone_update(actor=admin, milestone=side, version=side.version, data=data)
    assert Milestone.objects.get(pk=side.pk).planned_quantity == Decimal(2)
    # Reported in m²: the demolition's milestone keeps its unit and cannot be removed.
    report = services.report_submit(
        actor=world.users["street_staff"],
        project=projects.demolition,
        month=date(2026, 3, 1),
        investment_fen=0,
        lines=[services.LineInput(projects.houses.pk, "100", "m2")],
    )
    assert report.pk
    houses = projects.houses
    with pytest.raises(DomainError, match=r"cannot change|不能更改"):
        services.milestone_update(
            actor=admin,
            milestone=houses,
            version=houses.version,
            data=services.MilestoneInput(
                houses.name, "mu", "300", houses.planned_start, houses.planned_end
            ),
        )
    removed = client.post(
        f"/development/milestones/{houses.pk}/delete/", {"version": houses.version}
    )
    assert removed.status_code == 302
    assert Milestone.objects.filter(pk=houses.pk).exists()
    client.post(f"/development/milestones/{side.pk}/delete/", {"version": side.version + 1})
    assert not Milestone.objects.filter(pk=side.pk).exists()
    # Out of scope: the twin street's staff do not reach the milestone's form.
    twin = login(world.twins["street_staff"])
    assert twin.get(f"/development/milestones/{houses.pk}/edit/").status_code == 404


def test_stages_move_on_in_order_with_dates(world: World, projects: Projects) -> None:
    admin = world.users["district_admin"]
    road = projects.road  # signed, not started
    with pytest.raises(DomainError, match="later stage"):
        services.project_advance(
            actor=admin, project=road, version=road.version, stage="signed", on=date(2026, 3, 1)
        )
    with pytest.raises(DomainError, match="future"):
        services.project_advance(
            actor=admin,
            project=road,
            version=road.version,
            stage="started",
            on=timezone.localdate() + timedelta(days=1),
        )
    started = services.project_advance(
        actor=admin, project=road, version=road.version, stage="started", on=date(2026, 3, 5)
    )
    assert (started.stage, started.started_on) == ("started", date(2026, 3, 5))
    with pytest.raises(DomainError, match="out of order"):
        services.project_advance(
            actor=admin,
            project=started,
            version=started.version,
            stage="completed",
            on=date(2026, 3, 1),
        )
    with pytest.raises(ConflictError):
        services.project_advance(
            actor=admin, project=road, version=road.version, stage="building", on=date(2026, 4, 1)
        )
    # The responsible unit (construction's handler) moves its own project on, by the page.
    handler = login(world.users["department_handler"])
    done = handler.post(
        f"/development/projects/{road.pk}/stage/",
        {"stage": "completed", "on": "2026-11-30", "version": started.version},
    )
    assert done.status_code == 302
    fresh = Project.objects.get(pk=road.pk)
    assert (fresh.stage, fresh.completed_on) == ("completed", date(2026, 11, 30))
    assert AuditEvent.objects.filter(action="project.stage", object_id=str(road.pk)).count() == 2


def test_summary_rolls_up_lights_investment_and_quantities(
    world: World, projects: Projects
) -> None:
    admin = world.users["district_admin"]
    report = services.report_submit(
        actor=world.users["street_staff"],
        project=projects.demolition,
        month=date(2026, 3, 1),
        investment_fen=400_000_000,
        lines=[services.LineInput(projects.houses.pk, "157000", "m2")],
    )
    services.report_approve(actor=admin, report=report, version=report.version)
    services.lights_recompute(actor=admin, as_of=date(2026, 6, 30))
    summary = rollups.summary(admin, by="zone", year=2026)
    vitality = next(r for r in summary.rows if r.key == "vitality")
    assert (vitality.projects, vitality.green, vitality.red) == (2, 1, 1)
    assert vitality.invested_fen == 400_000_000
    assert vitality.annual_fen == 2_000_000_000 + 30_000_000_000
    assert summary.total.projects == Project.objects.filter(year=2026).count()
    by_street = rollups.summary(world.users["street_staff"], by="street", year=2026)
    assert [r.label for r in by_street.rows] == [world.secret_street.name]  # its own only
    quantities = {(q.kind, q.unit): q for q in rollups.quantities(admin, year=2026)}
    demolished = quantities[("Demolition task", "m²")]
    assert demolished.done == Decimal(157000)
    page = login(world.users["district_admin"]).get(
        "/development/projects/summary/?by=industry&year=2026"
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="summary"' in body
    assert "重点项目分类汇总" in body  # Chinese first
    assert "/development/projects/?industry=other&amp;year=2026" in body  # rows link to lists
    api = login(world.users["district_admin"]).get("/api/v1/projects/summary?by=unit&year=2026")
    assert api.status_code == 200
    assert api.json()["total"]["projects"] == summary.total.projects


def _projects_book(rows: list[dict[str, Any]]) -> bytes:
    keys = [c.key for c in pi.PROJECT_COLUMNS]
    return write_workbook(
        pi.PROJECT_SHEET, pi.PROJECT_COLUMNS, [[r.get(k, "") for k in keys] for r in rows]
    )


def _row(world: World, **change: Any) -> dict[str, Any]:
    row = {
        "code": "KP-IMP-1",
        "name": "导入项目",
        "year": "2026",
        "kind": "道路项目",
        "industry": "other",
        "zone": "中央活力区",
        "street": world.open_street.code,
        "unit": "construction",
        "total": "5000",
        "annual": "1000",
        "stage": "签约",
        "planned_start": "2026-01-01",
        "planned_end": "2027-06-30",
        "milestone": "主路",
        "m_unit": "km",
        "m_quantity": "3.2",
        "m_start": "2026-01-01",
        "m_end": "2027-06-30",
    }
    row.update(change)
    return row


def test_project_import_is_all_or_nothing_idempotent_with_row_messages(
    world: World, projects: Projects
) -> None:
    admin = world.users["district_admin"]
    good = [
        _row(world),
        {
            "code": "KP-IMP-1",
            "milestone": "辅路",
            "m_unit": "km",
            "m_quantity": "1",
            "m_start": "2026-03-01",
            "m_end": "2026-12-31",
            "m_weight": "2",
        },
        _row(
            world,
            code="KP-IMP-2",
            kind="land",
            land_use="住宅",
            milestone="供地",
            m_unit="亩",
            m_quantity="85",
            total="0",
            annual="0",
        ),
    ]
    bad = [*good, _row(world, code="KP-IMP-3", total="-5", m_unit="公顷")]
    with pytest.raises(ImportRejected) as rejected:
        pi.import_projects(actor=admin, upload=io.BytesIO(_projects_book(bad)))
    messages = {(e.row, e.column): e.message for e in rejected.value.errors}
    assert "cannot be negative" in messages[(5, "总投资(万元)")]
    assert (5, "计量单位") in messages
    assert not Project.objects.filter(code__startswith="KP-IMP").exists()
    result = pi.import_projects(actor=admin, upload=io.BytesIO(_projects_book(good)))
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    road = Project.objects.get(code="KP-IMP-1")
    assert (road.kind, road.zone, road.total_investment_fen) == ("road", "vitality", 5 * 10**9)
    assert list(road.milestones.values_list("name", "weight")) == [("主路", 1), ("辅路", 2)]
    parcel = Project.objects.get(code="KP-IMP-2")
    assert (parcel.land_use, parcel.milestones.get().quantity_unit) == ("residential", "mu")
    again = pi.import_projects(actor=admin, upload=io.BytesIO(_projects_book(good)))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = [_row(world, m_quantity="3.5")]
    third = pi.import_projects(actor=admin, upload=io.BytesIO(_projects_book(changed)))
    assert (third.created, third.updated) == (0, 1)
    assert road.milestones.get(name="主路").planned_quantity == Decimal("3.5")
    # A street's staff may not register projects: the street column says so.
    with pytest.raises(ImportRejected) as refused:
        pi.import_projects(
            actor=world.users["street_staff"],
            upload=io.BytesIO(_projects_book([_row(world, code="KP-IMP-9")])),
        )
    assert refused.value.errors[0].column == "街道编码"
    # The page: template download and upload.
    client = login(admin)
    template = client.get("/development/projects/import/template/")
    assert template.status_code == 200
    upload = SimpleUploadedFile("p.xlsx", _projects_book(bad))
    page = client.post("/development/projects/import/", {"file": upload})
    assert page.status_code == 400


def _reports_book(rows: list[list[Any]]) -> bytes:
    return write_workbook(pi.REPORT_SHEET, pi.REPORT_COLUMNS, rows)


def test_report_import_checks_month_unit_and_scope_and_writes_nothing_on_error(
    world: World, projects: Projects
) -> None:
    staff = world.users["street_staff"]
    code = projects.demolition.code
    future = (timezone.localdate().replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    bad = [
        [code, "2026-03", "100", "房屋征收拆除", "5000", "平方米"],
        [code, future, "100", "房屋征收拆除", "5000", "m2"],
        [code, "2026-04", "100", "房屋征收拆除", "5000", "亩"],
        [code, "2026-05", "-1", "房屋征收拆除", "-5", "m2"],
        [projects.road.code, "2026-05", "1", "主线建设", "1", "km"],
        ["NO-SUCH", "2026-05", "1", "x", "1", "km"],
    ]
    with pytest.raises(ImportRejected) as rejected:
        pi.import_reports(actor=staff, upload=io.BytesIO(_reports_book(bad)))
    found = {(e.row, e.column) for e in rejected.value.errors}
    assert {(3, "月份"), (4, "计量单位"), (5, "本月完成投资(万元)"), (5, "本月完成量")} <= found
    assert {(6, "项目编号"), (7, "项目编号")} <= found  # not its unit's; unknown
    assert not ProgressReport.objects.filter(project=projects.demolition).exists()
    good = [
        [code, "2026-03", "100", "房屋征收拆除", "5000", "平方米"],
        [code, "2026-04", "", "房屋征收拆除", "7000", "m2"],
    ]
    result = pi.import_reports(actor=staff, upload=io.BytesIO(_reports_book(good)))
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    march = ProgressReport.objects.get(project=projects.demolition, month=date(2026, 3, 1))
    assert march.investment_fen == 100 * 1_000_000
    again = pi.import_reports(actor=staff, upload=io.BytesIO(_reports_book(good)))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    services.report_approve(
        actor=world.users["district_admin"], report=march, version=march.version
    )
    changed = [[code, "2026-03", "100", "房屋征收拆除", "6000", "m2"]]
    with pytest.raises(ImportRejected) as approved:
        pi.import_reports(actor=staff, upload=io.BytesIO(_reports_book(changed)))
    assert approved.value.errors[0].row == 2
    assert ProgressReport.objects.get(pk=march.pk).lines.get().quantity == Decimal(5000)
    client = login(staff)
    assert client.get("/development/projects/reports/import/template/").status_code == 200
    assert (
        login(world.users["resident"]).get("/development/projects/reports/import/").status_code
        == 403
    )


def test_api_creates_and_changes_projects_with_version_and_clear_4xx(
    world: World, projects: Projects
) -> None:
    client = login(world.users["district_admin"])
    body = {
        "code": "P-API",
        "name": "接口项目",
        "year": 2026,
        "industry": "energy",
        "street_code": world.open_street.code,
        "unit_code": "construction",
        "total_investment_fen": 100,
        "annual_investment_fen": 50,
        "planned_start": "2026-01-01",
        "planned_end": "2026-12-31",
    }
    negative = client.post(
        "/api/v1/projects", {**body, "total_investment_fen": -1}, content_type="application/json"
    )
    assert negative.status_code == 400
    assert "投资额不能为负数" in negative.json()["detail"]
    made = client.post("/api/v1/projects", body, content_type="application/json")
    assert made.status_code == 201
    pk, version = made.json()["id"], made.json()["version"]
    url = f"/api/v1/projects/{pk}"
    changed = client.put(url, {**body, "name": "改", "version": version}, "application/json")
    assert changed.status_code == 200
    stale = client.put(url, {**body, "name": "再改", "version": version}, "application/json")
    assert stale.status_code == 409
    milestone = client.post(
        f"{url}/milestones",
        {
            "name": "投资",
            "quantity_unit": "yuan",
            "planned_quantity": "100",
            "planned_start": "2026-01-01",
            "planned_end": "2026-12-31",
        },
        "application/json",
    )
    assert milestone.status_code == 201
    stage = client.post(
        f"{url}/stage",
        {"stage": "started", "on": "2026-02-01", "version": version + 1},
        "application/json",
    )
    assert stage.status_code == 200
    assert stage.json()["stage"] == "started"
    other = login(world.users["street_staff"])  # the secret street's: not its project
    assert other.put(url, {**body, "version": 3}, "application/json").status_code == 404


def test_recompute_command_is_idempotent(world: World, projects: Projects) -> None:
    def snapshots() -> list[tuple[Any, ...]]:
        return sorted(
            ProjectSnapshot.objects.values_list("project_id", "month", "light", "actual_pct")
        )

    def rows() -> list[tuple[Any, ...]]:
        return list(Project.objects.order_by("pk").values_list("light", "planned_pct", "version"))

    call_command("recompute_project_lights", "--as-of", "2026-06-30", stdout=io.StringIO())
    first, lights = snapshots(), rows()
    call_command("recompute_project_lights", "--as-of", "2026-06-30", stdout=io.StringIO())
    assert (snapshots(), rows()) == (first, lights)
    assert len(first) == Project.objects.count()
    # The daily task (Celery beat's recompute-project-lights) runs the same, as of last month.
    from django.conf import settings

    from gridlight.development.tasks import recompute_project_lights

    entry = settings.CELERY_BEAT_SCHEDULE["recompute-project-lights"]
    assert entry["task"] == recompute_project_lights.name
    assert sum(recompute_project_lights().values()) == Project.objects.count()
