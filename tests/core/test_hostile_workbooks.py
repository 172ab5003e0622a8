"""Hostile workbooks through the real import pages: a clear message, nothing written, and the
process survives. Each file is built here with zipfile and is a few kilobytes on disk."""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from gridlight.core import imports
from gridlight.core.models import AuditEvent, Job, Region, ServicePosition
from gridlight.core.xlsx import Limits, WorkbookRefused, open_workbook
from gridlight.households.imports import check_and_import
from gridlight.households.models import Household, Resident
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

REGION_HEADER = ["编码", "名称", "类型", "上级编码", "排序"]
POSITION_HEADER = ["编码", "名称", "类型", "所属区域编码"]
HOUSEHOLD_HEADER = ["户编号", "网格编码", "地址", "姓名", "与户主关系"]


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _row(number: int, values: list[str]) -> str:
    cells = "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(body: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def workbook(sheets: list[tuple[str, str, str]]) -> io.BytesIO:
    """An .xlsx of (name, state, sheet XML); tiny, made by hand so it can be anything."""
    out = io.BytesIO()
    entries = "".join(
        f'<sheet name="{name}" sheetId="{i}" state="{state}" r:id="rId{i}"/>'
        for i, (name, state, _xml) in enumerate(sheets, start=1)
    )
    targets = "".join(
        f'<Relationship Id="rId{i}" Type="{DOC}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>{entries}'
            f"</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}">{targets}</Relationships>',
        )
        for i, (_name, _state, xml) in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    out.seek(0)
    return out


def one_sheet(body: str, name: str = "Sheet1", dimension: str = "") -> io.BytesIO:
    return workbook([(name, "visible", sheet_xml(body, dimension))])


def far_cell(header: list[str]) -> io.BytesIO:
    """The header, and one value at XFD1048576 (calamine asked for 512 GB and aborted)."""
    return one_sheet(_row(1, header) + '<row r="1048576">' + _cell("XFD1048576", "x") + "</row>")


def bomb(header: list[str]) -> io.BytesIO:
    """The header and 3 MB of empty rows that pack into a few kilobytes."""
    return one_sheet(_row(1, header) + "<row/>" * 500_000)


def lying_dimension(header: list[str]) -> io.BytesIO:
    """A dimension that claims the whole grid over a one-row sheet."""
    return one_sheet(_row(1, header), dimension="A1:XFD1048576")


def hidden_first(header: list[str], data: list[str], template: str) -> io.BytesIO:
    """Data on a hidden first sheet; the visible template sheet holds only the header."""
    return workbook(
        [
            ("data", "hidden", sheet_xml(_row(1, header) + _row(2, data))),
            (template, "visible", sheet_xml(_row(1, header))),
        ]
    )


def state() -> tuple[int, int, int, int, int]:
    return (
        Region.objects.count(),
        ServicePosition.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
        AuditEvent.objects.count(),
    )


def post(client: Client, url: str, data: io.BytesIO, *, listed: bool = True) -> str:
    """Post ``data`` as an .xlsx upload; the page answers 400 with the problems listed (an empty
    file is refused by the form itself)."""
    data.name = "upload.xlsx"
    response = client.post(url, {"file": data})
    assert response.status_code == 400
    body: str = response.content.decode()
    assert ('data-testid="import-errors"' in body) == listed
    return body


PAGES = [
    ("/regions/import/", "district_admin", REGION_HEADER),
    ("/positions/import/", "community_secretary", POSITION_HEADER),
    ("/households/import/", "grid_worker", HOUSEHOLD_HEADER),
]


@pytest.mark.parametrize(("url", "role", "header"), PAGES)
@pytest.mark.parametrize(
    ("build", "says"),
    [
        (far_cell, "XFD1048576"),  # a value beyond the columns read, named by its cell
        (bomb, "倍"),  # "unpacks from … to … (N 倍)": refused from its sizes
        (lying_dimension, "XFD1048576"),  # the cell the dimension claims to reach
    ],
    ids=["far-cell", "bomb", "lying-dimension"],
)
def test_hostile_workbook_is_refused_on_every_import_page(
    world: World, url: str, role: str, header: list[str], build: Any, says: str
) -> None:
    before = state()
    body = post(login(world.users[role]), url, build(header))
    assert says in body
    assert state() == before


