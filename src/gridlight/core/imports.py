"""Excel import and export of the region tree and service positions.

Imports are all-or-nothing: every row is checked first and any error rejects the whole file with
row-level messages; only a clean file is written, in one transaction. Rows are matched by code, so
importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, Scope, scope_for
from gridlight.core.errors import ImportRejected, RowError
from gridlight.core.models import PositionKind, Region, RegionKind, ServicePosition
from gridlight.core.models.regions import KIND_LEVEL, SEGMENT_WIDTH
from gridlight.core.spreadsheets import (
    Column,
    Sheet,
    cell_text,
    read_sheet,
    template_notes,
    write_workbook,
)

REGION_COLUMNS = [
    Column(
        "code",
        "编码",
        "code",
        required=True,
        example="370103002001",
        note=gettext_lazy("unique region code"),
    ),
    Column("name", "名称", "name", required=True, example="建新社区"),
    Column(
        "kind",
        "类型",
        "kind",
        required=True,
        example="社区",
        note="区 / 街道 / 镇 / 社区 / 村 / 网格",
    ),
    Column(
        "parent_code",
        "上级编码",
        "parent code",
        example="370103008",
        note=gettext_lazy("code of the parent region; empty only for the district"),
    ),
    Column("sort_order", "排序", "sort order", example="1"),
]

POSITION_COLUMNS = [
    Column("code", "编码", "code", required=True, example="GS-370103008001-01"),
    Column("name", "名称", "name", required=True, example="建新社区第1网格驿站"),
    Column(
        "kind",
        "类型",
        "kind",
        required=True,
        example="网格驿站",
        note="党群服务中心 / 网格驿站 / 暖心驿站 / 文化广场",
    ),
    Column("region_code", "所属区域编码", "region code", required=True, example="370103008001"),
    Column("address", "地址", "address", example="济南市市中区建新路1号"),
    Column("longitude", "经度", "longitude", example="116.98"),
    Column("latitude", "纬度", "latitude", example="36.64"),
    Column("opening_hours", "开放时间", "opening hours", example="周一至周五 8:30-17:30"),
    Column(
        "services",
        "服务项目",
        "services",
        example="政策咨询；便民服务",
        note=gettext_lazy("separate items with ； or ;"),
    ),
    Column("phone", "服务电话", "service phone", example="0531-86000000"),
]

KIND_WORDS = {
    "区": RegionKind.DISTRICT,
    "街道": RegionKind.STREET,
    "镇": RegionKind.TOWN,
    "社区": RegionKind.COMMUNITY,
    "村": RegionKind.VILLAGE,
    "网格": RegionKind.GRID,
}
KIND_WORDS.update({k.value: k for k in RegionKind})
KIND_NAMES = {v: k for k, v in KIND_WORDS.items() if not k.isascii()}

POSITION_WORDS = {
    "党群服务中心": PositionKind.PARTY_MASS_CENTRE,
    "社区党群服务中心": PositionKind.PARTY_MASS_CENTRE,
    "网格驿站": PositionKind.GRID_STATION,
    "暖心驿站": PositionKind.WARM_HEART_STATION,
    "暖心驿站示范点": PositionKind.WARM_HEART_STATION,
    "文化广场": PositionKind.CULTURE_SQUARE,
}
POSITION_WORDS.update({k.value: k for k in PositionKind})
POSITION_NAMES = {
    PositionKind.PARTY_MASS_CENTRE: "党群服务中心",
    PositionKind.GRID_STATION: "网格驿站",
    PositionKind.WARM_HEART_STATION: "暖心驿站",
    PositionKind.CULTURE_SQUARE: "文化广场",
}


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


# --- regions ---------------------------------------------------------------------------------


@dataclass
class _RegionRow:
    row: int
    code: str
    name: str
    kind: str
    parent_code: str
    sort_order: int


def _parse_region_rows(sheet: Sheet, errors: list[RowError]) -> list[_RegionRow]:
    h = {c.key: c.header for c in REGION_COLUMNS}
    parsed: list[_RegionRow] = []
    seen: dict[str, int] = {}
    for row, v in sheet.rows:
        code, name = cell_text(v.get("code")), cell_text(v.get("name"))
        kind_word, parent = cell_text(v.get("kind")), cell_text(v.get("parent_code"))
        ok = True
        if not code:
            errors.append(RowError(row, h["code"], _("Code is required.")))
            ok = False
        elif code in seen:
            errors.append(
                RowError(
                    row,
                    h["code"],
                    _("Code %(code)s repeats row %(row)s.") % {"code": code, "row": seen[code]},
                )
            )
            ok = False
        else:
            seen[code] = row
        if not name:
            errors.append(RowError(row, h["name"], _("Name is required.")))
            ok = False
        elif len(name) > 100:
            errors.append(RowError(row, h["name"], _("Name is longer than 100 characters.")))
            ok = False
        kind = KIND_WORDS.get(kind_word)
        if kind is None:
            errors.append(
                RowError(
                    row,
                    h["kind"],
                    _("Unknown kind %(k)s; use 区, 街道, 镇, 社区, 村 or 网格.")
                    % {"k": kind_word or "—"},
                )
            )
            ok = False
        sort_raw = v.get("sort_order")
        sort_order = 0
        if sort_raw not in (None, ""):
            try:
                sort_order = int(str(sort_raw))
                if sort_order < 0:
                    raise ValueError
            except ValueError:
                errors.append(
                    RowError(row, h["sort_order"], _("Sort order must be a whole number ≥ 0."))
                )
                ok = False
        if ok and kind is not None:
            parsed.append(_RegionRow(row, code, name, kind, parent, sort_order))
    return parsed


def import_regions(
    *, actor: Any, upload: IO[bytes], filename: str = "", as_system: bool = False
) -> ImportResult:
    """Import the region tree from a workbook (all-or-nothing, idempotent by code).

    ``as_system`` is the operator's console import that sets up a new district: no scope applies.
    """
    sheet = read_sheet(upload, REGION_COLUMNS)
    errors: list[RowError] = []
    rows = _parse_region_rows(sheet, errors)
    h = {c.key: c.header for c in REGION_COLUMNS}
    existing = {r.code: r for r in Region.objects.select_related("parent")}
    file_rows = {r.code: r for r in rows}
    roots = Region.objects.filter(parent__isnull=True).values_list("path", flat=True)
    write_scope = Scope.of(roots) if as_system else scope_for(actor, Perm.REGION_CHANGE)
    is_root_admin = as_system or bool(getattr(actor, "is_superuser", False))

    def kind_of(code: str) -> str | None:
        if code in file_rows:
            return file_rows[code].kind
        return existing[code].kind if code in existing else None

    names_taken: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.code in existing:
            current = existing[r.code]
            current_parent = current.parent.code if current.parent_id else ""  # type: ignore[union-attr]
            if r.parent_code != current_parent:
                errors.append(
                    RowError(
                        r.row,
                        h["parent_code"],
                        _(
                            "%(code)s already exists under %(old)s; moving a region is not "
                            "supported by "
                            "import."
                        )
                        % {"code": r.code, "old": current_parent or "—"},
                    )
                )
                continue
            if KIND_LEVEL[r.kind] != current.level:
                errors.append(
                    RowError(
                        r.row,
                        h["kind"],
                        _("The kind does not fit the level of the existing region."),
                    )
                )
                continue
            if not write_scope.contains(current.path):
                errors.append(
                    RowError(r.row, h["code"], _("You may not change %(code)s.") % {"code": r.code})
                )
                continue
        else:
            if not r.parent_code:
                if KIND_LEVEL[r.kind] != 0:
                    errors.append(RowError(r.row, h["parent_code"], _("Parent code is required.")))
                elif not is_root_admin:
                    errors.append(
                        RowError(
                            r.row,
                            h["parent_code"],
                            _("Only a system administrator can create a new district."),
                        )
                    )
                continue
            parent_kind = kind_of(r.parent_code)
            if parent_kind is None:
                errors.append(
                    RowError(
                        r.row,
                        h["parent_code"],
                        _("Parent code %(code)s is neither in the file nor in the system.")
                        % {"code": r.parent_code},
                    )
                )
                continue
            if KIND_LEVEL[r.kind] != KIND_LEVEL[parent_kind] + 1:
                errors.append(
                    RowError(
                        r.row,
                        h["kind"],
                        _("A %(kind)s cannot be placed directly under a %(parent)s.")
                        % {
                            "kind": RegionKind(r.kind).label,
                            "parent": RegionKind(parent_kind).label,
                        },
                    )
                )
                continue
            # The first ancestor already in the system must lie in the actor's write scope.
            anchor = r.parent_code
            hops = 0
            while anchor in file_rows and anchor not in existing and hops < 10:
                anchor = file_rows[anchor].parent_code
                hops += 1
            # A chain that ends at a new district in the same file needs root rights.
            new_root = anchor == "" and is_root_admin
            if not new_root and (
                anchor not in existing or not write_scope.contains(existing[anchor].path)
            ):
                errors.append(
                    RowError(
                        r.row,
                        h["parent_code"],
                        _("You may not add regions under %(code)s.") % {"code": r.parent_code},
                    )
                )
                continue
        key = (r.parent_code, r.name)
        if key in names_taken:
            errors.append(
                RowError(
                    r.row,
                    h["name"],
                    _("%(name)s repeats row %(row)s under the same parent.")
                    % {"name": r.name, "row": names_taken[key]},
                )
            )
        names_taken[key] = r.row
    existing_names = {
        (e.parent.code if e.parent is not None else "", e.name): e for e in existing.values()
    }
    for r in rows:
        if r.code not in existing:
            clash = existing_names.get((r.parent_code, r.name))
            if clash is not None:
                errors.append(
                    RowError(
                        r.row,
                        h["name"],
                        _("%(name)s already exists under this parent with code %(code)s.")
                        % {"name": r.name, "code": clash.code},
                    )
                )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))
    return _write_regions(actor, rows, existing, filename)


@transaction.atomic
def _write_regions(
    actor: Any, rows: list[_RegionRow], existing: dict[str, Region], filename: str
) -> ImportResult:
    created = updated = unchanged = 0
    by_code = dict(existing)
    next_segment: dict[int | None, int] = {}
    pending = [r for r in rows if r.code not in existing]
    # Parents before children: order new rows by level.
    pending.sort(key=lambda r: (KIND_LEVEL[r.kind], r.row))
    for r in pending:
        parent = by_code.get(r.parent_code) if r.parent_code else None
        parent_id = parent.pk if parent else None
        if parent_id not in next_segment:
            last = (
                Region.objects.filter(parent_id=parent_id)
                .order_by("-path")
                .values_list("path", flat=True)
                .first()
            )
            next_segment[parent_id] = int(last.rsplit(".", 1)[-1]) + 1 if last else 1
        number = next_segment[parent_id]
        next_segment[parent_id] = number + 1
        segment = f"{number:0{SEGMENT_WIDTH}d}"
        region = Region.objects.create(
            parent=parent,
            kind=r.kind,
            level=KIND_LEVEL[r.kind],
            code=r.code,
            name=r.name,
            path=f"{parent.path}.{segment}" if parent else segment,
            sort_order=r.sort_order,
        )
        by_code[r.code] = region
        created += 1
    for r in rows:
        if r.code not in existing:
            continue
        current = existing[r.code]
        if (current.name, current.kind, current.sort_order) == (r.name, r.kind, r.sort_order):
            unchanged += 1
            continue
        Region.objects.filter(pk=current.pk).update(
            name=r.name, kind=r.kind, sort_order=r.sort_order, version=current.version + 1
        )
        updated += 1
    if created or updated:
        audit.record(
            actor=actor,
            action="region.import",
            object_type="core.region",
            object_label=filename or _("region workbook"),
            changes={"created": created, "updated": updated, "unchanged": unchanged},
        )
    return ImportResult(created, updated, unchanged)


def export_regions(regions: Any) -> bytes:
    """The given regions as a workbook in the import format (a round trip changes nothing)."""
    rows = (
        (r.code, r.name, KIND_NAMES[r.kind], r.parent.code if r.parent_id else "", r.sort_order)
        for r in regions.select_related("parent").order_by("path").iterator(chunk_size=2000)
    )
    return write_workbook("regions", REGION_COLUMNS, rows)


# --- service positions -----------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    text = cell_text(value)
    if not text:
        return None
    try:
        return Decimal(text).quantize(Decimal("0.000001"))
    except InvalidOperation as exc:
        raise ValueError(text) from exc


def _split_services(value: Any) -> list[str]:
    text = cell_text(value)
    for sep in ("；", ";", "、", "\n"):
        text = text.replace(sep, ";")
    return [s.strip() for s in text.split(";") if s.strip()]


def import_positions(*, actor: Any, upload: IO[bytes], filename: str = "") -> ImportResult:
    """Import service positions (all-or-nothing, idempotent by code)."""
    sheet = read_sheet(upload, POSITION_COLUMNS)
    h = {c.key: c.header for c in POSITION_COLUMNS}
    errors: list[RowError] = []
    regions = {r.code: r for r in Region.objects.only("id", "code", "path", "name")}
    existing = {p.code: p for p in ServicePosition.objects.select_related("region")}
    scope = scope_for(actor, Perm.POSITION_CHANGE)
    seen: dict[str, int] = {}
    values: list[tuple[int, dict[str, Any]]] = []
    for row, v in sheet.rows:
        err_count = len(errors)
        code, name = cell_text(v.get("code")), cell_text(v.get("name"))
        if not code:
            errors.append(RowError(row, h["code"], _("Code is required.")))
        elif code in seen:
            errors.append(
                RowError(
                    row,
                    h["code"],
                    _("Code %(code)s repeats row %(row)s.") % {"code": code, "row": seen[code]},
                )
            )
        else:
            seen[code] = row
        if not name:
            errors.append(RowError(row, h["name"], _("Name is required.")))
        kind = POSITION_WORDS.get(cell_text(v.get("kind")))
        if kind is None:
            errors.append(
                RowError(
                    row,
                    h["kind"],
                    _("Unknown kind %(k)s; use 党群服务中心, 网格驿站, 暖心驿站 or 文化广场.")
                    % {"k": cell_text(v.get("kind")) or "—"},
                )
            )
        region = regions.get(cell_text(v.get("region_code")))
        if region is None:
            errors.append(
                RowError(
                    row,
                    h["region_code"],
                    _("Unknown region code %(code)s.")
                    % {"code": cell_text(v.get("region_code")) or "—"},
                )
            )
        elif not scope.contains(region.path):
            errors.append(
                RowError(
                    row,
                    h["region_code"],
                    _("You may not add or change positions in %(name)s.") % {"name": region.name},
                )
            )
        elif code in existing and not scope.contains(existing[code].region_path):
            errors.append(
                RowError(row, h["code"], _("You may not change %(code)s.") % {"code": code})
            )
        coords: dict[str, Decimal | None] = {}
        for key, low, high in (("longitude", -180, 180), ("latitude", -90, 90)):
            try:
                coords[key] = _decimal(v.get(key))
            except ValueError:
                errors.append(
                    RowError(row, h[key], _("Not a number: %(v)s") % {"v": cell_text(v.get(key))})
                )
                continue
            value = coords[key]
            if value is not None and not low <= value <= high:
                errors.append(
                    RowError(
                        row,
                        h[key],
                        _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high},
                    )
                )
        if len(coords) == 2 and (coords["longitude"] is None) != (coords["latitude"] is None):
            errors.append(
                RowError(row, h["latitude"], _("Give both longitude and latitude, or neither."))
            )
        for key, limit in (("name", 120), ("address", 200), ("opening_hours", 100), ("phone", 30)):
            if len(cell_text(v.get(key))) > limit:
                errors.append(
                    RowError(row, h[key], _("Longer than %(n)s characters.") % {"n": limit})
                )
        if len(errors) == err_count and region is not None and kind is not None:
            values.append(
                (
                    row,
                    {
                        "code": code,
                        "name": name,
                        "kind": kind.value,
                        "region": region,
                        "region_path": region.path,
                        "address": cell_text(v.get("address")),
                        "longitude": coords.get("longitude"),
                        "latitude": coords.get("latitude"),
                        "opening_hours": cell_text(v.get("opening_hours")),
                        "services": _split_services(v.get("services")),
                        "phone": cell_text(v.get("phone")),
                    },
                )
            )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))
    return _write_positions(actor, values, existing, filename)


_POSITION_FIELDS = (
    "name",
    "kind",
    "region_path",
    "address",
    "longitude",
    "latitude",
    "opening_hours",
    "services",
    "phone",
)


@transaction.atomic
def _write_positions(
    actor: Any,
    values: list[tuple[int, dict[str, Any]]],
    existing: dict[str, ServicePosition],
    filename: str,
) -> ImportResult:
    new = [ServicePosition(**v) for _row, v in values if v["code"] not in existing]
    ServicePosition.objects.bulk_create(new, batch_size=500)
    changed = []
    unchanged = 0
    for _row, v in values:
        current = existing.get(v["code"])
        if current is None:
            continue
        if all(getattr(current, f) == v[f] for f in _POSITION_FIELDS) and (
            current.region_id == v["region"].pk
        ):
            unchanged += 1
            continue
        for f, value in v.items():
            setattr(current, f, value)
        current.version += 1
        changed.append(current)
    ServicePosition.objects.bulk_update(
        changed, [*_POSITION_FIELDS, "region", "version"], batch_size=500
    )
    if new or changed:
        audit.record(
            actor=actor,
            action="position.import",
            object_type="core.serviceposition",
            object_label=filename or _("position workbook"),
            changes={"created": len(new), "updated": len(changed), "unchanged": unchanged},
        )
    return ImportResult(len(new), len(changed), unchanged)


def export_positions(positions: Any) -> bytes:
    rows = (
        (
            p.code,
            p.name,
            POSITION_NAMES[PositionKind(p.kind)],
            p.region.code,
            p.address,
            float(p.longitude) if p.longitude is not None else None,
            float(p.latitude) if p.latitude is not None else None,
            p.opening_hours,
            "；".join(p.services),
            p.phone,
        )
        for p in positions.iterator(chunk_size=2000)
    )
    return write_workbook("positions", POSITION_COLUMNS, rows)


def template(columns: list[Column], sheet_name: str) -> bytes:
    """An empty import template (header only) with a notes sheet that shows an example row."""
    example = "  |  ".join(f"{c.header}: {c.example}" for c in columns if c.example)
    notes = [*template_notes(columns), _("Example: %(row)s") % {"row": example}]
    return write_workbook(sheet_name, columns, [], notes=notes)
