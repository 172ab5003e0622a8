"""Excel import and export of households with their residents.

One row per resident; the household columns repeat on each of its rows. The file is read as a
stream (python-calamine), every row is checked — ID numbers (GB 11643, 15-digit converted,
full-width digits folded), phones, grid codes within the importer's write scope, attributes from
the catalogue, relations, duplicate ID numbers within the file and against the database, rows of
one household that disagree — and only a clean file is written, in one transaction, with bulk
inserts, then classified set-based. Households are matched by number and residents by ID number
(or by name within their household), so importing the same file again adds nothing.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from gridlight.core import audit
from gridlight.core.access import Perm, scope_for
from gridlight.core.crypto import (
    InvalidPhone,
    blind_index,
    decrypt,
    encrypt,
    mask_id,
    mask_phone,
    parse_phone,
)
from gridlight.core.errors import ImportRejected, RowError
from gridlight.core.idcard import InvalidIdNumber, parse_id
from gridlight.core.models import Region, RegionLevel
from gridlight.core.spreadsheets import Column, cell_text, write_workbook
from gridlight.households.models import (
    Attribute,
    AttributeScope,
    AttributeValue,
    Household,
    HouseholdStatus,
    Relation,
    Resident,
    ResidentStatus,
)

COLUMNS = [
    Column("code", "户编号", "household number", required=True, example="37010300800801-0001"),
    Column("grid", "网格编码", "grid code", required=True, example="37010300800801"),
    Column("address", "地址", "address", required=True, example="济南市市中区建新路1号1单元101室"),
    Column("household_attributes", "户属性", "household attributes", example="独居；低保"),
    Column("name", "姓名", "name", required=True, example="张三"),
    Column("id_number", "身份证号", "ID number", example="（18位身份证号）"),
    Column("phone", "联系电话", "phone", example="13800000000"),
    Column("relation", "与户主关系", "relation", example="户主"),
    Column("attributes", "居民属性", "resident attributes", example="残疾(2级)；慢性病"),
]
RELATIONS = {
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "子女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "父母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙子女": Relation.GRANDCHILD,
    "其他": Relation.OTHER,
    "": Relation.OTHER,
}
RELATIONS.update({r.value: r for r in Relation})
RELATION_NAMES = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女",
    Relation.OTHER: "其他",
}
MAX_ERRORS = 1000
Progress = Callable[[int, str], None]


@dataclass
class ImportSummary:
    households_created: int = 0
    households_updated: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    rows: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class _Member:
    row: int
    name: str
    number: str | None
    birth: date | None
    sex: str
    phone: str
    relation: str
    attributes: dict[str, int | None]


@dataclass(slots=True)
class _House:
    row: int
    code: str
    grid: Region
    address: str
    attributes: list[str]
    members: list[_Member] = field(default_factory=list)


def _split(text: str) -> list[str]:
    for sep in ("；", ";", "、", "，", ","):
        text = text.replace(sep, ";")
    return [t.strip() for t in text.split(";") if t.strip()]


def _parse_attribute(token: str) -> tuple[str, int | None]:
    """``残疾(2级)`` → (残疾, 2); ``慢性病`` → (慢性病, None)."""
    for opening in ("(", "（"):
        if opening in token:
            name, rest = token.split(opening, 1)
            digits = "".join(ch for ch in rest if ch.isdigit())
            return name.strip(), int(digits) if digits else None
    return token, None


def _rows(data: bytes) -> tuple[list[str], Iterator[list[Any]], list[RowError]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several types for a file that is not a workbook
        raise ImportRejected(
            [RowError(0, "", _("The file is not an Excel workbook (.xlsx) that can be read."))]
        ) from exc
    problems = []
    merged = getattr(sheet, "merged_cell_ranges", None) or []
    for (r0, c0), (r1, c1) in merged[:20]:
        problems.append(
            RowError(
                r0 + 1,
                "",
                _(
                    "Merged cells (rows %(a)s–%(b)s, columns %(c)s–%(d)s): unmerge them and "
                    "fill every cell."
                )
                % {"a": r0 + 1, "b": r1 + 1, "c": c0 + 1, "d": c1 + 1},
            )
        )
    rows = sheet.iter_rows()
    header: list[str] = []
    for raw in rows:
        header = [cell_text(c).rstrip("*").strip() for c in raw]
        if any(header):
            break
    return header, rows, problems


def check_and_import(
    *, actor: Any, upload: IO[bytes], filename: str = "", progress: Progress | None = None
) -> ImportSummary:
    """Check the whole workbook, then write it (all-or-nothing). Raises :class:`ImportRejected`
    with every problem found (up to a thousand), naming the row and the column."""
    # Hundreds of thousands of small objects and no reference cycles among them: the cyclic
    # collector would only rescan them again and again (it costs a third of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_and_import(actor, upload, filename, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _check_and_import(
    actor: Any, upload: IO[bytes], filename: str, progress: Progress | None
) -> ImportSummary:
    say = progress or (lambda _p, _m: None)
    start = time.perf_counter()
    header, rows, errors = _rows(upload.read())
    by_header = {c.header: c for c in COLUMNS} | {c.header_en.lower(): c for c in COLUMNS}
    index: dict[str, int] = {}
    for i, text in enumerate(header):
        if not text:
            continue
        col = by_header.get(text) or by_header.get(text.lower())
        if col is None:
            errors.append(RowError(1, text, _("Unknown column header: %(h)s") % {"h": text}))
        elif col.key in index:
            errors.append(RowError(1, text, _("Column appears twice: %(h)s") % {"h": text}))
        else:
            index[col.key] = i
    for col in COLUMNS:
        if col.required and col.key not in index:
            errors.append(
                RowError(1, col.header, _("Required column is missing: %(h)s") % {"h": col.header})
            )
    if errors:
        raise ImportRejected(errors)
    h = {c.key: c.header for c in COLUMNS}
    grids = {g.code: g for g in Region.objects.filter(level=RegionLevel.GRID)}
    scope = scope_for(actor, Perm.HOUSEHOLD_CHANGE)
    attrs = {a.name: a for a in Attribute.objects.filter(active=True)}
    attrs.update({a.code: a for a in attrs.values()})
    houses: dict[str, _House] = {}
    seen_ids: dict[str, int] = {}
    count = 0

    def err(row: int, key: str, message: str) -> None:
        errors.append(RowError(row, h[key], message))

    for offset, raw in enumerate(rows, start=2):
        cells = {k: cell_text(raw[i]) if i < len(raw) else "" for k, i in index.items()}
        if not any(cells.values()):
            continue
        count += 1
        if count % 50_000 == 0:
            say(min(60, count * 60 // 800_000), _("Checked %(n)s rows") % {"n": count})
        if len(errors) >= MAX_ERRORS:
            break
        before = len(errors)
        code, name = cells["code"], cells["name"]
        if not code:
            err(offset, "code", _("Household number is required."))
        if not name:
            err(offset, "name", _("Name is required."))
        grid = grids.get(cells["grid"])
        if grid is None:
            err(offset, "grid", _("Unknown grid code %(c)s.") % {"c": cells["grid"] or "—"})
        elif not scope.contains(grid.path):
            err(offset, "grid", _("You may not import households into %(g)s.") % {"g": grid.name})
        if not cells["address"]:
            err(offset, "address", _("Address is required."))
        number = birth = None
        sex = ""
        if cells.get("id_number"):
            try:
                info = parse_id(cells["id_number"])
            except InvalidIdNumber as exc:
                err(offset, "id_number", exc.message)
            else:
                number, birth, sex = info.number, info.birth_date, info.sex
                if number in seen_ids:
                    err(
                        offset,
                        "id_number",
                        _("This ID number repeats row %(r)s.") % {"r": seen_ids[number]},
                    )
                else:
                    seen_ids[number] = offset
        phone = ""
        if cells.get("phone"):
            try:
                phone = parse_phone(cells["phone"])
            except InvalidPhone as exc:
                err(offset, "phone", str(exc))
        relation = RELATIONS.get(cells.get("relation", ""))
        if relation is None:
            err(
                offset,
                "relation",
                _("Unknown relation %(r)s; use 户主, 配偶, 子女, 父母, 孙子女 or 其他.")
                % {"r": cells["relation"]},
            )
        member_attrs: dict[str, int | None] = {}
        for token in _split(cells.get("attributes", "")):
            label, grade = _parse_attribute(token)
            a = attrs.get(label)
            if a is None or a.applies_to != AttributeScope.RESIDENT:
                err(offset, "attributes", _("Unknown resident attribute: %(a)s") % {"a": token})
            elif grade is not None and not (a.graded and 1 <= grade <= 4):
                err(
                    offset,
                    "attributes",
                    _("%(a)s takes no grade, or a grade from 1 to 4.") % {"a": a.name},
                )
            else:
                member_attrs[a.code] = grade
        house_attrs = []
        for token in _split(cells.get("household_attributes", "")):
            a = attrs.get(token)
            if a is None or a.applies_to != AttributeScope.HOUSEHOLD:
                err(
                    offset,
                    "household_attributes",
                    _("Unknown household attribute: %(a)s") % {"a": token},
                )
            else:
                house_attrs.append(a.code)
        if len(errors) > before or grid is None or relation is None:
            continue
        house = houses.get(code)
        if house is None:
            house = houses[code] = _House(offset, code, grid, cells["address"], house_attrs)
        elif house.grid.pk != grid.pk or house.address != cells["address"]:
            err(
                offset,
                "address",
                _("Household %(c)s has a different grid or address on row %(r)s.")
                % {"c": code, "r": house.row},
            )
            continue
        elif house_attrs and sorted(house_attrs) != sorted(house.attributes):
            err(
                offset,
                "household_attributes",
                _("Household %(c)s has other household attributes on row %(r)s.")
                % {"c": code, "r": house.row},
            )
            continue
        house.members.append(
            _Member(offset, name, number, birth, sex, phone, relation, member_attrs)
        )
    if not count and not errors:
        errors.append(RowError(0, "", _("The workbook has no data rows.")))
    say(65, _("Checking ID numbers against the register"))
    index_of = {n: blind_index(n, purpose="id_number") for n in seen_ids}
    existing = _existing_residents(list(index_of.values()))
    by_code: dict[str, Household] = {}
    codes = list(houses)
    for i in range(0, len(codes), 900):  # SQLite allows a limited number of parameters
        for hh in Household.objects.filter(code__in=codes[i : i + 900]).only(
            "id", "code", "region_path", "grid_id", "address"
        ):
            by_code[hh.code] = hh
    for house in houses.values():
        current = by_code.get(house.code)
        if current is not None and not scope.contains(current.region_path):
            errors.append(
                RowError(
                    house.row,
                    h["code"],
                    _("Household %(c)s exists outside your scope.") % {"c": house.code},
                )
            )
        for m in house.members:
            if m.number is None:
                continue
            holder = existing.get(index_of[m.number])  # noqa: RUF100
            if holder is not None and (current is None or holder[1] != current.pk):
                errors.append(
                    RowError(
                        m.row,
                        h["id_number"],
                        _("This ID number is already registered in another household."),
                    )
                )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column))[:MAX_ERRORS])
    summary = _write(actor, houses, by_code, index_of, existing, say)
    summary.rows = count
    summary.seconds = time.perf_counter() - start
    audit.record(
        actor=actor,
        action="household.import",
        object_type="households.household",
        object_label=filename or _("household workbook"),
        changes={
            "households_created": summary.households_created,
            "households_updated": summary.households_updated,
            "residents_created": summary.residents_created,
            "residents_updated": summary.residents_updated,
        },
    )
    say(100, _("Done"))
    return summary


def _existing_residents(indexes: list[str]) -> dict[str, tuple[int, int]]:
    """blind index → (resident id, household id) for those already registered."""
    found: dict[str, tuple[int, int]] = {}
    for i in range(0, len(indexes), 900):
        chunk = indexes[i : i + 900]
        for rid, hid, idx in Resident.objects.filter(id_number_index__in=chunk).values_list(
            "id", "household_id", "id_number_index"
        ):
            if idx is not None:
                found[idx] = (rid, hid)
    return found


@transaction.atomic
def _write(
    actor: Any,
    houses: dict[str, _House],
    by_code: dict[str, Household],
    index_of: dict[str, str],
    existing: dict[str, tuple[int, int]],
    say: Progress,
) -> ImportSummary:
    from gridlight.households.classify import recompute_all
    from gridlight.households.services import household_move_many

    summary = ImportSummary()
    existed = [hh.pk for hh in by_code.values()]
    changed = [
        hh
        for code, hh in by_code.items()
        if code in houses
        and (hh.address != houses[code].address or hh.grid_id != houses[code].grid.pk)
    ]
    # A household moves with everything that carries its region, through the one move service.
    moves = {hh.pk: houses[hh.code].grid for hh in changed if hh.grid_id != houses[hh.code].grid.pk}
    for hh in changed:
        hh.address = houses[hh.code].address
        hh.grid = houses[hh.code].grid
        hh.region_path = houses[hh.code].grid.path
    Household.objects.bulk_update(changed, ["address"], batch_size=2000)
    household_move_many(actor=actor, moves=moves)
    summary.households_updated = len(changed)
    say(70, _("Writing households and residents"))
    # Residents without an ID number are matched by name within their (existing) household.
    names: dict[tuple[int, str], int] = {}
    for k in range(0, len(existed), 900):
        for pk, hid, name in Resident.objects.filter(
            household_id__in=existed[k : k + 900], id_number_index__isnull=True
        ).values_list("id", "household_id", "name"):
            names[(hid, name)] = pk
    # Rows go in with plain multi-row INSERTs, a few thousand households at a time: the ORM's
    # bulk_create spends most of an import building and converting model objects.
    batch: list[_House] = []
    done = 0
    for house in houses.values():
        batch.append(house)
        if len(batch) >= 5000:
            _write_batch(batch, by_code, index_of, existing, names, summary)
            done += len(batch)
            batch = []
            say(70 + done * 22 // len(houses), _("Written %(n)s households") % {"n": done})
    if batch:
        _write_batch(batch, by_code, index_of, existing, names, summary)
    say(94, _("Classifying"))
    recompute_all(actor=actor)
    return summary


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows at once: PostgreSQL's COPY, or on SQLite multi-row INSERT statements with
    as many rows as its 32,766-parameter limit allows. (One statement per row makes the server
    parse and plan hundreds of thousands of statements.)"""
    if not rows:
        return
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            raw = cur.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        per_statement = max(1, 30_000 // len(columns))
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for k in range(0, len(rows), per_statement):
            chunk = rows[k : k + per_statement]
            values = ", ".join([one] * len(chunk))
            cur.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}",
                [value for row in chunk for value in row],
            )


