"""Excel imports of the cycle: the streets' evaluation tasks and the judges' paper score sheets.

The streets' evaluation tasks (街道质效评估任务), the list staff keep in a
spreadsheet, through the shared pipeline (core/spreadsheets' guarded reader, core/imports):
every row is checked first and one bad row — or one street whose weights do not add up to 100 —
rejects the whole file with row and column messages; a clean file replaces each listed street's
tasks in one transaction, matched by title (a kept task keeps its done date), so importing the
same file twice changes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, require_path, scope_for
from gridlight.core.errors import DomainError, ImportRejected, RowError
from gridlight.core.imports.common import ImportResult, reject_if
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.spreadsheets import Column, cell_text, read_sheet
from gridlight.evaluation.models import (
    CycleYear,
    Entrant,
    Judge,
    Recusal,
    Round,
    RoundStatus,
    Sheet,
    SheetStatus,
)
from gridlight.evaluation.services import (
    ScoreError,
    TaskInput,
    check_tasks,
    plain,
    sheet_check,
    sheet_create,
    write_tasks,
)

SHEET = "evaluation_tasks"
MAX_ROWS = 5_000  # 17 streets × a few dozen tasks; more is a mistake
COLUMNS = [
    Column("year", "年度", "year", required=True, example="2026"),
    Column("street", "街道编码", "street code", required=True, example="370103001"),
    Column("title", "评估任务", "task", required=True, example="红色物业覆盖率达到90%"),
    Column(
        "weight",
        "权重",
        "weight",
        required=True,
        example="20",
        note=gettext_lazy("percent; a street's weights add up to 100"),
    ),
]
H = {c.key: c.header for c in COLUMNS}


def _weight(value: Any) -> Decimal | None:
    try:
        number = Decimal(cell_text(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number <= 0 or number != number.quantize(Decimal("0.01")):
        return None
    return number


def import_tasks(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportResult:
    """Import tasks (all-or-nothing; a street listed in the file gets exactly the file's list)."""
    sheet = read_sheet(upload, COLUMNS, sheet=SHEET, max_rows=MAX_ROWS)
    manage = scope_for(actor, Perm.EVALUATION_MANAGE)
    cycles = {(c.district_id, c.year): c for c in CycleYear.objects.filter(manage.q("region_path"))}
    streets = {
        r.code: r
        for r in Region.objects.filter(level=RegionLevel.STREET).only(
            "id", "code", "path", "name", "parent_id", "level"
        )
    }
    errors: list[RowError] = []
    groups: dict[tuple[int, int], list[tuple[int, TaskInput]]] = defaultdict(list)
    for row, v in sheet.rows:
        year_text = cell_text(v.get("year"))
        street = streets.get(cell_text(v.get("street")))
        if street is None or not manage.contains(street.path):
            # Unknown and out of scope say the same: the file learns nothing about other streets.
            errors.append(
                RowError(
                    row,
                    H["street"],
                    _("Unknown street code %(code)s, or not a street of yours.")
                    % {"code": cell_text(v.get("street")) or "—"},
                )
            )
        cycle = None
        if street is not None and year_text.isdigit():
            cycle = cycles.get((street.parent_id or 0, int(year_text)))
        if cycle is None and street is not None and manage.contains(street.path):
            errors.append(
                RowError(
                    row,
                    H["year"],
                    _("The year %(y)s is not planned for this district.") % {"y": year_text or "—"},
                )
            )
        title = cell_text(v.get("title"))
        if not title:
            errors.append(RowError(row, H["title"], _("Say what the task is.")))
        elif len(title) > 120:
            errors.append(RowError(row, H["title"], _("At most 120 characters.")))
        weight = _weight(v.get("weight"))
        if weight is None:
            errors.append(
                RowError(
                    row,
                    H["weight"],
                    _("A weight is a number above 0 with at most two decimals: %(v)s")
                    % {"v": cell_text(v.get("weight")) or "—"},
                )
            )
        if cycle is not None and street is not None and title and weight is not None:
            key = (cycle.pk, street.pk)
            same = next((r for r, t in groups[key] if t.title == title), None)
            if same is not None:
                errors.append(
                    RowError(
                        row,
                        H["title"],
                        _("Repeats row %(row)s (same year, street and task).") % {"row": same},
                    )
                )
                continue
            groups[key].append((row, TaskInput(title, weight)))
    by_pk = {c.pk: c for c in cycles.values()}
    street_by_pk = {s.pk: s for s in streets.values()}
    for (_cycle_pk, street_pk), rows in groups.items():
        try:
            check_tasks(street_by_pk[street_pk], [t for _r, t in rows])
        except DomainError as exc:
            errors.append(RowError(rows[0][0], H["weight"], exc.message))
    reject_if(errors)
    plan = [(by_pk[c], street_by_pk[s], [t for _r, t in rows]) for (c, s), rows in groups.items()]
    return _write(actor, plan, filename)


@transaction.atomic
def _write(
    actor: User, plan: list[tuple[CycleYear, Region, list[TaskInput]]], filename: str
) -> ImportResult:
    created = updated = unchanged = removed = 0
    for cycle, street, tasks in plan:
        c, u, n, r = write_tasks(cycle, street, tasks)
        created, updated, unchanged, removed = created + c, updated + u, unchanged + n, removed + r
    if created or updated or removed:
        audit.record(
            actor=actor,
            action="eval_task.import",
            object_type="evaluation.streettask",
            object_label=filename or _("task workbook"),
            region_path=plan[0][0].region_path if plan else "",
            changes={"created": created, "updated": updated + removed, "unchanged": unchanged},
        )
    return ImportResult(created, updated + removed, unchanged)


# --- paper score sheets (a round's secretary imports them for the judges) --------------------
#
# One row per paper sheet: a judge's scores for one entrant, one column per criterion (headed by
# the criterion's name, as on the paper). That is how the sheets lie on the secretary's desk and
# how she types them: a row per sheet, the scores across. The template is made for the round:
# its criteria as columns, and a row already filled in for every judge and every entrant they may
# score (recused pairs left out), so she only types the numbers; a row left without scores is a
# sheet not handed in, and is skipped. (A row per judge × entrant × criterion would repeat the
# judge and the entrant on every score, and a sheet per judge would need the workbook's other
# sheets read, which the guarded reader does not do.)

SHEETS_SHEET = "score_sheets"
MAX_SHEET_ROWS = 5_000  # a panel of dozens × 116 communities at the most


def sheet_columns(round_: Round) -> list[Column]:
    """The import's columns for ``round_``: who and what, then one per criterion, then a note."""
    criteria = [
        Column(
            f"c{c.pk}",
            c.name,
            c.name,
            required=True,
            example=plain(c.max_score),
            note=gettext_lazy("a score from %(lo)s to %(hi)s, at most two decimals")
            % {"lo": plain(c.min_score), "hi": plain(c.max_score)},
        )
        for c in round_.criteria.all()
    ]
    return [
        Column(
            "round",
            "轮次编号",
            "round",
            required=True,
            example=str(round_.pk),
            note=gettext_lazy("filled in by the template; a row of another round is refused"),
        ),
        Column("judge", "评委账号", "judge account", required=True, example="judge01"),
        Column(
            "judge_name",
            "评委姓名",
            "judge name",
            note=gettext_lazy("for reading only: the account says who the judge is"),
        ),
        Column("entrant", "参赛单位编码", "entrant code", required=True, example="370103001"),
        Column(
            "entrant_name",
            "参赛单位",
            "entrant",
            note=gettext_lazy("for reading only: the code says which entrant it is"),
        ),
        *criteria,
        Column("note", "备注", "note"),
    ]


def sheet_template_rows(round_: Round) -> list[list[Any]]:
    """A row for every judge and every entrant they may score, the scores left blank."""
    width = round_.criteria.count()
    recused = set(Recusal.objects.filter(judge__round=round_).values_list("judge_id", "entrant_id"))
    entrants = list(round_.entrants.select_related("region").order_by("order"))
    return [
        [round_.pk, j.user.username, str(j.user), e.region.code, e.region.name]
        + [""] * width
        + [""]
        for j in round_.judges.select_related("user").order_by("pk")
        for e in entrants
        if (j.pk, e.pk) not in recused
    ]


@dataclass
class _SheetRow:
    row: int
    judge: Judge
    entrant: Entrant
    scores: dict[str, str]
    note: str


def import_sheets(
    *, actor: User, round_: Round, upload: IO[bytes], filename: str = ""
) -> ImportResult:
    """Import a round's paper sheets, all or nothing, each checked by the same
    ``services.sheet_check`` as a sheet entered on a phone (round open, entrant in the round,
    judge not recused, scores in range) and written by the same ``services.sheet_create`` (one
    sheet per judge and entrant). Imported sheets are confirmed — sealed until the round closes —
    and marked as imported by ``actor`` on the judge's behalf; each is audited.

    Importing the same file again changes nothing: a row identical to a sheet imported before
    counts as unchanged. A row for a pair that has a different sheet (typed on the judge's
    phone, or imported with other scores) is refused: a judge writes one sheet per entrant."""
    require_path(actor, Perm.EVALUATION_MANAGE, round_.region_path)
    round_ = Round.objects.prefetch_related("criteria").get(pk=round_.pk)
    if round_.status != RoundStatus.OPEN:
        raise ImportRejected(
            [RowError(0, "", _("This round is closed: its sheets can no longer change."))]
        )
    columns = sheet_columns(round_)
    h = {c.key: c.header for c in columns}
    criteria = [f"c{c.pk}" for c in round_.criteria.all()]
    sheet = read_sheet(upload, columns, sheet=SHEETS_SHEET, max_rows=MAX_SHEET_ROWS)
    judges = {j.user.username: j for j in round_.judges.select_related("user")}
    entrants = {e.region.code: e for e in round_.entrants.select_related("region")}
    errors: list[RowError] = []
    rows: list[_SheetRow] = []
    seen: dict[tuple[int, int], int] = {}
    for row, v in sheet.rows:
        scores = {key[1:]: cell_text(v.get(key)) for key in criteria}
        if not any(scores.values()):
            continue  # the template's row for a sheet not handed in
        if cell_text(v.get("round")) != str(round_.pk):
            errors.append(
                RowError(
                    row,
                    h["round"],
                    _("This row is for round %(other)s, not for this round (%(this)s).")
                    % {"other": cell_text(v.get("round")) or "—", "this": round_.pk},
                )
            )
            continue
        judge = judges.get(cell_text(v.get("judge")))
        entrant = entrants.get(cell_text(v.get("entrant")))
        if judge is None:
            errors.append(
                RowError(
                    row,
                    h["judge"],
                    _("%(u)s is not on this round's panel.") % {"u": cell_text(v.get("judge"))},
                )
            )
        if entrant is None:
            errors.append(
                RowError(
                    row,
                    h["entrant"],
                    _("No entrant of this round has the code %(c)s.")
                    % {"c": cell_text(v.get("entrant")) or "—"},
                )
            )
        if judge is None or entrant is None:
            continue
        first = seen.setdefault((judge.pk, entrant.pk), row)
        if first != row:
            errors.append(
                RowError(
                    row,
                    h["entrant"],
                    _("Repeats row %(row)s: a judge writes one sheet per entrant.")
                    % {"row": first},
                )
            )
            continue
        rows.append(_SheetRow(row, judge, entrant, scores, cell_text(v.get("note"))))
    if not rows and not errors:
        errors.append(RowError(0, "", _("No row has scores: fill in the sheets handed in.")))
    return _write_sheets(actor, round_, rows, errors, filename)


@transaction.atomic
def _write_sheets(
    actor: User, round_: Round, rows: list[_SheetRow], errors: list[RowError], filename: str
) -> ImportResult:
    existing = {(s.judge_id, s.entrant_id): s for s in Sheet.objects.filter(round=round_)}
    created: list[tuple[_SheetRow, Sheet]] = []
    unchanged = 0
    for r in rows:
        try:
            values = sheet_check(round_=round_, judge=r.judge, entrant=r.entrant, scores=r.scores)
            before = existing.get((r.judge.pk, r.entrant.pk))
            if (
                before is not None
                and before.imported_by_id is not None
                and before.status == SheetStatus.CONFIRMED
                and before.scores == values
                and before.note == r.note[:200]
            ):
                unchanged += 1
                continue
            sheet = sheet_create(
                judge=r.judge,
                entrant=r.entrant,
                values=values,
                confirm=True,
                note=r.note,
                imported_by=actor,
            )
        except ScoreError as exc:
            errors.append(RowError(r.row, exc.criterion, exc.message))
        except DomainError as exc:
            errors.append(RowError(r.row, "", exc.message))
        else:
            created.append((r, sheet))
    reject_if(errors)  # rolls back whatever was written: all or nothing
    for r, sheet in created:
        # The scores stay out of the trail, as for a sheet entered on the phone: it is sealed.
        audit.record(
            actor=actor,
            action="eval_sheet.import",
            obj=sheet,
            region_path=sheet.region_path,
            changes={
                "status": SheetStatus.CONFIRMED,
                "on_behalf_of": r.judge.user.username,
                "row": r.row,
                "file": filename,
            },
        )
    return ImportResult(len(created), 0, unchanged)
