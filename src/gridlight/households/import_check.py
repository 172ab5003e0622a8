"""Checking a household workbook before anything is written: every row on its own, the rows of
one household against each other, and the ID numbers against the register.

The result is the file's households with their members (:class:`HouseFromFile`), or every problem
found (up to :data:`MAX_ERRORS`), naming the row and the column. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from gridlight.core.access import Perm, scope_for
from gridlight.core.bulk import select_in
from gridlight.core.crypto import InvalidPhone, blind_indexes, parse_phone
from gridlight.core.errors import RowError
from gridlight.core.idcard import InvalidIdNumber, parse_id
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.spreadsheets import Column, Table
from gridlight.households.models import Attribute, AttributeScope, Household, Relation, Resident
from gridlight.households.services import grade_problem

SHEET = "residents"  # the template's sheet, read by name
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
H = {c.key: c.header for c in COLUMNS}
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
MAX_ERRORS = 1000
Progress = Callable[[int, str], None]


@dataclass(slots=True)
class MemberFromFile:
    row: int
    name: str
    number: str | None
    birth: date | None
    sex: str
    phone: str
    relation: str
    attributes: dict[str, int | None]


@dataclass(slots=True)
class HouseFromFile:
    row: int
    code: str
    grid: Region
    address: str
    attributes: list[str]
    members: list[MemberFromFile] = field(default_factory=list)


def _split(text: str) -> list[str]:
    if not text:  # most rows: no attributes
        return []
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


class FileCheck:
    """The rows of one workbook, checked one at a time as they are read."""

    def __init__(self, actor: User) -> None:
        self.grids = {g.code: g for g in Region.objects.filter(level=RegionLevel.GRID)}
        self.scope = scope_for(actor, Perm.HOUSEHOLD_CHANGE)
        attrs = {a.name: a for a in Attribute.objects.filter(active=True)}
        attrs.update({a.code: a for a in attrs.values()})
        self.attrs = attrs
        self.houses: dict[str, HouseFromFile] = {}
        self.numbers: dict[str, int] = {}  # ID number -> first row
        self.errors: list[RowError] = []
        self.rows = 0

    def err(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, H[key], message))

    def read(self, table: Table, say: Progress) -> None:
        """Check every row of ``table`` (stopping at :data:`MAX_ERRORS`), then its merged cells."""
        for offset, cells in table.rows(as_text=True):
            self.rows += 1
            if self.rows % 50_000 == 0:
                say(min(60, self.rows * 60 // 800_000), _("Checked %(n)s rows") % {"n": self.rows})
            if len(self.errors) >= MAX_ERRORS:
                break
            self.row(offset, cells)
        for r0, c0, r1, c1 in table.merged[:20]:
            self.errors.append(
                RowError(
                    r0,
                    "",
                    _(
                        "Merged cells (rows %(a)s–%(b)s, columns %(c)s–%(d)s): unmerge them and "
                        "fill every cell."
                    )
                    % {"a": r0, "b": r1, "c": c0, "d": c1},
                )
            )
        if not self.rows and not self.errors:
            self.errors += table.no_data()

    def row(self, offset: int, cells: dict[str, str]) -> None:
        before = len(self.errors)
        code, name = cells["code"], cells["name"]
        if not code:
            self.err(offset, "code", _("Household number is required."))
        if not name:
            self.err(offset, "name", _("Name is required."))
        grid = self.grid(offset, cells["grid"])
        if not cells["address"]:
            self.err(offset, "address", _("Address is required."))
        number, birth, sex = self.identity(offset, cells.get("id_number", ""))
        phone = self.phone(offset, cells.get("phone", ""))
        relation = RELATIONS.get(cells.get("relation", ""))
        if relation is None:
            self.err(
                offset,
                "relation",
                _("Unknown relation %(r)s; use 户主, 配偶, 子女, 父母, 孙子女 or 其他.")
                % {"r": cells["relation"]},
            )
        member_attrs = self.member_attributes(offset, cells.get("attributes", ""))
        house_attrs = self.house_attributes(offset, cells.get("household_attributes", ""))
        if len(self.errors) > before or grid is None or relation is None:
            return
        house = self.house(offset, code, grid, cells["address"], house_attrs)
        if house is not None:
            house.members.append(
                MemberFromFile(offset, name, number, birth, sex, phone, relation, member_attrs)
            )

    def grid(self, offset: int, code: str) -> Region | None:
        grid = self.grids.get(code)
        if grid is None:
            self.err(offset, "grid", _("Unknown grid code %(c)s.") % {"c": code or "—"})
        elif not self.scope.contains(grid.path):
            self.err(
                offset, "grid", _("You may not import households into %(g)s.") % {"g": grid.name}
            )
        return grid

    def identity(self, offset: int, text: str) -> tuple[str | None, date | None, str]:
        if not text:
            return None, None, ""
        try:
            info = parse_id(text)
        except InvalidIdNumber as exc:
            self.err(offset, "id_number", exc.message)
            return None, None, ""
        if info.number in self.numbers:
            self.err(
                offset,
                "id_number",
                _("This ID number repeats row %(r)s.") % {"r": self.numbers[info.number]},
            )
        else:
            self.numbers[info.number] = offset
        return info.number, info.birth_date, info.sex

    def phone(self, offset: int, text: str) -> str:
        if not text:
            return ""
        try:
            return parse_phone(text)
        except InvalidPhone as exc:
            self.err(offset, "phone", str(exc))
            return ""

    def member_attributes(self, offset: int, text: str) -> dict[str, int | None]:
        found: dict[str, int | None] = {}
        for token in _split(text):
            label, grade = _parse_attribute(token)
            a = self.attrs.get(label)
            if a is None or a.applies_to != AttributeScope.RESIDENT:
                self.err(
                    offset, "attributes", _("Unknown resident attribute: %(a)s") % {"a": token}
                )
            elif (problem := grade_problem(a, grade)) is not None:
                # The same rule as the pages and the API (households.services).
                self.err(offset, "attributes", problem)
            else:
                found[a.code] = grade
        return found

    def house_attributes(self, offset: int, text: str) -> list[str]:
        found = []
        for token in _split(text):
            a = self.attrs.get(token)
            if a is None or a.applies_to != AttributeScope.HOUSEHOLD:
                self.err(
                    offset,
                    "household_attributes",
                    _("Unknown household attribute: %(a)s") % {"a": token},
                )
            else:
                found.append(a.code)
        return found

    def house(
        self, offset: int, code: str, grid: Region, address: str, attributes: list[str]
    ) -> HouseFromFile | None:
        """The row's household: new, or the same as on its earlier rows (else an error)."""
        house = self.houses.get(code)
        if house is None:
            house = self.houses[code] = HouseFromFile(offset, code, grid, address, attributes)
        elif house.grid.pk != grid.pk or house.address != address:
            self.err(
                offset,
                "address",
                _("Household %(c)s has a different grid or address on row %(r)s.")
                % {"c": code, "r": house.row},
            )
            return None
        elif attributes and sorted(attributes) != sorted(house.attributes):
            self.err(
                offset,
                "household_attributes",
                _("Household %(c)s has other household attributes on row %(r)s.")
                % {"c": code, "r": house.row},
            )
            return None
        return house


