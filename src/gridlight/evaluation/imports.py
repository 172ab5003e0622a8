"""Excel import of the streets' evaluation tasks (街道质效评估任务), the list staff keep in a
spreadsheet, through the shared pipeline (core/spreadsheets' guarded reader, core/imports):
every row is checked first and one bad row — or one street whose weights do not add up to 100 —
rejects the whole file with row and column messages; a clean file replaces each listed street's
tasks in one transaction, matched by title (a kept task keeps its done date), so importing the
same file twice changes nothing."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, scope_for
from gridlight.core.errors import DomainError, RowError
from gridlight.core.imports.common import ImportResult, reject_if
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.spreadsheets import Column, cell_text, read_sheet
from gridlight.evaluation.models import CycleYear
from gridlight.evaluation.services import TaskInput, check_tasks, write_tasks

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
