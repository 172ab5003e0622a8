"""Excel import of indicator values, through the shared pipeline (core/spreadsheets,
core/imports, the one upload page): the whole file is checked first, one bad row rejects it
with row and column messages, a clean file is written in one transaction with one audit row.
Rows match existing values by (element, region, period): importing the same file twice
changes nothing; a changed value is entered again and awaits approval."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, scope_for
from gridlight.core.errors import DomainError, RowError
from gridlight.core.imports.common import MAX_ROWS, ImportResult, reject_if
from gridlight.core.models import Region, User
from gridlight.core.spreadsheets import Column, cell_text, read_sheet, write_workbook
from gridlight.development.figures import period_label
from gridlight.development.indicator_services import check_period, parse_value
from gridlight.development.models import DataElement, DataValue, ValueStatus

SHEET = "indicator_values"
COLUMNS = [
    Column("element", "数据项编码", "data element code", required=True, example="gdp"),
    Column("region", "区域编码", "region code", required=True, example="370103"),
    Column(
        "period",
        "期间",
        "period",
        required=True,
        example="2026-03",
        note=gettext_lazy("a month 2026-03, a quarter 2026Q1 or a year 2026"),
    ),
    Column("value", "数值", "value", required=True, example="69.6"),
]
H = {c.key: c.header for c in COLUMNS}
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_QUARTER = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})年?$")


def parse_period(value: Any) -> date | None:
    """A period as staff write it: a date, 2026-03, 2026年3月, 2026Q1 or 2026."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    try:
        if m := _MONTH.match(text):
            return date(int(m[1]), int(m[2]), 1)
        if m := _QUARTER.match(text):
            return date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
        if m := _YEAR.match(text):
            return date(int(m[1]), 1, 1)
        return date.fromisoformat(text)
    except ValueError:
        return None


def import_values(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportResult:
    """Import indicator values (all-or-nothing, idempotent by element, region and period)."""
    sheet = read_sheet(upload, COLUMNS, sheet=SHEET, max_rows=MAX_ROWS)
    elements = {e.code: e for e in DataElement.objects.all()}
    regions = {r.code: r for r in Region.objects.only("id", "code", "path", "name")}
    scope = scope_for(actor, Perm.INDICATOR_ENTER)
    errors: list[RowError] = []
    seen: dict[tuple[int, int, date], int] = {}
    rows: list[tuple[DataElement, Region, date, Any]] = []
    for row, v in sheet.rows:
        before = len(errors)
        element = elements.get(cell_text(v.get("element")))
        if element is None:
            errors.append(
                RowError(
                    row,
                    H["element"],
                    _("No data element has the code %(code)s.")
                    % {"code": cell_text(v.get("element")) or "—"},
                )
            )
        region = regions.get(cell_text(v.get("region")))
        if region is None:
            errors.append(
                RowError(
                    row,
                    H["region"],
                    _("Unknown region code %(code)s.")
                    % {"code": cell_text(v.get("region")) or "—"},
                )
            )
        elif not scope.contains(region.path):
            errors.append(
                RowError(
                    row,
                    H["region"],
                    _("You may not enter figures for %(region)s.") % {"region": region.name},
                )
            )
        period = parse_period(v.get("period"))
        if period is None:
            errors.append(
                RowError(
                    row,
                    H["period"],
                    _("Not a period: %(v)s") % {"v": cell_text(v.get("period")) or "—"},
                )
            )
        elif element is not None:
            try:
                period = check_period(element, period)
            except DomainError as exc:
                errors.append(RowError(row, H["period"], exc.message))
        try:
            number = parse_value(v.get("value"))
        except DomainError as exc:
            errors.append(RowError(row, H["value"], exc.message))
        if len(errors) > before or element is None or region is None or period is None:
            continue
        key = (element.pk, region.pk, period)
        if key in seen:
            errors.append(
                RowError(
                    row,
                    H["period"],
                    _("Repeats row %(row)s (same element, region and period).")
                    % {"row": seen[key]},
                )
            )
            continue
        seen[key] = row
        rows.append((element, region, period, number))
    reject_if(errors)
    return _write(actor, rows, filename)


@transaction.atomic
def _write(
    actor: User, rows: list[tuple[DataElement, Region, date, Any]], filename: str
) -> ImportResult:
    now = timezone.now()
    element_ids = {e.pk for e, _r, _p, _v in rows}
    existing = {
        (v.element_id, v.region_id, v.period): v
        for v in DataValue.objects.select_for_update().filter(element_id__in=element_ids)
    }
    new, changed, unchanged = [], [], 0
    for element, region, period, number in rows:
        current = existing.get((element.pk, region.pk, period))
        if current is None:
            new.append(
                DataValue(
                    element=element,
                    region=region,
                    region_path=region.path,
                    period=period,
                    value=number,
                    entered_by=actor,
                    updated_at=now,
                )
            )
        elif current.value == number:
            unchanged += 1
        else:
            current.value, current.status, current.approved_by = number, ValueStatus.SUBMITTED, None
            current.entered_by, current.updated_at = actor, now
            current.version += 1
            changed.append(current)
    DataValue.objects.bulk_create(new, batch_size=500)
    DataValue.objects.bulk_update(
        changed,
        ["value", "status", "approved_by", "entered_by", "updated_at", "version"],
        batch_size=500,
    )
    if new or changed:
        audit.record(
            actor=actor,
            action="indicator.import",
            object_type="development.datavalue",
            object_label=filename or _("indicator workbook"),
            changes={"created": len(new), "updated": len(changed), "unchanged": unchanged},
        )
    return ImportResult(len(new), len(changed), unchanged)


def export_rows(values: Any) -> Iterator[list[Any]]:
    """Values as the import reads them (a round trip changes nothing)."""
    for v in values.select_related("element", "region").iterator(chunk_size=2000):
        yield [
            v.element.code,
            v.region.code,
            period_label(v.period, v.element.period_type),
            float(v.value),
        ]


def export_values(values: Any) -> bytes:
    return write_workbook(SHEET, COLUMNS, export_rows(values))
