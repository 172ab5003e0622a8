"""Enterprise and talent rosters: the template, all-or-nothing with row and column messages
(the services' own checks), matched by code and ID number so a round trip adds nothing, and
exports masked unless revealed (audited)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from gridlight.core.errors import ImportRejected
from gridlight.core.models import AuditEvent
from gridlight.core.spreadsheets import write_workbook
from gridlight.talent import imports
from gridlight.talent.models import Child, Enterprise, Talent
from tests.conftest import SECRET_ID, World, login

pytestmark = [pytest.mark.django_db]


def _book(sheet: str, columns: list, rows: list[list[object]]) -> io.BytesIO:
    data = io.BytesIO(write_workbook(sheet, columns, rows))
    data.name = "roster.xlsx"
    return data


def _enterprise_row(world: World, code: str, name: str = "名册企业") -> list[object]:
    return [
        name,
        code,
        "数字经济",
        world.open_street.code,
        "某路1号",
        30,
        5_000_000,
        2025,
        2023,
        "国家级小巨人",
        2024,
        "",
        "",
    ]


def test_an_enterprise_roster_is_imported_then_matched_by_code(world: World) -> None:
    admin = world.users["district_admin"]
    rows = [_enterprise_row(world, "91350100M000100Y43")]
    result = imports.import_enterprises(
        actor=admin, upload=_book("enterprises", imports.ENTERPRISE_COLUMNS, rows)
    )
    assert (result.created, result.updated) == (1, 0)
    e = Enterprise.objects.get(credit_code="91350100M000100Y43")
    assert sorted(e.tags.values_list("kind", "level")) == [
        ("key_introduced", ""),
        ("srdi", "national"),
    ]
    assert AuditEvent.objects.filter(action="enterprise.create", object_id=str(e.pk)).count() == 1
    # The same file again changes nothing: no version, no tag, no audit row but the import's.
    again = imports.import_enterprises(
        actor=admin, upload=_book("enterprises", imports.ENTERPRISE_COLUMNS, rows)
    )
    assert (again.rows, again.created, again.updated) == (1, 0, 0)
    assert Enterprise.objects.get(pk=e.pk).version == e.version
    assert AuditEvent.objects.filter(action="enterprise.import").count() == 2
    assert not AuditEvent.objects.filter(action="enterprise.update").exists()
    # A changed row: that enterprise updated, its tags replaced by the file's, one audit row;
    # its R&D platforms (not in the roster) stay.
    e.platforms.create(name="院士工作站", kind="academician", level="municipal", year=2022)
    rows[0][5], rows[0][9], rows[0][10] = 45, "", None
    changed = imports.import_enterprises(
        actor=admin, upload=_book("enterprises", imports.ENTERPRISE_COLUMNS, rows)
    )
    assert (changed.created, changed.updated) == (0, 1)
    e2 = Enterprise.objects.get(pk=e.pk)
    assert (e2.headcount, e2.version) == (45, e.version + 1)
    assert list(e2.tags.values_list("kind", flat=True)) == ["key_introduced"]
    assert e2.platforms.count() == 1
    event = AuditEvent.objects.get(action="enterprise.update", object_id=str(e.pk))
    assert event.changes["headcount"] == [30, 45]
    assert event.changes["tags"][1] == ["key_introduced::2023"]


def test_the_enterprise_import_queries_do_not_grow_with_rows(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridlight.talent.creditcode import check_char

    admin = world.users["district_admin"]

    def codes(first: int, n: int) -> list[str]:
        bodies = [f"91370103MA{i:07d}" for i in range(first, first + n)]
        return [b + check_char(b) for b in bodies]

    # The roster's enterprises are re-matched in the import's transaction, set-based for more
    # than 20 (one by one below that, a handful of queries each): both sizes are above.
    counts = []
    for first, n in ((0, 21), (100, 30)):
        rows = [_enterprise_row(world, code, f"企业{code}") for code in codes(first, n)]
        book = _book("enterprises", imports.ENTERPRISE_COLUMNS, rows)
        with CaptureQueriesContext(connection) as ctx:
            assert imports.import_enterprises(actor=admin, upload=book).created == n
        counts.append(len(ctx.captured_queries))
        assert AuditEvent.objects.filter(action="enterprise.create").count() >= n
    assert counts[0] == counts[1]


def test_a_bad_roster_writes_nothing_and_names_row_and_column(world: World) -> None:
    admin = world.users["district_admin"]
    rows = [
        _enterprise_row(world, "91350100M000100Y43"),
        _enterprise_row(world, "91350100M00O100Y43", "坏代码企业"),
        [*_enterprise_row(world, "91110000100000000R", "无街道企业")[:3], "不存在街道", *[""] * 9],
        _enterprise_row(world, "91350100M000100Y43", "重复企业"),
    ]
    rows[0][5] = -4
    before = (Enterprise.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ImportRejected) as caught:
        imports.import_enterprises(
            actor=admin, upload=_book("enterprises", imports.ENTERPRISE_COLUMNS, rows)
        )
    found = [(e.row, e.column) for e in caught.value.errors]
    assert found == [(2, "职工人数"), (3, "统一社会信用代码"), (4, "街道"), (5, "统一社会信用代码")]
    assert "第12位" in caught.value.errors[1].message
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == before


def test_a_talent_roster_round_trips_through_the_revealed_export(world: World) -> None:
    admin = world.users["district_admin"]
    rows = [
        [
            "名册人才",
            "370103198802140027",
            "13900000333",
            world.open_street.code,
            "C类",
            "省级人才计划",
            "博士",
            "材料",
            world.open_enterprise.credit_code,
            "",
            "2022-07-01",
            "求职中",
            "人才公寓",
            "大宝 2015-02-01；2021-10-10",
        ],
    ]
    result = imports.import_talents(
        actor=admin, upload=_book("talents", imports.TALENT_COLUMNS, rows)
    )
    assert result.created == 1
    t = Talent.objects.get(name="名册人才")
    assert (t.level, t.origin, t.housing, t.employer) == (
        "C",
        "provincial",
        "apartment",
        world.open_enterprise,
    )
    assert list(Child.objects.filter(talent=t).values_list("name", flat=True)) == ["大宝", ""]

    client = login(admin)
    masked = load_workbook(io.BytesIO(client.get("/talent/talents/export/").content)).active
    assert masked is not None
    numbers = [r[1] for r in masked.iter_rows(min_row=2, values_only=True)]
    assert SECRET_ID not in numbers
    assert SECRET_ID[:4] + "*" * 14 in numbers
    # The roster needs ID numbers: the open street's talent has none on record.
    full = client.get(f"/talent/talents/export/?reveal=1&street={world.secret_street.code}").content
    assert AuditEvent.objects.filter(action="reveal.export").count() == 1
    before = Talent.objects.count()
    again = imports.import_talents(actor=admin, upload=io.BytesIO(full))
    assert again.created == 0
    assert Talent.objects.count() == before


def test_a_talent_roster_with_bad_rows_is_refused(world: World) -> None:
    admin = world.users["district_admin"]
    good = [
        "好人才",
        "370103198802140027",
        "",
        world.open_street.code,
        "B",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]
    rows = [
        good,
        ["坏身份证", "370103198802140028", "", world.open_street.code, "B", *[""] * 9],
        [
            "未来子女",
            "110101199203040036",
            "",
            world.open_street.code,
            "B",
            *[""] * 8,
            "小未 2999-01-01",
        ],
        [
            "无名企业",
            "110101199001010015",
            "",
            world.open_street.code,
            "B",
            "",
            "",
            "",
            "91350100M000100Y43",
            *[""] * 5,
        ],
        ["坏层次", "110101199001010023", "", world.open_street.code, "Z", *[""] * 9],
    ]
    with pytest.raises(ImportRejected) as caught:
        imports.import_talents(actor=admin, upload=_book("talents", imports.TALENT_COLUMNS, rows))
    found = [(e.row, e.column) for e in caught.value.errors]
    assert found == [
        (3, "身份证号"),
        (4, "子女(姓名 出生日期)"),
        (5, "工作单位信用代码"),
        (6, "人才层次"),
    ]
    assert not Talent.objects.filter(name="好人才").exists()


def test_import_pages_offer_template_and_error_report(world: World) -> None:
    client = login(world.users["district_admin"])
    template = load_workbook(io.BytesIO(client.get("/talent/talents/import/template/").content))
    assert [c.value for c in template["talents"][1]][:2] == ["姓名*", "身份证号*"] or [
        c.value for c in template["talents"][1]
    ][:2] == ["姓名", "身份证号"]
    bad = _book("enterprises", imports.ENTERPRISE_COLUMNS, [_enterprise_row(world, "X")])
    response = client.post("/talent/enterprises/import/", {"file": bad})
    assert response.status_code == 400
    report = load_workbook(
        io.BytesIO(client.get("/talent/enterprises/import/?report=1").content)
    ).active
    assert report is not None
    assert [c.value for c in report[2]][:2] == [2, "统一社会信用代码"]
    # Staff who may not change talents get no import page.
    assert login(world.users["street_staff"]).get("/talent/talents/import/").status_code == 403


def test_a_large_roster_is_imported_by_a_job(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any
) -> None:
    from gridlight.core.models import Job, JobStatus
    from gridlight.core.views import imports as import_pages

    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(import_pages, "SYNC_LIMIT", 0)  # every file is large
    client = login(world.users["district_admin"])
    row = ["工作人才", "110101199001010015", "", world.open_street.code, "D", *[""] * 9]
    started = client.post(
        "/talent/talents/import/", {"file": _book("talents", imports.TALENT_COLUMNS, [row])}
    )
    job = Job.objects.get(kind="talent.import")
    assert started["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE
    assert job.result["created"] == 1
    assert Talent.objects.filter(name="工作人才").exists()
    assert AuditEvent.objects.filter(action="talent.create", object_label="工作人才").exists()
    assert not list(tmp_path.joinpath("uploads").iterdir())


def test_a_large_enterprise_roster_is_imported_by_a_job(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any
) -> None:
    from gridlight.core.models import Job, JobStatus
    from gridlight.core.views import imports as import_pages

    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(import_pages, "SYNC_LIMIT", 0)  # every file is large
    client = login(world.users["district_admin"])
    rows = [_enterprise_row(world, "91350100M000100Y43", "后台企业")]
    started = client.post(
        "/talent/enterprises/import/",
        {"file": _book("enterprises", imports.ENTERPRISE_COLUMNS, rows)},
    )
    job = Job.objects.get(kind="talent.enterprise_import")
    assert started["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE
    assert job.result["created"] == 1
    assert AuditEvent.objects.filter(action="enterprise.create", object_label="后台企业").exists()
