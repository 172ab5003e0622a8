"""Household import: all-or-nothing with row-level messages, idempotent; export masked."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from gridlight.core.errors import ImportRejected
from gridlight.core.idcard import check_digit
from gridlight.core.models import AuditEvent, Job, JobStatus
from gridlight.core.views import imports as import_pages
from gridlight.households.imports import check_and_import
from gridlight.households.models import AttributeValue, Household, Resident
from tests.conftest import SECRET_ID, World, login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = [
    "户编号",
    "网格编码",
    "地址",
    "户属性",
    "姓名",
    "身份证号",
    "联系电话",
    "与户主关系",
    "居民属性",
]


def idn(body17: str) -> str:
    return body17 + check_digit(body17)


def book(rows: list[list[Any]], merge: str | None = None) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def good_rows(world: World) -> list[list[Any]]:
    g = world.open_grid.code
    return [
        HEADER,
        [
            "IMP-1",
            g,
            "公开路2号",
            "低保",
            "甲一",
            idn("11010119500101003"),
            "13800000001",
            "户主",
            "残疾(3级)",
        ],
        ["IMP-1", g, "公开路2号", "", "甲二", idn("11010119520202004"), "", "配偶", ""],
        [
            "IMP-2",
            g,
            "公开路3号",
            "独居",
            "乙一",
            idn("11010119300303005"),
            "0531-86000000",
            "户主",
            "慢性病",
        ],
        [],
        ["IMP-3", g, "公开路4号", "", "丙一", "", "", "户主", ""],
    ]


def test_a_good_file_is_imported_and_classified(world: World) -> None:
    # The open street's staff import into the open street.
    summary = check_and_import(actor=world.twins["street_staff"], upload=book(good_rows(world)))
    assert (summary.households_created, summary.residents_created, summary.rows) == (3, 4, 4)
    h1 = Household.objects.get(code="IMP-1")
    assert h1.light == "yellow"  # 低保 and a grade-3 disability
    assert Household.objects.get(code="IMP-2").light == "red"  # 96 and living alone
    grades = dict(AttributeValue.objects.filter(household=h1).values_list("attribute_id", "grade"))
    assert grades == {"subsistence_allowance": None, "disability": 3}
    assert AuditEvent.objects.filter(action="household.import").count() == 1


def test_importing_the_same_file_again_adds_nothing(world: World) -> None:
    actor = world.twins["street_staff"]
    check_and_import(actor=actor, upload=book(good_rows(world)))
    counts = (Household.objects.count(), Resident.objects.count(), AttributeValue.objects.count())
    again = check_and_import(actor=actor, upload=book(good_rows(world)))
    assert (again.households_created, again.residents_created) == (0, 0)
    assert (again.households_updated, again.residents_updated) == (0, 4)
    assert counts == (
        Household.objects.count(),
        Resident.objects.count(),
        AttributeValue.objects.count(),
    )


def test_a_bad_file_writes_nothing_and_names_every_row(world: World) -> None:
    g = world.open_grid.code
    rows = [
        *good_rows(world),
        ["IMP-4", g, "公开路5号", "", "坏号", "110101195001010030", "", "户主", ""],  # check digit
        ["IMP-5", g, "公开路6号", "", "重号", idn("11010119500101003"), "", "户主", ""],
        ["IMP-6", g, "公开路7号", "", "已登记", SECRET_ID, "", "户主", ""],
        ["IMP-7", "999", "某路", "", "无网格", "", "", "户主", ""],
        ["IMP-8", world.secret_grid.code, "某路", "", "越权", "", "", "户主", ""],
        ["IMP-9", g, "公开路8号", "", "怪属性", "", "", "户主", "外星人"],
        ["IMP-10", g, "公开路9号", "", "怪关系", "", "", "邻居", ""],
        ["IMP-11", g, "公开路10号", "", "", "", "", "户主", ""],
        ["IMP-1", g, "别的地址", "", "不一致", "", "", "子女", ""],
        ["IMP-12", g, "公开路11号", "", "坏电话", "", "12345", "户主", ""],
    ]
    before = (Household.objects.count(), Resident.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ImportRejected) as caught:
        check_and_import(actor=world.twins["street_staff"], upload=book(rows))
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {
        (7, "身份证号"),
        (8, "身份证号"),
        (9, "身份证号"),
        (10, "网格编码"),
        (11, "网格编码"),
        (12, "居民属性"),
        (13, "与户主关系"),
        (14, "姓名"),
        (15, "地址"),
        (16, "联系电话"),
    }
    messages = {e.row: e.message for e in caught.value.errors}
    assert "should be" in messages[7]
    assert "repeats row 2" in messages[8]
    assert "another household" in messages[9]
    assert before == (
        Household.objects.count(),
        Resident.objects.count(),
        AuditEvent.objects.count(),
    )


def test_headers_merged_cells_and_non_workbooks_are_refused(world: World) -> None:
    actor = world.users["district_admin"]
    with pytest.raises(ImportRejected) as caught:
        check_and_import(actor=actor, upload=book([["户编号", "姓名", "乱列"]]))
    text = " ".join(e.message for e in caught.value.errors)
    assert "Unknown column header: 乱列" in text
    assert "Required column is missing: 网格编码" in text
    with pytest.raises(ImportRejected, match="Merged cells"):
        check_and_import(actor=actor, upload=book(good_rows(world), merge="A2:A3"))
    with pytest.raises(ImportRejected, match="not an Excel workbook"):
        check_and_import(actor=actor, upload=io.BytesIO(b"PK\x03\x04 not really"))
    with pytest.raises(ImportRejected, match="no data rows"):
        check_and_import(actor=actor, upload=book([HEADER]))


def test_import_page_offers_the_error_report(world: World) -> None:
    client = login(world.users["district_admin"])
    bad = book([HEADER, ["X-1", "999", "某路", "", "无网格", "", "", "户主", ""]])
    bad.name = "bad.xlsx"
    response = client.post("/households/import/", {"file": bad})
    assert response.status_code == 400
    report = client.get("/households/import/?report=1")
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:2] == [2, "网格编码"]


def test_a_large_import_runs_as_a_job_whose_page_offers_the_error_report(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(import_pages, "SYNC_LIMIT", 0)  # every file is large
    client = login(world.users["district_admin"])
    bad = book([HEADER, ["X-1", "999", "某路", "", "无网格", "", "", "户主", ""]])
    bad.name = "bad.xlsx"
    started = client.post("/households/import/", {"file": bad})
    job = Job.objects.get(kind="households.import")
    assert started["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.FAILED
    # Created with every parameter at once: nothing was written into it after it started.
    assert job.params["report_page"] == "/households/import/"
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'href="/households/import/?job={job.pk}"' in page
    report = client.get(f"/households/import/?job={job.pk}")
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:2] == [2, "网格编码"]
    assert not list(tmp_path.joinpath("uploads").iterdir())  # the saved upload is gone


def test_export_masks_numbers_unless_revealed_and_audits_the_reveal(world: World) -> None:
    client = login(world.users["grid_worker"])
    masked = load_workbook(io.BytesIO(client.get("/households/export/").content)).active
    assert masked is not None
    rows = list(masked.iter_rows(values_only=True))
    assert rows[1][5] == SECRET_ID[:4] + "*" * 14
    full = load_workbook(io.BytesIO(client.get("/households/export/?reveal=1").content)).active
    assert full is not None
    assert list(full.iter_rows(values_only=True))[1][5] == SECRET_ID
    assert AuditEvent.objects.filter(action="reveal.export").count() == 1
    # The export round-trips: importing it back adds nothing.
    admin = world.users["district_admin"]
    data = client.get("/households/export/?reveal=1").content
    result = check_and_import(actor=admin, upload=io.BytesIO(data))
    assert (result.households_created, result.residents_created) == (0, 0)


def test_a_one_row_import_reclassifies_only_the_households_it_touches(world: World) -> None:
    from gridlight.households.models import LightChange

    # A household the file does not mention, whose stored light no longer matches its data:
    # only a recompute of everything would notice, and a one-row import must not do one.
    stale = world.open_household
    stored = "red" if stale.light != "red" else "green"
    Household.objects.filter(pk=stale.pk).update(
        light=stored, computed_light=stored, light_reasons="stale"
    )
    history = LightChange.objects.filter(household=stale).count()
    row = ["ONE-1", world.open_grid.code, "公开路20号", "", "单行", "", "", "户主", ""]
    summary = check_and_import(actor=world.twins["street_staff"], upload=book([HEADER, row]))
    assert (summary.households_created, summary.residents_created) == (1, 1)
    stale.refresh_from_db()
    assert (stale.light, stale.light_reasons) == (stored, "stale")
    assert LightChange.objects.filter(household=stale).count() == history
    new = Household.objects.get(code="ONE-1")
    assert new.light_at is not None  # the new household is classified
    assert LightChange.objects.filter(household=new, cause="data-change").count() == 1


def test_an_import_of_many_households_is_classified_set_based(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridlight.households import imports
    from gridlight.households.models import LightChange

    monkeypatch.setattr(imports, "CLASSIFY_ONE_BY_ONE", 0)  # three households count as many
    check_and_import(actor=world.twins["street_staff"], upload=book(good_rows(world)))
    assert Household.objects.get(code="IMP-1").light == "yellow"
    assert Household.objects.get(code="IMP-2").light == "red"
    assert LightChange.objects.filter(household__code="IMP-2", cause="recompute").count() == 1


@pytest.mark.parametrize("one_by_one", [True, False])
def test_imported_households_get_the_next_visit_of_their_own_light(
    world: World, monkeypatch: pytest.MonkeyPatch, one_by_one: bool
) -> None:
    # Written green with a green household's next visit until classified: those that turn out
    # red or yellow must not keep it, one by one or set-based.
    from datetime import timedelta

    from gridlight.households import imports
    from gridlight.households.classify import intervals
    from gridlight.households.models import LightChange

    if not one_by_one:
        monkeypatch.setattr(imports, "CLASSIFY_ONE_BY_ONE", 0)
    check_and_import(actor=world.twins["street_staff"], upload=book(good_rows(world)))
    gaps = intervals()
    got = {
        h.code: (h.light, h.next_visit_due - h.registered_on)
        for h in Household.objects.filter(code__startswith="IMP-")
    }
    assert got == {
        "IMP-1": ("yellow", timedelta(days=gaps["yellow"])),
        "IMP-2": ("red", timedelta(days=gaps["red"])),
        "IMP-3": ("green", timedelta(days=gaps["green"])),
    }
    firsts = LightChange.objects.filter(household__code__startswith="IMP-")
    assert sorted(firsts.values_list("from_light", "to_light")) == [
        ("", "green"),
        ("", "red"),
        ("", "yellow"),
    ]
