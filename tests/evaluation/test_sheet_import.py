"""Paper score sheets imported by the round's secretary: the template, a good import (sealed,
marked as imported on the judge's behalf, audited), a second import of the same file changing
nothing, and every refusal of the judges' own entry — with nothing written."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from gridlight.core.errors import ImportRejected
from gridlight.core.models import AuditEvent
from gridlight.core.spreadsheets import write_workbook
from gridlight.evaluation import imports, services
from gridlight.evaluation.models import Sheet, SheetStatus
from tests.conftest import login
from tests.evaluation.conftest import Cycle


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _rows(c: Cycle, scores: dict[tuple[int, int], tuple[Any, Any]]) -> list[list[Any]]:
    """The template's rows with ``scores`` filled in for (judge index, street index)."""
    rows = []
    for row in imports.sheet_template_rows(c.round):
        key = (
            next(i for i, u in enumerate(c.judges) if u.username == row[1]),
            next(i for i, s in enumerate(c.streets) if s.code == row[3]),
        )
        if key in scores:
            row[5], row[6] = scores[key]
        rows.append(row)
    return rows


def _file(c: Cycle, rows: list[list[Any]]) -> io.BytesIO:
    columns = imports.sheet_columns(c.round)
    return io.BytesIO(write_workbook(imports.SHEETS_SHEET, columns, rows))


def _import(c: Cycle, rows: list[list[Any]]) -> Any:
    return imports.import_sheets(actor=c.admin, round_=c.round, upload=_file(c, rows))


def _snapshot() -> tuple[int, int]:
    return Sheet.objects.count(), AuditEvent.objects.count()


def _refused(c: Cycle, rows: list[list[Any]]) -> list[tuple[int, str, str]]:
    before = _snapshot()
    with pytest.raises(ImportRejected) as exc:
        _import(c, rows)
    assert _snapshot() == before  # nothing written
    return [(e.row, e.column, e.message) for e in exc.value.errors]


def _row_of(rows: list[list[Any]], c: Cycle, judge: int, street: int) -> int:
    """The Excel row number of (judge, street) in ``rows`` (the header is row 1)."""
    for n, row in enumerate(rows, start=2):
        if row[1] == c.judges[judge].username and row[3] == c.streets[street].code:
            return n
    raise AssertionError("no such row")