@pytest.mark.parametrize(
    ("url", "role", "header", "data", "template"),
    [
        (
            "/regions/import/",
            "district_admin",
            REGION_HEADER,
            ["9100", "藏区", "区", "", "1"],
            "regions",
        ),
        (
            "/positions/import/",
            "community_secretary",
            POSITION_HEADER,
            ["HID-1", "藏站", "网格驿站", "90000100200101"],
            "positions",
        ),
        (
            "/households/import/",
            "grid_worker",
            HOUSEHOLD_HEADER,
            ["HID-1", "90000100100101", "藏路1号", "藏人", "户主"],
            "residents",
        ),
    ],
)
def test_data_on_a_hidden_sheet_is_not_imported(
    world: World, url: str, role: str, header: list[str], data: list[str], template: str
) -> None:
    before = state()
    body = post(login(world.users[role]), url, hidden_first(header, data, template))
    assert "没有数据行" in body  # the visible template sheet has no data rows
    assert "隐藏的工作表不会被读取（data）" in body  # and the hidden sheet is named
    assert state() == before


@pytest.mark.parametrize(
    ("content", "reason", "says"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "xls", ".xls"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 600
            + "EncryptedPackage".encode("utf-16-le"),
            "encrypted",
            "密码",
        ),
        ("户编号,姓名\nA-1,张三\n".encode(), "text", "CSV"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "html", "网页"),
        (b"PK\x03\x04\x14\x00garbage" * 10, "not-xlsx", ".xlsx"),
        (b"", "empty", "空"),
    ],
    ids=["xls", "encrypted", "csv", "html", "garbage", "empty"],
)
def test_what_is_not_an_xlsx_is_named(world: World, content: bytes, reason: str, says: str) -> None:
    with pytest.raises(WorkbookRefused) as caught:
        check_and_import(actor=world.users["grid_worker"], upload=io.BytesIO(content))
    assert caught.value.reason == reason
    before = state()
    client = login(world.users["grid_worker"])
    body = post(client, "/households/import/", io.BytesIO(content), listed=bool(content))
    assert says in body
    assert state() == before


def test_the_bomb_is_refused_from_its_sizes_before_any_parsing(world: World) -> None:
    with pytest.raises(WorkbookRefused) as caught:
        imports.import_regions(actor=world.users["district_admin"], upload=bomb(REGION_HEADER))
    # "ratio" is decided from the zip's central directory, before any part is inflated.
    assert caught.value.reason == "ratio"
    assert "worksheets/sheet1.xml" in caught.value.errors[0].message


def test_sizes_and_member_counts_are_checked_before_parsing() -> None:
    book = one_sheet(_row(1, REGION_HEADER) + _row(2, ["1", "2", "3"]))
    with pytest.raises(WorkbookRefused) as caught:
        open_workbook(book, Limits(max_total=1000))
    assert caught.value.reason == "size"
    with pytest.raises(WorkbookRefused) as caught:
        open_workbook(book, Limits(max_members=3))
    assert caught.value.reason == "members"
    with open_workbook(book) as opened:  # within the limits it reads
        assert [row for row, _cells in opened.read(opened.choose())] == [1, 2]


@pytest.mark.parametrize(
    ("body", "dimension", "reason"),
    [
        (_row(1, REGION_HEADER), "A1:XFD1048576", "dimension"),
        # The dimension says two cells; a value at XFD1048576 follows all the same.
        (
            _row(1, REGION_HEADER) + '<row r="5">' + _cell("XFD5", "x") + "</row>",
            "A1:B2",
            "columns",
        ),
        (_row(1, REGION_HEADER) + '<row r="2">' + _cell("A99999999", "x") + "</row>", "", "cell"),
        (_row(1, REGION_HEADER) + '<row r="2">' + _cell("AAAAA2", "x") + "</row>", "", "cell"),
        (_row(1, REGION_HEADER) + '<row r="99999999"/>', "", "cell"),
        (_row(1, REGION_HEADER) + _row(200_000, ["x"]), "", "rows"),  # regions read 100,000
    ],
    ids=[
        "dimension",
        "lying-dimension",
        "row-beyond-excel",
        "column-beyond-excel",
        "row-element",
        "rows",
    ],
)
def test_cell_references_are_checked_as_they_are_read(
    world: World, body: str, dimension: str, reason: str
) -> None:
    before = state()
    with pytest.raises(WorkbookRefused) as caught:
        imports.import_regions(
            actor=world.users["district_admin"], upload=one_sheet(body, dimension=dimension)
        )
    assert caught.value.reason == reason
    assert state() == before


