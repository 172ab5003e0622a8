"""Import and export of the region tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, Scope, scope_for
from gridlight.core.errors import RowError
from gridlight.core.imports.common import MAX_ROWS, ImportResult, check_code, reject_if
from gridlight.core.models import Region, RegionKind, User
from gridlight.core.models.regions import KIND_LEVEL, SEGMENT_WIDTH
from gridlight.core.spreadsheets import Column, Sheet, cell_text, read_sheet, write_workbook

SHEET = "regions"
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
H = {c.key: c.header for c in REGION_COLUMNS}

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


@dataclass
class _RegionRow:
    row: int
    code: str
    name: str
    kind: str
    parent_code: str
    sort_order: int


def import_regions(
    *, actor: User | None, upload: IO[bytes], filename: str = "", as_system: bool = False
) -> ImportResult:
    """Import the region tree from a workbook (all-or-nothing, idempotent by code).

    ``as_system`` is the operator's console import that sets up a new district: no scope applies.
    """
    sheet = read_sheet(upload, REGION_COLUMNS, sheet=SHEET, max_rows=MAX_ROWS)
    errors: list[RowError] = []
    rows = _parse_region_rows(sheet, errors)
    existing = {r.code: r for r in Region.objects.select_related("parent")}
    roots = Region.objects.filter(parent__isnull=True).values_list("path", flat=True)
    check = _TreeCheck(
        existing=existing,
        file_rows={r.code: r for r in rows},
        write_scope=Scope.of(roots) if as_system else _write_scope(actor),
        is_root_admin=as_system or bool(getattr(actor, "is_superuser", False)),
        errors=errors,
    )
    check.rows(rows)
    reject_if(errors)
    return _write_regions(actor, rows, existing, filename)


def _parse_region_rows(sheet: Sheet, errors: list[RowError]) -> list[_RegionRow]:
    """Each row on its own: code, name, kind and sort order."""
    parsed: list[_RegionRow] = []
    seen: dict[str, int] = {}
    for row, v in sheet.rows:
        before = len(errors)
        code = check_code(row, v.get("code"), H["code"], seen, errors)
        name, kind_word = cell_text(v.get("name")), cell_text(v.get("kind"))
        if not name:
            errors.append(RowError(row, H["name"], _("Name is required.")))
        elif len(name) > 100:
            errors.append(RowError(row, H["name"], _("Name is longer than 100 characters.")))
        kind = KIND_WORDS.get(kind_word)
        if kind is None:
            errors.append(
                RowError(
                    row,
                    H["kind"],
                    _("Unknown kind %(k)s; use 区, 街道, 镇, 社区, 村 or 网格.")
                    % {"k": kind_word or "—"},
                )
            )
        sort_order = _sort_order(row, v.get("sort_order"), errors)
        if len(errors) == before and kind is not None:
            parent = cell_text(v.get("parent_code"))
            parsed.append(_RegionRow(row, code, name, kind, parent, sort_order))
    return parsed


def _sort_order(row: int, raw: Any, errors: list[RowError]) -> int:
    if raw in (None, ""):
        return 0
    try:
        value = int(str(raw))
        if value < 0:
            raise ValueError
    except ValueError:
        errors.append(RowError(row, H["sort_order"], _("Sort order must be a whole number ≥ 0.")))
        return 0
    return value


@dataclass
class _TreeCheck:
    """The rows against the tree in the system and the actor's write scope."""

    existing: dict[str, Region]
    file_rows: dict[str, _RegionRow]
    write_scope: Scope
    is_root_admin: bool
    errors: list[RowError]

    def rows(self, rows: list[_RegionRow]) -> None:
        names_taken: dict[tuple[str, str], int] = {}
        for r in rows:
            fits = self.existing_row(r) if r.code in self.existing else self.new_row(r)
            if not fits:
                continue
            key = (r.parent_code, r.name)
            if key in names_taken:
                self.error(
                    r.row,
                    "name",
                    _("%(name)s repeats row %(row)s under the same parent.")
                    % {"name": r.name, "row": names_taken[key]},
                )
            names_taken[key] = r.row
        self.names_in_system(rows)

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, H[key], message))

    def kind_of(self, code: str) -> str | None:
        if code in self.file_rows:
            return self.file_rows[code].kind
        return self.existing[code].kind if code in self.existing else None

    def existing_row(self, r: _RegionRow) -> bool:
        current = self.existing[r.code]
        current_parent = current.parent.code if current.parent is not None else ""
        if r.parent_code != current_parent:
            self.error(
                r.row,
                "parent_code",
                _(
                    "%(code)s already exists under %(old)s; moving a region is not "
                    "supported by "
                    "import."
                )
                % {"code": r.code, "old": current_parent or "—"},
            )
        elif KIND_LEVEL[r.kind] != current.level:
            self.error(r.row, "kind", _("The kind does not fit the level of the existing region."))
        elif not self.write_scope.contains(current.path):
            self.error(r.row, "code", _("You may not change %(code)s.") % {"code": r.code})
        else:
            return True
        return False

    def new_row(self, r: _RegionRow) -> bool:
        if not r.parent_code:
            if KIND_LEVEL[r.kind] != 0:
                self.error(r.row, "parent_code", _("Parent code is required."))
            elif not self.is_root_admin:
                self.error(
                    r.row,
                    "parent_code",
                    _("Only a system administrator can create a new district."),
                )
            return False
        parent_kind = self.kind_of(r.parent_code)
        if parent_kind is None:
            self.error(
                r.row,
                "parent_code",
                _("Parent code %(code)s is neither in the file nor in the system.")
                % {"code": r.parent_code},
            )
            return False
        if KIND_LEVEL[r.kind] != KIND_LEVEL[parent_kind] + 1:
            self.error(
                r.row,
                "kind",
                _("A %(kind)s cannot be placed directly under a %(parent)s.")
                % {"kind": RegionKind(r.kind).label, "parent": RegionKind(parent_kind).label},
            )
            return False
        if not self.may_add_under(r.parent_code):
            self.error(
                r.row,
                "parent_code",
                _("You may not add regions under %(code)s.") % {"code": r.parent_code},
            )
            return False
        return True

    def may_add_under(self, parent_code: str) -> bool:
        """The first ancestor already in the system must lie in the actor's write scope; a
        chain that ends at a new district in the same file needs root rights."""
        anchor = parent_code
        hops = 0
        while anchor in self.file_rows and anchor not in self.existing and hops < 10:
            anchor = self.file_rows[anchor].parent_code
            hops += 1
        if anchor == "" and self.is_root_admin:
            return True
        return anchor in self.existing and self.write_scope.contains(self.existing[anchor].path)

    def names_in_system(self, rows: list[_RegionRow]) -> None:
        by_name = {
            (e.parent.code if e.parent is not None else "", e.name): e
            for e in self.existing.values()
        }
        for r in rows:
            clash = by_name.get((r.parent_code, r.name)) if r.code not in self.existing else None
            if clash is not None:
                self.error(
                    r.row,
                    "name",
                    _("%(name)s already exists under this parent with code %(code)s.")
                    % {"name": r.name, "code": clash.code},
                )


def _write_scope(actor: User | None) -> Scope:
    if actor is None:  # only the operator's console import (as_system) acts as nobody
        raise PermissionDenied
    return scope_for(actor, Perm.REGION_CHANGE)


@transaction.atomic
def _write_regions(
    actor: User | None, rows: list[_RegionRow], existing: dict[str, Region], filename: str
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
    return write_workbook(SHEET, REGION_COLUMNS, rows)