@dataclass
class Register:
    """What the register already holds of the file's households and ID numbers."""

    index_of: dict[str, str]  # ID number -> blind index
    residents: dict[str, tuple[int, int]]  # blind index -> (resident id, household id)
    households: dict[str, Household]  # household number -> household


def check_register(check: FileCheck) -> Register:
    """Households outside the actor's scope and ID numbers registered in another household
    become errors of ``check``."""
    numbers = list(check.numbers)
    index_of = dict(zip(numbers, blind_indexes(numbers, purpose="id_number"), strict=True))
    register = Register(index_of, _existing_residents(list(index_of.values())), {})
    # Which of the file's households exist (for a new district: none), then those as objects.
    known = [
        pk
        for (pk,) in select_in(
            f"SELECT id FROM {Household._meta.db_table} WHERE code IN ({{}})",  # noqa: S608
            list(check.houses),
        )
    ]
    for i in range(0, len(known), 900):
        for hh in Household.objects.filter(pk__in=known[i : i + 900]).only(
            "id", "code", "region_path", "grid_id", "address"
        ):
            register.households[hh.code] = hh
    for house in check.houses.values():
        current = register.households.get(house.code)
        if current is not None and not check.scope.contains(current.region_path):
            check.err(
                house.row,
                "code",
                _("Household %(c)s exists outside your scope.") % {"c": house.code},
            )
        for m in house.members:
            if m.number is None:
                continue
            holder = register.residents.get(index_of[m.number])
            if holder is not None and (current is None or holder[1] != current.pk):
                check.err(
                    m.row,
                    "id_number",
                    _("This ID number is already registered in another household."),
                )
    return register


def _existing_residents(indexes: list[str]) -> dict[str, tuple[int, int]]:
    """blind index → (resident id, household id) for those already registered."""
    return {
        idx: (rid, hid)
        for rid, hid, idx in select_in(
            f"SELECT id, household_id, id_number_index FROM {Resident._meta.db_table} "  # noqa: S608
            f"WHERE id_number_index IN ({{}})",
            indexes,
        )
    }
