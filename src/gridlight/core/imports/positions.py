"""Import and export of service positions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, Scope, scope_for
from gridlight.core.errors import RowError
from gridlight.core.imports.common import MAX_ROWS, ImportResult, check_code, reject_if
from gridlight.core.models import PositionKind, Region, ServicePosition, User
from gridlight.core.spreadsheets import Column, cell_text, read_sheet, write_workbook

SHEET = "positions"
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
H = {c.key: c.header for c in POSITION_COLUMNS}

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
LENGTHS = (("name", 120), ("address", 200), ("opening_hours", 100), ("phone", 30))


def import_positions(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportResult:
    """Import service positions (all-or-nothing, idempotent by code)."""
    sheet = read_sheet(upload, POSITION_COLUMNS, sheet=SHEET, max_rows=MAX_ROWS)
    check = _PositionCheck(
        regions={r.code: r for r in Region.objects.only("id", "code", "path", "name")},
        existing={p.code: p for p in ServicePosition.objects.select_related("region")},
        scope=scope_for(actor, Perm.POSITION_CHANGE),
    )
    values = [v for row, raw in sheet.rows if (v := check.row(row, raw)) is not None]
    reject_if(check.errors)
    return _write_positions(actor, values, check.existing, filename)


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


@dataclass
class _PositionCheck:
    """Each row against the regions in the system and the actor's write scope."""

    regions: dict[str, Region]
    existing: dict[str, ServicePosition]
    scope: Scope

    def __post_init__(self) -> None:
        self.errors: list[RowError] = []
        self.seen: dict[str, int] = {}

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, H[key], message))

    def row(self, row: int, v: dict[str, Any]) -> dict[str, Any] | None:
        """The row's values for writing, or ``None`` when it has errors (recorded)."""
        before = len(self.errors)
        code = check_code(row, v.get("code"), H["code"], self.seen, self.errors)
        name = cell_text(v.get("name"))
        if not name:
            self.error(row, "name", _("Name is required."))
        kind = POSITION_WORDS.get(cell_text(v.get("kind")))
        if kind is None:
            self.error(
                row,
                "kind",
                _("Unknown kind %(k)s; use 党群服务中心, 网格驿站, 暖心驿站 or 文化广场.")
                % {"k": cell_text(v.get("kind")) or "—"},
            )
        region = self.region(row, code, cell_text(v.get("region_code")))
        coords = self.coordinates(row, v)
        for key, limit in LENGTHS:
            if len(cell_text(v.get(key))) > limit:
                self.error(row, key, _("Longer than %(n)s characters.") % {"n": limit})
        if len(self.errors) > before or region is None or kind is None:
            return None
        return {
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
        }

    def region(self, row: int, code: str, region_code: str) -> Region | None:
        region = self.regions.get(region_code)
        if region is None:
            self.error(
                row,
                "region_code",
                _("Unknown region code %(code)s.") % {"code": region_code or "—"},
            )
        elif not self.scope.contains(region.path):
            self.error(
                row,
                "region_code",
                _("You may not add or change positions in %(name)s.") % {"name": region.name},
            )
        elif code in self.existing and not self.scope.contains(self.existing[code].region_path):
            self.error(row, "code", _("You may not change %(code)s.") % {"code": code})
        return region

    def coordinates(self, row: int, v: dict[str, Any]) -> dict[str, Decimal | None]:
        coords: dict[str, Decimal | None] = {}
        for key, low, high in (("longitude", -180, 180), ("latitude", -90, 90)):
            try:
                coords[key] = _decimal(v.get(key))
            except ValueError:
                self.error(row, key, _("Not a number: %(v)s") % {"v": cell_text(v.get(key))})
                continue
            value = coords[key]
            if value is not None and not low <= value <= high:
                self.error(
                    row,
                    key,
                    _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high},
                )
        if len(coords) == 2 and (coords["longitude"] is None) != (coords["latitude"] is None):
            self.error(row, "latitude", _("Give both longitude and latitude, or neither."))
        return coords


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
    actor: User,
    values: list[dict[str, Any]],
    existing: dict[str, ServicePosition],
    filename: str,
) -> ImportResult:
    new = [ServicePosition(**v) for v in values if v["code"] not in existing]
    ServicePosition.objects.bulk_create(new, batch_size=500)
    changed = []
    unchanged = 0
    for v in values:
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
    return write_workbook(SHEET, POSITION_COLUMNS, rows)
