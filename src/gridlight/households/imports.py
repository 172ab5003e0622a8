"""Excel import and export of households with their residents.

One row per resident; the household columns repeat on each of its rows. The workbook is read as
a stream through the guarded reader (core/spreadsheets.open_table), every row is checked
(households/import_check.py) — ID numbers (GB 11643, 15-digit converted, full-width digits
folded), phones, grid codes within the importer's write scope, attributes from the catalogue,
relations, duplicate ID numbers within the file and against the database, rows of one household
that disagree — and only a clean file is written, in one transaction, with bulk inserts; then
the households it touched are classified (one by one for a few, set-based for many).
Households are matched by number and residents by ID number (or by name within their
household), so importing the same file again adds nothing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.bulk import bulk_insert, select_in
from gridlight.core.crypto import blind_indexes, decrypt, encrypt_many, mask_id, mask_phone
from gridlight.core.errors import ImportRejected
from gridlight.core.models import User
from gridlight.core.spreadsheets import open_table, write_workbook
from gridlight.households.import_check import (
    COLUMNS,
    MAX_ERRORS,
    RELATIONS,
    SHEET,
    FileCheck,
    HouseFromFile,
    Progress,
    Register,
    check_register,
)
from gridlight.households.models import (
    Attribute,
    AttributeValue,
    Household,
    HouseholdStatus,
    Light,
    Relation,
    Resident,
    ResidentStatus,
)

__all__ = [
    "COLUMNS",
    "RELATIONS",
    "SHEET",
    "ImportSummary",
    "check_and_import",
    "export_workbook",
]

RELATION_NAMES: dict[str, str] = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女",
    Relation.OTHER: "其他",
}
# Up to this many households touched, each is reclassified on its own (a few milliseconds each);
# beyond it, one set-based recompute of the district is cheaper (seconds, whatever the size).
CLASSIFY_ONE_BY_ONE = 500


@dataclass
class ImportSummary:
    households_created: int = 0
    households_updated: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    rows: int = 0
    seconds: float = 0.0


def check_and_import(
    *, actor: User, upload: IO[bytes], filename: str = "", progress: Progress | None = None
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
    actor: User, upload: IO[bytes], filename: str, progress: Progress | None
) -> ImportSummary:
    say = progress or (lambda _p, _m: None)
    start = time.perf_counter()
    check = FileCheck(actor)
    with open_table(upload, COLUMNS, sheet=SHEET) as table:
        check.read(table, say)
    say(65, _("Checking ID numbers against the register"))
    register = check_register(check)
    if check.errors:
        raise ImportRejected(sorted(check.errors, key=lambda e: (e.row, e.column))[:MAX_ERRORS])
    summary = _write(actor, check.houses, register, say)
    summary.rows = check.rows
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


@transaction.atomic
def _write(
    actor: User, houses: dict[str, HouseFromFile], register: Register, say: Progress
) -> ImportSummary:
    summary = ImportSummary()
    by_code = register.households
    existed = [hh.pk for hh in by_code.values()]
    summary.households_updated = _move_households(actor, houses, by_code)
    say(70, _("Writing households and residents"))
    names = _unnumbered_residents(existed)
    # Rows go in with plain multi-row INSERTs, a few thousand households at a time: the ORM's
    # bulk_create spends most of an import building and converting model objects.
    touched: list[int] = []
    batch: list[HouseFromFile] = []
    done = 0
    for house in houses.values():
        batch.append(house)
        if len(batch) >= 5000:
            touched += _write_batch(batch, register, names, summary)
            done += len(batch)
            batch = []
            say(70 + done * 22 // len(houses), _("Written %(n)s households") % {"n": done})
    if batch:
        touched += _write_batch(batch, register, names, summary)
    say(94, _("Classifying"))
    _classify(actor, touched)
    return summary


def _move_households(
    actor: User, houses: dict[str, HouseFromFile], by_code: dict[str, Household]
) -> int:
    """Give existing households the grid and address the file says; returns how many changed.

    The one place the import moves a household: through the move service, which carries its
    residents, visits and light history along."""
    from gridlight.households.services import household_move_many

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
    return len(changed)


def _unnumbered_residents(households: list[int]) -> dict[tuple[int, str], int]:
    """(household id, name) → resident id of residents without an ID number: they are matched
    by name within their (existing) household."""
    names: dict[tuple[int, str], int] = {}
    for k in range(0, len(households), 900):
        for pk, hid, name in Resident.objects.filter(
            household_id__in=households[k : k + 900], id_number_index__isnull=True
        ).values_list("id", "household_id", "name"):
            names[(hid, name)] = pk
    return names


def _classify(actor: User, touched: list[int]) -> None:
    """Reclassify the households the file touched, and only those: one by one for a few (a
    one-row import must not recompute a district of 300,000), set-based beyond
    :data:`CLASSIFY_ONE_BY_ONE`, where one statement over everything is cheaper."""
    from gridlight.households.classify import active_households, classify_one, recompute_all

    if len(touched) > CLASSIFY_ONE_BY_ONE:
        recompute_all(actor=actor)
        return
    for household in active_households().filter(pk__in=touched).order_by("pk"):
        classify_one(household, actor=actor)


def _write_batch(
    batch: list[HouseFromFile],
    register: Register,
    names: dict[tuple[int, str], int],
    summary: ImportSummary,
) -> list[int]:
    """Write a batch of households with their residents and attributes; returns their ids."""
    by_code = register.households
    new = [house for house in batch if house.code not in by_code]
    _insert_households(new)
    summary.households_created += len(new)
    # (id, region path) of each household of the batch: plain tuples, as a model instance per
    # new household costs more than the rest of its writing.
    homes = {
        h.code: (by_code[h.code].pk, by_code[h.code].region_path)
        for h in batch
        if h.code in by_code
    }
    for pk, code, path in select_in(
        f"SELECT id, code, region_path FROM {Household._meta.db_table} WHERE code IN ({{}})",
        [h.code for h in new],
    ):
        homes[code] = (pk, path)
    plan = _plan_residents(batch, homes, register, names)
    _write_residents(plan)
    summary.residents_created += len(plan.create)
    summary.residents_updated += len(plan.update)
    # The file's attributes replace those of the households that already existed.
    new_codes = {h.code for h in new}
    _write_attributes(
        plan,
        [pk for pk, house in zip(plan.touched, batch, strict=True) if house.code not in new_codes],
    )
    return plan.touched


def _insert_households(new: list[HouseFromFile]) -> None:
    from gridlight.households.classify import due_after, intervals

    now = timezone.now()
    today = timezone.localdate()
    # Until its first classification (later in this transaction) a new household is green,
    # with the next visit a green household registered today gets. Most households stay so,
    # and their classification then writes none of the indexed columns (light, next visit):
    # on PostgreSQL an update in place (HOT), on SQLite no index entry rewritten. Only those
    # that turn out red or yellow are re-entered in the indexes.
    green_due = due_after(today, Light.GREEN, intervals())
    bulk_insert(
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
            "next_visit_due",
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
                Light.GREEN.value,
                Light.GREEN.value,
                "",
                "",
                "",
                green_due,
                1,
                now,
                now,
            )
            for h in new
        ],
    )


@dataclass
class _ResidentPlan:
    """A batch's residents to insert and to update, with the attribute rows that follow them."""

    create: list[tuple[Any, ...]] = field(default_factory=list)
    create_attrs: list[tuple[int, str, str | None, dict[str, int | None]]] = field(
        default_factory=list
    )
    update: list[Resident] = field(default_factory=list)
    update_attrs: list[tuple[int, int, dict[str, int | None]]] = field(default_factory=list)
    house_values: list[tuple[Any, ...]] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)  # household ids, in batch order


