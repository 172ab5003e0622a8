"""The streaming reader reads what Excel shows: values and types as python-calamine gave them,
shared and rich text without phonetic guides, prefixed element names, dates in either system."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from gridlight.core.xlsx import open_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def rows_of(data: bytes, sheet: str = "") -> list[tuple[int, list[Any]]]:
    with open_workbook(io.BytesIO(data)) as book:
        return list(book.read(book.choose(sheet)))


def test_values_and_types_match_what_calamine_read() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名称", "日期", "数字", "布尔", "时刻", "时间"])
    ws.append(["甲", date(2024, 3, 5), 12, True, datetime(2024, 3, 5, 8, 30), time(8, 30)])
    ws.append(["乙", date(1999, 12, 31), 3.5, False, None, None])
    ws.append([None] * 6)
    ws.append(["丙", None, 1e20, None, None, None])
    ws["H7"] = "远处"
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()

    ours = rows_of(data)
    reference = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    theirs = [
        (n, [None if v == "" else v for v in row])
        for n, row in enumerate(reference.to_python(skip_empty_area=False), start=1)
        if any(v != "" for v in row)
    ]
    assert [(n, _trim(r)) for n, r in ours] == [(n, _trim(r)) for n, r in theirs]
    assert ours[1][1][1] == date(2024, 3, 5)
    assert ours[1][1][4] == datetime(2024, 3, 5, 8, 30)
    assert ours[1][1][5] == time(8, 30)
    assert ours[-1] == (7, [None] * 7 + ["远处"])


def _trim(row: list[Any]) -> list[Any]:
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


def test_prefixed_names_shared_rich_text_and_the_1904_system() -> None:
    sheet = (
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        '<x:row r="2"><x:c r="B2" t="s"><x:v>0</x:v></x:c><x:c r="C2" t="s"><x:v>1</x:v></x:c>'
        '<x:c r="D2" s="1"><x:v>1</x:v></x:c><x:c t="inlineStr"><x:is><x:r><x:t>内</x:t></x:r>'
        "<x:r><x:t>联</x:t></x:r></x:is></x:c></x:row>"
        "</x:sheetData></x:worksheet>"
    )
    strings = (
        f'<sst xmlns="{MAIN}"><si><t>张三</t><rPh sb="0" eb="2"><t>ZHANG SAN</t></rPh></si>'
        "<si><r><t>富</t></r><r><t>文本</t></r></si></sst>"
    )
    styles = (
        f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
        'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="a" Type="{DOC}/officeDocument" '
            'Target="/xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><workbookPr date1904="1"/><sheets>'
            '<sheet name="数据" sheetId="1" r:id="s1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{RELS}">'
            f'<Relationship Id="s1" Type="{DOC}/worksheet" Target="worksheets/data.xml"/>'
            f'<Relationship Id="s2" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="s3" Type="{DOC}/styles" Target="styles.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/data.xml", sheet)
        z.writestr("xl/sharedStrings.xml", strings)
        z.writestr("xl/styles.xml", styles)
    assert rows_of(out.getvalue()) == [(2, [None, "张三", "富文本", date(1904, 1, 2), "内联"])]