def _write_batch(
    batch: list[_House],
    by_code: dict[str, Household],
    index_of: dict[str, str],
    existing: dict[str, tuple[int, int]],
    names: dict[tuple[int, str], int],
    summary: ImportSummary,
) -> None:
    now = timezone.now()
    today = timezone.localdate()
    new = [house for house in batch if house.code not in by_code]
    _insert(
        Household._meta.db_table,
        [
            "code",
            "grid_id",
            "region_path",
            "address",
            "status",
            "registered_on",
            "light",
            "computed_light",
            "light_reasons",
            "override_light",
            "override_reason",
            "version",
            "created_at",
            "updated_at",
        ],
        [
            (
                h.code,
                h.grid.pk,
                h.grid.path,
                h.address,
                HouseholdStatus.ACTIVE.value,
                today,
                "green",
                "green",
                "",
                "",
                "",
                1,
                now,
                now,
            )
            for h in new
        ],
    )
    summary.households_created += len(new)
    new_codes = {h.code for h in new}
    for pk, code, path in Household.objects.filter(code__in=[h.code for h in new]).values_list(
        "pk", "code", "region_path"
    ):
        by_code[code] = Household(pk=pk, code=code, region_path=path)
    create: list[tuple[Any, ...]] = []
    create_attrs: list[tuple[int, str, str | None, dict[str, int | None]]] = []
    update: list[Resident] = []
    update_attrs: list[tuple[int, int, dict[str, int | None]]] = []
    house_values: list[tuple[Any, ...]] = []
    touched = []
    for house in batch:
        hh = by_code[house.code]
        touched.append(hh.pk)
        house_values += [(hh.pk, None, a, None) for a in house.attributes]
        for m in house.members:
            index = index_of[m.number] if m.number is not None else None
            phone_enc = encrypt(m.phone) if m.phone else ""
            phone_index = blind_index(m.phone, purpose="phone") if m.phone else ""
            known = existing.get(index) if index is not None else None
            rid = known[0] if known else names.get((hh.pk, m.name))
            if rid is None:
                create.append(
                    (
                        hh.pk,
                        hh.region_path,
                        m.name,
                        encrypt(m.number) if m.number is not None else "",
                        index,
                        m.birth,
                        m.sex,
                        phone_enc,
                        phone_index,
                        m.relation,
                        ResidentStatus.PRESENT.value,
                        1,
                    )
                )
                create_attrs.append((hh.pk, m.name, index, m.attributes))
            else:
                fields: dict[str, Any] = {
                    "household_id": hh.pk,
                    "region_path": hh.region_path,
                    "name": m.name,
                    "relation": m.relation,
                    "status": ResidentStatus.PRESENT,
                    "phone_enc": phone_enc,
                    "phone_index": phone_index,
                }
                update.append(Resident(pk=rid, **fields))
                update_attrs.append((rid, hh.pk, m.attributes))
    _insert(
        Resident._meta.db_table,
        [
            "household_id",
            "region_path",
            "name",
            "id_number_enc",
            "id_number_index",
            "birth_date",
            "sex",
            "phone_enc",
            "phone_index",
            "relation",
            "status",
            "version",
        ],
        create,
    )
    Resident.objects.bulk_update(
        update,
        ["household_id", "region_path", "name", "relation", "status", "phone_enc", "phone_index"],
        batch_size=2000,
    )
    summary.residents_created += len(create)
    summary.residents_updated += len(update)
    # The new residents' ids, found by their ID number's index, or by name in their household.
    by_index: dict[str, int] = {}
    by_name: dict[tuple[int, str], int] = {}
    new_households = sorted({row[0] for row in create})
    for k in range(0, len(new_households), 900):
        for rid, hid, name, index in Resident.objects.filter(
            household_id__in=new_households[k : k + 900]
        ).values_list("id", "household_id", "name", "id_number_index"):
            if index is not None:
                by_index[index] = rid
            else:
                by_name.setdefault((hid, name), rid)
    # The file's attributes replace those of the households that already existed.
    existing_households = [
        pk for pk, house in zip(touched, batch, strict=True) if house.code not in new_codes
    ]
    for k in range(0, len(existing_households), 900):
        AttributeValue.objects.filter(household_id__in=existing_households[k : k + 900]).delete()
    values = list(house_values)
    for hid, name, index, attrs in create_attrs:
        rid = by_index[index] if index is not None else by_name[(hid, name)]
        values += [(hid, rid, code, grade) for code, grade in attrs.items()]
    for rid, hid, attrs in update_attrs:
        values += [(hid, rid, code, grade) for code, grade in attrs.items()]
    _insert(
        AttributeValue._meta.db_table,
        ["household_id", "resident_id", "attribute_id", "grade"],
        values,
    )