def test_the_template_lists_each_judge_with_the_entrants_they_may_score(cycle: Cycle) -> None:
    response = login(cycle.admin).get(f"/evaluation/rounds/{cycle.round.pk}/sheets/template/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))[imports.SHEETS_SHEET]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:5] == ["轮次编号*", "评委账号*", "评委姓名", "参赛单位编码*", "参赛单位"]
    assert header[5:7] == ["工作成效*", "创新特色*"]
    # Five judges × three streets, less judge0's own street (recused).
    assert len(rows) == 14
    assert ["judge0", cycle.streets[0].code] not in [[r[1], r[3]] for r in rows]


def test_a_good_import_writes_sealed_sheets_on_the_judges_behalf(cycle: Cycle) -> None:
    rows = _rows(cycle, {(1, 0): (8, "7.5"), (2, 0): ("9", 6), (1, 1): (10, 0)})
    before_audit = AuditEvent.objects.count()
    result = _import(cycle, rows)
    assert (result.created, result.unchanged) == (3, 0)
    sheets = Sheet.objects.filter(round=cycle.round).select_related("judge__user")
    assert {(s.judge.user.username, s.status, s.imported_by_id) for s in sheets} == {
        ("judge1", SheetStatus.CONFIRMED, cycle.admin.pk),
        ("judge2", SheetStatus.CONFIRMED, cycle.admin.pk),
    }
    first, second = cycle.round.criteria.all()
    s = sheets.get(judge__user=cycle.judges[1], entrant__region=cycle.streets[0])
    assert s.scores == {str(first.pk): "8", str(second.pk): "7.5"}
    events = AuditEvent.objects.filter(action="eval_sheet.import").order_by("pk")
    assert AuditEvent.objects.count() == before_audit + 3
    assert [e.changes["on_behalf_of"] for e in events] == ["judge1", "judge1", "judge2"]
    assert all(e.actor_id == cycle.admin.pk for e in events)
    assert all("7.5" not in str(e.changes) for e in events)  # sealed: no scores in the trail
    # Sealed like an entered sheet: the judge sees theirs, the secretary does not, until close.
    url = f"/evaluation/rounds/{cycle.round.pk}/"
    assert "7.5" in login(cycle.judges[1]).get(url).content.decode()
    assert "7.5" not in login(cycle.admin).get(url).content.decode()
    # A sealed imported sheet cannot be changed on the phone either.
    with translation.override("en"), pytest.raises(services.DomainError, match="sealed"):
        services.sheet_save(
            actor=cycle.judges[1],
            round_=cycle.round,
            entrant=s.entrant,
            scores=s.scores,
            version=s.version,
        )


def test_importing_the_same_file_again_changes_nothing(cycle: Cycle) -> None:
    rows = _rows(cycle, {(1, 0): (8, 7), (2, 1): (9, 6)})
    assert _import(cycle, rows).created == 2
    before = _snapshot()
    again = _import(cycle, rows)
    assert (again.created, again.unchanged) == (0, 2)
    assert _snapshot() == before
    # The same file with one more sheet filled in: only the new one is written.
    rows = _rows(cycle, {(1, 0): (8, 7), (2, 1): (9, 6), (3, 2): (5, 5)})
    third = _import(cycle, rows)
    assert (third.created, third.unchanged) == (1, 2)
    # A different score for a sheet imported before is a second sheet: refused.
    rows = _rows(cycle, {(1, 0): (8, 8)})
    errors = _refused(cycle, rows)
    message = (
        f"{cycle.judges[1]} has a sheet for {cycle.streets[0].name} already; open it to change it."
    )
    assert errors == [(_row_of(rows, cycle, 1, 0), "", message)]


def test_a_score_out_of_range_is_refused_with_its_row_and_column(cycle: Cycle) -> None:
    rows = _rows(cycle, {(1, 0): (11, 5), (2, 0): (8, 7), (3, 1): ("八", 5)})
    errors = _refused(cycle, rows)
    assert [(r, col) for r, col, _m in errors] == [
        (_row_of(rows, cycle, 1, 0), "工作成效"),
        (_row_of(rows, cycle, 3, 1), "工作成效"),
    ]
    assert "between 0 and 10" in errors[0][2]
    assert "not a number" in errors[1][2]
    # A sheet half filled in is a score missing, not a skipped row.
    rows = _rows(cycle, {(1, 0): (8, "")})
    assert [(col, m) for _r, col, m in _refused(cycle, rows)] == [("创新特色", "Score 创新特色.")]


def test_a_sheet_for_an_entrant_the_judge_is_recused_from_is_refused(cycle: Cycle) -> None:
    # judge0 works in streets[0] (automatic recusal); judge1 declares a conflict with streets[1].
    services.conflict_declare(
        actor=cycle.admin,
        judge=cycle.round.judges.get(user=cycle.judges[1]),
        entrant=cycle.round.entrants.get(region=cycle.streets[1]),
        reason="former post",
    )
    template = imports.sheet_template_rows(cycle.round)
    assert len(template) == 13  # the declared pair left out of the template too
    extra = [
        [cycle.round.pk, "judge0", "", cycle.streets[0].code, "", 8, 8, ""],
        [cycle.round.pk, "judge1", "", cycle.streets[1].code, "", 8, 8, ""],
    ]
    errors = _refused(cycle, template + extra)
    assert [(r, m) for r, _c, m in errors] == [
        (
            len(template) + 2,
            f"{cycle.judges[0]} is recused from {cycle.streets[0].name} and cannot score it.",
        ),
        (
            len(template) + 3,
            f"{cycle.judges[1]} is recused from {cycle.streets[1].name} and cannot score it.",
        ),
    ]


def test_a_second_sheet_from_the_same_judge_is_refused(cycle: Cycle) -> None:
    first, second = cycle.round.criteria.all()
    entrant = cycle.round.entrants.get(region=cycle.streets[1])
    # judge2 keeps a draft on the phone: the paper sheet would be a second one.
    services.sheet_save(
        actor=cycle.judges[2],
        round_=cycle.round,
        entrant=entrant,
        scores={str(first.pk): "6", str(second.pk): "6"},
    )
    rows = _rows(cycle, {(2, 1): (7, 7)})
    errors = _refused(cycle, rows)
    assert errors == [
        (
            _row_of(rows, cycle, 2, 1),
            "",
            f"{cycle.judges[2]} has a sheet for {cycle.streets[1].name} already; "
            "open it to change it.",
        )
    ]
    # The same judge and entrant twice in one file.
    rows = _rows(cycle, {(3, 1): (7, 7)})
    dup = rows[_row_of(rows, cycle, 3, 1) - 2]
    errors = _refused(cycle, [*rows, list(dup)])
    assert errors == [
        (
            len(rows) + 2,
            "参赛单位编码",
            f"Repeats row {_row_of(rows, cycle, 3, 1)}: a judge writes one sheet per entrant.",
        )
    ]


def test_nothing_is_imported_once_the_round_is_closed(cycle: Cycle) -> None:
    first, second = cycle.round.criteria.all()
    services.sheet_save(
        actor=cycle.judges[2],
        round_=cycle.round,
        entrant=cycle.round.entrants.get(region=cycle.streets[1]),
        scores={str(first.pk): "6", str(second.pk): "6"},
        confirm=True,
    )
    rows = _rows(cycle, {(1, 0): (8, 7)})
    cycle.round.refresh_from_db()
    services.round_close(actor=cycle.admin, round_=cycle.round, version=cycle.round.version)
    cycle.round.refresh_from_db()
    assert _refused(cycle, rows) == [
        (0, "", "This round is closed: its sheets can no longer change.")
    ]


def test_unknown_judges_entrants_and_another_rounds_rows_are_refused(cycle: Cycle) -> None:
    other = cycle.round.pk + 1000
    rows = [
        [cycle.round.pk, "judge1", "", cycle.streets[0].code, "", 8, 8, ""],  # good
        [cycle.round.pk, "nobody", "", cycle.streets[0].code, "", 8, 8, ""],
        [cycle.round.pk, "judge1", "", "999999", "", 8, 8, ""],
        [other, "judge2", "", cycle.streets[0].code, "", 8, 8, ""],
    ]
    errors = _refused(cycle, rows)
    assert [(r, col) for r, col, _m in errors] == [
        (3, "评委账号"),
        (4, "参赛单位编码"),
        (5, "轮次编号"),
    ]
    assert errors[0][2] == "nobody is not on this round's panel."
    # The template sent back without a score: nothing to import, said so.
    assert _refused(cycle, _rows(cycle, {})) == [
        (0, "", "No row has scores: fill in the sheets handed in.")
    ]


def test_the_import_page_is_the_managers_and_shows_chinese_row_messages(cycle: Cycle) -> None:
    url = f"/evaluation/rounds/{cycle.round.pk}/sheets/import/"
    rows = _rows(cycle, {(1, 0): (11, 5)})

    def upload(data: list[list[Any]]) -> SimpleUploadedFile:
        return SimpleUploadedFile("sheets.xlsx", _file(cycle, data).getvalue())

    admin = login(cycle.admin)
    with translation.override("zh-hans"):
        page = admin.get(url)
        assert page.status_code == 200
        assert "导入纸质评分表" in page.content.decode()
        bad = admin.post(url, {"file": upload(rows)})
    assert bad.status_code == 400
    assert "工作成效的分数须在0至10之间" in bad.content.decode().replace(" ", "")
    assert not Sheet.objects.exists()
    good = admin.post(url, {"file": upload(_rows(cycle, {(1, 0): (9, 5)}))})
    assert good.status_code == 302
    assert good["Location"] == f"/evaluation/rounds/{cycle.round.pk}/panel/"
    assert Sheet.objects.get().imported_by == cycle.admin
    # A judge imports nothing; another district's manager does not find the round.
    assert login(cycle.judges[1]).post(url, {"file": upload(rows)}).status_code == 403
    twin = login(cycle.world.twins["district_admin"])
    assert twin.get(url).status_code == 404
    assert twin.get(f"/evaluation/rounds/{cycle.round.pk}/sheets/template/").status_code == 404