def _plan_residents(
    batch: list[HouseFromFile],
    homes: dict[str, tuple[int, str]],
    register: Register,
    names: dict[tuple[int, str], int],
) -> _ResidentPlan:
    """Residents are matched by ID number's blind index, else by name in their household;
    ``homes`` gives each household number's (id, region path)."""
    index_of, existing = register.index_of, register.residents
    plan = _ResidentPlan()
    # Every phone and ID number of the batch encrypted (and phones indexed) in one call each.
    members = [m for house in batch for m in house.members]
    phones = [m.phone for m in members if m.phone]
    sealed_phones = dict(
        zip(
            phones,
            zip(encrypt_many(phones), blind_indexes(phones, purpose="phone"), strict=True),
            strict=True,
        )
    )
    numbers = [m.number for m in members if m.number is not None]
    sealed_numbers = dict(zip(numbers, encrypt_many(numbers), strict=True))
    for house in batch:
        hh_pk, region_path = homes[house.code]
        plan.touched.append(hh_pk)
        plan.house_values += [(hh_pk, None, a, None) for a in house.attributes]
        for m in house.members:
            index = index_of[m.number] if m.number is not None else None
            phone_enc, phone_index = sealed_phones[m.phone] if m.phone else ("", "")
            known = existing.get(index) if index is not None else None
            rid = known[0] if known else names.get((hh_pk, m.name))
            if rid is None:
                plan.create.append(
                    (
                        hh_pk,
                        region_path,
                        m.name,
                        sealed_numbers[m.number] if m.number is not None else "",
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
                plan.create_attrs.append((hh_pk, m.name, index, m.attributes))
            else:
                fields: dict[str, Any] = {
                    "household_id": hh_pk,
                    "region_path": region_path,
                    "name": m.name,
                    "relation": m.relation,
                    "status": ResidentStatus.PRESENT,
                    "phone_enc": phone_enc,
                    "phone_index": phone_index,
                }
                plan.update.append(Resident(pk=rid, **fields))
                plan.update_attrs.append((rid, hh_pk, m.attributes))
    return plan


def _write_residents(plan: _ResidentPlan) -> None:
    bulk_insert(
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
        plan.create,
    )
    Resident.objects.bulk_update(
        plan.update,
        ["household_id", "region_path", "name", "relation", "status", "phone_enc", "phone_index"],
        batch_size=2000,
    )


def _write_attributes(plan: _ResidentPlan, existing_households: list[int]) -> None:
    """Replace the attributes of households that existed; add those of the new residents (whose
    ids are found by their ID number's index, or by name in their household)."""
    by_index: dict[str, int] = {}
    by_name: dict[tuple[int, str], int] = {}
    new_households = sorted({row[0] for row in plan.create})
    for rid, hid, name, index in select_in(
        f"SELECT id, household_id, name, id_number_index FROM {Resident._meta.db_table} "
        f"WHERE household_id IN ({{}}) ORDER BY id",
        new_households,
    ):
        if index is not None:
            by_index[index] = rid
        else:
            by_name.setdefault((hid, name), rid)
    for k in range(0, len(existing_households), 900):
        AttributeValue.objects.filter(household_id__in=existing_households[k : k + 900]).delete()
    values = list(plan.house_values)
    for hid, name, index, attrs in plan.create_attrs:
        rid = by_index[index] if index is not None else by_name[(hid, name)]
        values += [(hid, rid, code, grade) for code, grade in attrs.items()]
    for rid, hid, attrs in plan.update_attrs:
        values += [(hid, rid, code, grade) for code, grade in attrs.items()]
    bulk_insert(
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
                RELATION_NAMES.get(r.relation, "其他"),
                "；".join(person_attrs.get(r.pk, [])),
            ]


def export_workbook(households: Any, *, reveal: bool) -> bytes:
    return write_workbook(SHEET, COLUMNS, export_rows(households, reveal=reveal))