def export_rows(households: Any, *, reveal: bool) -> Iterator[list[Any]]:
    """Rows for the export, one per present resident, in the import format (a round trip adds
    nothing); ID and phone numbers are masked unless ``reveal``. Reads in chunks of 2,000
    households with three queries each."""
    names = dict(Attribute.objects.values_list("code", "name"))
    ids = list(households.values_list("pk", flat=True))
    for i in range(0, len(ids), 2000):
        chunk = ids[i : i + 2000]
        homes = {hh.pk: hh for hh in Household.objects.filter(pk__in=chunk).select_related("grid")}
        house_attrs: dict[int, list[str]] = {}
        person_attrs: dict[int, list[str]] = {}
        for hid, rid, code, grade in AttributeValue.objects.filter(
            household_id__in=chunk
        ).values_list("household_id", "resident_id", "attribute_id", "grade"):
            label = names.get(str(code), str(code)) + (f"({grade}级)" if grade else "")
            if rid is None:
                house_attrs.setdefault(hid, []).append(label)
            else:
                person_attrs.setdefault(rid, []).append(label)
        residents = Resident.objects.filter(
            household_id__in=chunk, status=ResidentStatus.PRESENT
        ).order_by("household_id", "id")
        for r in residents:
            hh = homes[r.household_id]
            number = decrypt(r.id_number_enc) if r.id_number_enc else ""
            phone = decrypt(r.phone_enc) if r.phone_enc else ""
            yield [
                hh.code,
                hh.grid.code,
                hh.address,
                "；".join(house_attrs.get(hh.pk, [])),
                r.name,
                number if reveal else mask_id(number) if number else "",
                phone if reveal else mask_phone(phone) if phone else "",
                RELATION_NAMES.get(Relation(r.relation), "其他"),
                "；".join(person_attrs.get(r.pk, [])),
            ]


def export_workbook(households: Any, *, reveal: bool) -> bytes:
    return write_workbook("residents", COLUMNS, export_rows(households, reveal=reveal))