def test_a_dtd_is_refused(world: World) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;'
        "</t></is></c></row></sheetData></worksheet>"
    )
    with pytest.raises(WorkbookRefused) as caught:
        imports.import_regions(
            actor=world.users["district_admin"],
            upload=workbook([("regions", "visible", laughs)]),
        )
    assert caught.value.reason == "dtd"


def test_the_template_sheet_is_read_by_name(world: World) -> None:
    """Another visible sheet before the template's does not hide the template's rows."""
    book = workbook(
        [
            ("说明", "visible", sheet_xml(_row(1, ["随便写的说明"]))),
            (
                "regions",
                "visible",
                sheet_xml(
                    _row(1, REGION_HEADER) + _row(2, ["900001011", "按名街道", "街道", "900001"])
                ),
            ),
        ]
    )
    result = imports.import_regions(actor=world.users["district_admin"], upload=book)
    assert result.created == 1
    assert Region.objects.filter(code="900001011", name="按名街道").exists()


def test_a_background_household_import_refuses_the_far_cell(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridlight.core.views import imports as import_views

    monkeypatch.setattr(import_views, "SYNC_LIMIT", 0)
    data = far_cell(HOUSEHOLD_HEADER)
    data.name = "far.xlsx"
    before = state()
    response = login(world.users["grid_worker"]).post("/households/import/", {"file": data})
    assert response.status_code == 302
    job = Job.objects.get(kind="households.import")
    assert job.status == "failed"
    assert "XFD1048576" in job.result["errors"][0][2]
    assert state()[:4] == before[:4]


class _FileForms(HTMLParser):
    """The forms of a page that upload a file: their action and the file field's name."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self._action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._action = a.get("action", "")
        elif tag == "input" and a.get("type") == "file" and self._action is not None:
            self.found.append((self._action, a.get("name", ""), a.get("accept", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None


def _upload_forms(client: Client, world: World) -> list[tuple[str, tuple[str, str]]]:
    """Every upload form the district admin is shown, found by walking the URL conf (the
    route walk's values fill the parameters), so an import added later is tried too."""
    from gridlight.core.urlwalk import all_routes, concrete_urls
    from tests.core.test_route_walk import _secret_ids, _secret_values

    ids = _secret_ids(world)
    found: dict[str, tuple[str, str]] = {}
    for route, _pattern in all_routes():
        if route.startswith(("api/", "open311/")):
            continue
        urls = concrete_urls(route, _secret_values(world, route, None, ids))
        page = client.get(urls[0]) if urls else None
        if page is None or page.status_code != 200 or "html" not in page["Content-Type"]:
            continue
        parser = _FileForms()
        parser.feed(page.content.decode())
        for action, name, accept in parser.found:
            found.setdefault(urlsplit(action).path or urls[0], (name, accept))
    return sorted(found.items())


def test_every_upload_form_refuses_a_hostile_workbook_and_writes_nothing(world: World) -> None:
    """Whatever a form uploads — a roster, a score sheet, a payment return, an attachment —
    the far cell, the bomb and the lying dimension are refused and nothing is written (no audit
    event: every write is audited); where a workbook is asked for, the reason is named."""
    client = login(world.users["district_admin"])
    forms = _upload_forms(client, world)
    assert len(forms) >= 8, forms  # the imports of every app, and the attachments
    problems = []
    for url, (field, accept) in forms:
        for build, says in ((far_cell, "XFD1048576"), (bomb, "倍"), (lying_dimension, "XFD")):
            audited = AuditEvent.objects.count()
            data = build(["编码", "名称"])
            data.name = "upload.xlsx"
            # A page that redirects after a refused upload shows the reason where it lands.
            response = client.post(url, {field: data, "version": "1"}, follow=True)
            body = response.content.decode(errors="replace")
            job = Job.objects.order_by("-pk").first()
            said = says in body or (job is not None and says in str(job.message))
            if response.status_code >= 500 or AuditEvent.objects.count() != audited:
                problems.append(f"{url} {build.__name__}: {response.status_code}, wrote")
            elif not said and "xlsx" in accept:
                problems.append(f"{url} {build.__name__}: no reason ({response.status_code})")
    assert problems == []
