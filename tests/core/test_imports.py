"""Excel import and export: all-or-nothing with row-level messages, idempotent by code."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from gridlight.core import imports
from gridlight.core.errors import ImportRejected
from gridlight.core.models import AuditEvent, Region, ServicePosition
from tests.conftest import World, login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

REGION_HEADER = ["编码", "名称", "类型", "上级编码", "排序"]
POSITION_HEADER = [
    "编码",
    "名称",
    "类型",
    "所属区域编码",
    "地址",
    "经度",
    "纬度",
    "开放时间",
    "服务项目",
    "服务电话",
]


def workbook(rows: list[list[Any]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def snapshot() -> tuple[int, int, int]:
    return Region.objects.count(), ServicePosition.objects.count(), AuditEvent.objects.count()


def test_region_import_creates_tree_and_second_run_changes_nothing(world: World) -> None:
    admin = world.users["district_admin"]
    rows = [
        REGION_HEADER,
        ["900001003", "新街道", "街道", "900001", 3],
        # A child listed before its parent: order in the file does not matter.
        ["90000100300101", "新社区第1网格", "网格", "900001003001", None],
        ["900001003001", "新社区", "社区", "900001003", 1],
        ["900001003002", "小新村", "村", "900001003", 2],
    ]
    result = imports.import_regions(actor=admin, upload=workbook(rows))
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    street = Region.objects.get(code="900001003")
    grid = Region.objects.get(code="90000100300101")
    assert grid.path.startswith(street.path + ".")
    assert grid.level == 3
    assert Region.objects.get(code="900001003002").kind == "village"
    assert AuditEvent.objects.filter(action="region.import").count() == 1

    before = snapshot()
    again = imports.import_regions(actor=admin, upload=workbook(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert snapshot() == before


def test_bad_region_file_writes_nothing_and_names_each_row(world: World) -> None:
    rows = [
        REGION_HEADER,
        ["900001004", "好街道", "街道", "900001", 1],  # fine on its own
        ["900001005", "", "街道", "900001", 1],  # row 3: no name
        ["900001006", "错层", "网格", "900001", 1],  # row 4: grid under a district
        ["900001004", "重复", "街道", "900001", 1],  # row 5: repeats row 2's code
        ["900001007", "孤儿社区", "社区", "999999", 1],  # row 6: unknown parent
        ["900001008", "怪类型", "小区", "900001", "x"],  # row 7: bad kind, bad sort order
    ]
    before = snapshot()
    with pytest.raises(ImportRejected) as caught:
        imports.import_regions(actor=world.users["district_admin"], upload=workbook(rows))
    found = {(e.row, e.column) for e in caught.value.errors}
    assert {
        (3, "名称"),
        (4, "类型"),
        (5, "编码"),
        (6, "上级编码"),
        (7, "类型"),
        (7, "排序"),
    } <= found
    assert not any(e.row == 2 for e in caught.value.errors)
    assert snapshot() == before


def test_region_import_respects_write_scope(world: World) -> None:
    rows = [REGION_HEADER, ["90000100100102", "越权网格", "网格", "900001001001", 1]]
    with pytest.raises(ImportRejected) as caught:
        imports.import_regions(actor=world.twins["community_secretary"], upload=workbook(rows))
    assert "may not add" in caught.value.errors[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a workbook", "text (CSV), not a workbook"),
        (b"", "The file is empty."),
        (b"PK\x03\x04 not really", "not an Excel workbook"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused(
    world: World, content: bytes, message: str
) -> None:
    with pytest.raises(ImportRejected) as caught:
        imports.import_regions(actor=world.users["district_admin"], upload=io.BytesIO(content))
    assert message in caught.value.errors[0].message


def test_wrong_headers_are_reported(world: World) -> None:
    with pytest.raises(ImportRejected) as caught:
        imports.import_regions(
            actor=world.users["district_admin"], upload=workbook([["编码", "名字", "类型", "类型"]])
        )
    messages = [e.message for e in caught.value.errors]
    assert any("Unknown column header: 名字" in m for m in messages)
    assert any("appears twice" in m for m in messages)
    assert any("Required column is missing: 名称" in m for m in messages)


def test_blank_rows_and_full_width_digits_are_tolerated(world: World) -> None:
    rows = [[], REGION_HEADER, [], ["９００００１００９", " 全角街道 ", "街道", "900001", "２"], []]
    imports.import_regions(actor=world.users["district_admin"], upload=workbook(rows))
    street = Region.objects.get(code="900001009")
    assert (street.name, street.sort_order) == ("全角街道", 2)


def test_region_export_round_trips(world: World) -> None:
    admin = world.users["district_admin"]
    content = imports.export_regions(Region.objects.filter(path__startswith=world.district.path))
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编码*", "名称*", "类型*", "上级编码")
    assert ("900001001", "CANARY街道", "街道", "900001", 0) in rows
    before = snapshot()
    result = imports.import_regions(actor=admin, upload=io.BytesIO(content))
    assert result.created == result.updated == 0
    assert snapshot() == before


def test_position_import_validates_every_row(world: World) -> None:
    rows = [
        POSITION_HEADER,
        [
            "WH-NEW-1",
            "新暖心驿站",
            "暖心驿站",
            world.open_grid.code,
            "测试路2号",
            116.98,
            36.62,
            "全天",
            "饮水；充电",
            "0531-80000000",
        ],
        ["WH-NEW-2", "坏坐标", "暖心驿站", world.open_grid.code, "", "东经", 36.6, "", "", ""],
        ["WH-NEW-3", "缺纬度", "暖心驿站", world.open_grid.code, "", 116.9, None, "", "", ""],
        ["WH-NEW-4", "越界", "暖心驿站", world.open_grid.code, "", 200, 36.6, "", "", ""],
        ["WH-NEW-5", "无此区域", "网格驿站", "123", "", None, None, "", "", ""],
        ["WH-NEW-6", "怪类型", "公园", world.open_grid.code, "", None, None, "", "", ""],
    ]
    before = snapshot()
    with pytest.raises(ImportRejected) as caught:
        imports.import_positions(actor=world.users["district_admin"], upload=workbook(rows))
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(3, "经度"), (4, "纬度"), (5, "经度"), (6, "所属区域编码"), (7, "类型")}
    assert snapshot() == before

    good = imports.import_positions(actor=world.users["district_admin"], upload=workbook(rows[:2]))
    assert good.created == 1
    p = ServicePosition.objects.get(code="WH-NEW-1")
    assert p.services == ["饮水", "充电"]
    assert p.region_path == world.open_grid.path
    again = imports.import_positions(actor=world.users["district_admin"], upload=workbook(rows[:2]))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_position_import_outside_write_scope_is_refused(world: World) -> None:
    rows = [
        POSITION_HEADER,
        [
            world.secret_positions[0].code,
            "改名",
            "党群服务中心",
            world.secret_community.code,
            "",
            None,
            None,
            "",
            "",
            "",
        ],
    ]
    with pytest.raises(ImportRejected):
        imports.import_positions(actor=world.twins["street_staff"], upload=workbook(rows))
    assert ServicePosition.objects.get(pk=world.secret_positions[0].pk).name != "改名"


def test_import_page_lists_row_errors(world: World) -> None:
    client = login(world.users["district_admin"])
    bad = workbook([REGION_HEADER, ["900001010", "", "街道", "900001", 1]])
    bad.name = "bad.xlsx"
    response = client.post("/regions/import/", {"file": bad})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="import-errors"' in body
    assert "名称" in body
    assert not Region.objects.filter(code="900001010").exists()


def test_template_download_has_headers_and_notes(world: World) -> None:
    response = login(world.users["district_admin"]).get("/positions/template/")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    first = book.worksheets[0]
    assert [c.value for c in first[1]][:4] == ["编码*", "名称*", "类型*", "所属区域编码*"]
    assert first.max_row == 1  # header only: importing the template as is adds nothing
    assert len(book.worksheets) == 2


def test_console_import_sets_up_a_new_district(tmp_path: Any, world: World) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "tree.xlsx"
    path.write_bytes(
        workbook(
            [
                REGION_HEADER,
                ["910000", "新区", "区", "", 1],
                ["910000001", "新区街道", "街道", "910000", 1],
            ]
        ).getvalue()
    )
    call_command("import_regions", str(path))
    assert Region.objects.get(code="910000001").parent == Region.objects.get(code="910000")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        workbook([REGION_HEADER, ["920000001", "孤街", "街道", "920000", 1]]).getvalue()
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_regions", str(bad))
