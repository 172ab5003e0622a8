"""The development pages and API: Chinese first, scoped, query counts that do not grow with
the list, forms that go through the services."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from python_calamine import CalamineWorkbook

from gridlight.core.spreadsheets import write_workbook
from gridlight.development import imports, services
from gridlight.development.models import DataElement, DataValue, ProgressReport, Project
from tests.conftest import CANARY, World, login
from tests.development.conftest import Projects

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese() -> object:
    with translation.override("zh-hans"):
        yield


def _many(world: World, n: int) -> None:
    admin = world.users["district_admin"]
    for i in range(n):
        services.project_create(
            actor=admin,
            data=services.ProjectInput(
                code=f"P-MANY-{i}",
                name=f"项目{i}",
                year=2026,
                industry="digital",
                region=world.open_street,
                unit=world.units["construction"],
                total_investment_fen=100,
                annual_investment_fen=10,
                planned_start=date(2026, 1, 1),
                planned_end=date(2026, 12, 31),
            ),
        )


def test_project_list_is_scoped_filtered_and_its_queries_do_not_grow(
    world: World, projects: Projects
) -> None:
    staff = login(world.users["street_staff"])
    body = staff.get("/development/projects/").content.decode()
    assert "重点项目" in body
    assert CANARY in body  # the secret street's own project
    assert "党杨路立交" not in body
    twin = login(world.twins["street_staff"]).get("/development/projects/").content.decode()
    assert CANARY not in twin
    assert "党杨路立交" in twin
    admin = login(world.users["district_admin"])
    filtered = admin.get("/development/projects/?kind=road").content.decode()
    assert "党杨路立交" in filtered
    assert "片区征收" not in filtered

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get("/development/projects/").status_code == 200
        return len(ctx.captured_queries)

    queries()  # the session's first request reads more
    small = queries()
    _many(world, 30)
    assert queries() == small


def test_project_page_shows_progress_reasons_and_gantt(world: World, projects: Projects) -> None:
    admin = world.users["district_admin"]
    report = services.report_submit(
        actor=world.users["street_staff"],
        project=projects.demolition,
        month=date(2026, 5, 1),
        investment_fen=0,
        lines=[services.LineInput(projects.houses.pk, "157080", "m2")],
    )
    client = login(admin)
    page = client.get(f"/development/projects/{projects.demolition.pk}/")
    assert 'data-testid="gantt"' in page.content.decode()
    response = client.post(
        f"/development/reports/{report.pk}/approve/", {"version": report.version}
    )
    assert response.status_code == 302
    services.lights_recompute(actor=admin, as_of=date(2026, 6, 30))
    body = client.get(f"/development/projects/{projects.demolition.pk}/").content.decode()
    assert "74.80%" in body
    assert "房屋征收拆除" in body
    road = client.get(f"/development/projects/{projects.road.pk}/").content.decode()
    assert "天未开工" in road  # the late start, in Chinese
    assert 'data-testid="supervise"' in road
    supervise = client.post(
        f"/development/projects/{projects.road.pk}/supervise/",
        {"reason": "进度滞后", "version": Project.objects.get(pk=projects.road.pk).version},
    )
    assert supervise.status_code == 302
    assert Project.objects.get(pk=projects.road.pk).supervision is not None
    # The audit trail reads every event these services wrote.
    trail = client.get("/audit/")
    assert trail.status_code == 200
    assert "重点项目 · 已报送进度" in trail.content.decode()


def test_report_form_refuses_a_future_month_and_saves_through_the_service(
    world: World, projects: Projects
) -> None:
    staff = login(world.users["street_staff"])
    url = f"/development/projects/{projects.demolition.pk}/report/"
    field = f"m{projects.houses.pk}"
    future = staff.post(url, {"month": "2099-01", "investment_yuan": "1", field: "5"})
    assert future.status_code == 400
    assert "尚未开始的月份" in future.content.decode()
    assert not ProgressReport.objects.filter(project=projects.demolition).exists()
    ok = staff.post(url, {"month": "2026-03", "investment_yuan": "12.34", field: "500"})
    assert ok.status_code == 302
    report = ProgressReport.objects.get(project=projects.demolition)
    assert report.investment_fen == 1234
    # The month's report opens for correction with the version it was read at.
    again = staff.get(f"{url}?month=2026-03").content.decode()
    assert 'value="500.00"' in again
    assert f'name="version" value="{report.version}"' in again
    assert staff.get(f"{url}?month=junk").status_code == 200
    # Someone who may not report is sent back with the reason.
    other = login(world.users["department_handler"])
    assert other.get(url).status_code == 404  # not even visible to the department
    road = f"/development/projects/{projects.road.pk}/report/"
    assert other.get(road).status_code == 200
    assert login(world.users["district_admin"]).get(road).status_code == 302


def test_project_export(world: World, projects: Projects) -> None:
    response = login(world.users["street_staff"]).get("/development/projects/export/")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][0] == "项目编号"
    assert {r[0] for r in rows[1:]} == {"P-DEMOLITION", world.secret_project.code}


def test_indicator_pages_enter_approve_and_import(world: World) -> None:
    admin = login(world.users["district_admin"])
    gdp = DataElement.objects.get(code="gdp")
    body = admin.get("/development/indicators/").content.decode()
    assert "地区生产总值" in body
    url = f"/development/indicators/elements/{gdp.pk}/"
    response = admin.post(
        f"{url}values/", {"region": world.district.code, "period": "2026-01-01", "value": "305"}
    )
    assert response.status_code == 302
    value = DataValue.objects.get(region=world.district)
    admin.post(f"/development/indicators/values/{value.pk}/approve/", {"version": value.version})
    assert DataValue.objects.get(pk=value.pk).status == "approved"
    page = admin.get(f"{url}?region={world.district.code}").content.decode()
    assert "305.00" in page
    # The secret street's staff see their street's figure, not another street's.
    staff = login(world.twins["street_staff"])
    assert staff.get(f"{url}?region={world.secret_street.code}").status_code == 404
    upload = write_workbook(
        imports.SHEET, imports.COLUMNS, [["gdp", world.district.code, "2026Q2", "bad"]]
    )
    rejected = admin.post(
        "/development/indicators/import/", {"file": SimpleUploadedFile("values.xlsx", upload)}
    )
    assert rejected.status_code == 400
    assert "不是有效数字：bad" in rejected.content.decode()
    assert not DataValue.objects.filter(period=date(2026, 4, 1)).exists()
    assert admin.get("/audit/").status_code == 200


def test_contributions_page_computes_the_pull(world: World) -> None:
    from gridlight.development import indicator_services as svc

    admin = world.users["district_admin"]
    finance = svc.element_create(
        actor=admin,
        code="finance_va",
        name="金融业增加值",
        unit="亿元",
        aggregation="sum",
        period_type="quarter",
        gdp_part=True,
    )
    gdp = DataElement.objects.get(code="gdp")
    for element, period, v in (
        (gdp, date(2026, 1, 1), "305"),
        (gdp, date(2025, 1, 1), "280.4"),
        (finance, date(2026, 1, 1), "69.6"),
        (finance, date(2025, 1, 1), "62.31"),
    ):
        row = svc.value_enter(
            actor=admin, element=element, region=world.district, period=period, value=v
        )
        svc.value_approve(actor=admin, value=row, version=row.version)
    body = login(admin).get("/development/indicators/contributions/").content.decode()
    assert "金融业增加值" in body
    assert "2.60" in body  # its pull, in points
    api = login(admin).get(f"/api/v1/indicators/contributions?region={world.district.code}").json()
    pulls = {p["name"]: p["pull_points"] for p in api["parts"]}
    assert pulls["金融业增加值"] == "2.5999"  # 7.29 ÷ 280.4 × 100
    assert api["growth_pct"] == "8.7732"


def test_api_reports_and_refusals(world: World, projects: Projects) -> None:
    staff = login(world.users["street_staff"])
    url = f"/api/v1/projects/{projects.demolition.pk}/reports"
    body = {
        "month": "2026-03-01",
        "investment_fen": 0,
        "lines": [{"milestone_id": projects.houses.pk, "quantity": "10", "unit": "mu"}],
    }
    wrong = staff.post(url, json.dumps(body), content_type="application/json")
    assert wrong.status_code == 400
    assert "平方米" in wrong.json()["detail"]
    body["lines"][0]["unit"] = "m2"  # type: ignore[index]
    created = staff.post(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201
    again = staff.post(url, json.dumps(body), content_type="application/json")
    assert again.status_code == 409
    listed = staff.get("/api/v1/projects").json()
    assert {p["code"] for p in listed["items"]} == {"P-DEMOLITION", world.secret_project.code}
    twin = login(world.twins["street_staff"])
    assert twin.get(f"/api/v1/projects/{projects.demolition.pk}").status_code == 404
    approve = login(world.users["district_admin"]).post(
        f"/api/v1/reports/{created.json()['id']}/approve",
        json.dumps({"version": 1}),
        content_type="application/json",
    )
    assert approve.status_code == 200
    assert Project.objects.get(pk=projects.demolition.pk).light != ""


def test_the_indicator_list_pages_its_elements_so_its_queries_do_not_grow(world: World) -> None:
    """Each listed element reads its own series: the list shows a page of them, so a catalogue
    of 65 elements costs the same queries as one of 25; the rest are on the next pages."""
    admin = login(world.users["district_admin"])

    def add(n: int) -> None:
        start = DataElement.objects.count()
        DataElement.objects.bulk_create(
            DataElement(
                code=f"walk-{start + i}",
                name=f"指标{start + i}",
                unit="个",
                aggregation="sum",
                period_type="month",
            )
            for i in range(n)
        )

    add(max(0, 25 - DataElement.objects.count()))
    cache.clear()  # the pagers' counts are cached for a while: count them each time
    with CaptureQueriesContext(connection) as small:
        assert admin.get("/development/indicators/").status_code == 200
    add(40)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        first = admin.get("/development/indicators/").content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    last = admin.get("/development/indicators/?page=4").content.decode()
    newest = DataElement.objects.order_by("-pk").first()
    assert newest is not None
    assert newest.name in last
    assert newest.name not in first
