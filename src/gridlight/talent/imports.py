"""Excel rosters of enterprises and talents: import (all-or-nothing) and export.

The workbook is read through the guarded reader (core/spreadsheets.open_table). Every row is
checked on its own by the very checks the services run for the pages and the API
(talent/services.py: ``enterprise_values``, ``check_tags``, ``talent_values``; no query), then
the whole file against the register at once (codes, ID numbers and employers looked up in
chunks); a refused row is reported with its row and column, and if any row is refused nothing
is written. The rest is written set-based (``core/bulk``), with one audit row per record
written, in one transaction. Enterprises are matched by their unified social credit code and
talents by their ID number, so importing the same file again creates nothing.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any, Protocol

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.access import Perm, scope_for
from gridlight.core.bulk import bulk_insert, bulk_update
from gridlight.core.crypto import decrypt, mask_id, mask_name, mask_phone
from gridlight.core.errors import ImportRejected, RowError
from gridlight.core.industries import Industry
from gridlight.core.jobs import Progress
from gridlight.core.models import AuditEvent, Region, RegionLevel, User
from gridlight.core.spreadsheets import Column, open_table
from gridlight.talent import services
from gridlight.talent.access import enterprises_visible
from gridlight.talent.creditcode import normalise_code
from gridlight.talent.models import (
    Child,
    Degree,
    Enterprise,
    EnterpriseTag,
    Housing,
    ListingStage,
    ServiceLog,
    SpouseEmployment,
    TagKind,
    TagLevel,
    Talent,
    TalentOrigin,
    TalentProblem,
)
from gridlight.talent.subject import changed as profiles_changed

MAX_ERRORS = 1000
ENTERPRISE_SHEET = "enterprises"
TALENT_SHEET = "talents"

INDUSTRIES = {
    "现代金融": Industry.FINANCE,
    "数字经济": Industry.DIGITAL,
    "能源互联": Industry.ENERGY,
    "都市工业": Industry.URBAN,
    "高端商贸": Industry.COMMERCE,
    "其他": Industry.OTHER,
}
SRDI_LEVELS = {"市级": TagLevel.MUNICIPAL, "省级": TagLevel.PROVINCIAL, "国家级": TagLevel.NATIONAL}
SRDI_LEVELS["国家级小巨人"] = TagLevel.NATIONAL
STAGES = {"辅导": ListingStage.TUTORING, "申报": ListingStage.FILING, "上市": ListingStage.LISTED}
ORIGINS = {
    "院士": TalentOrigin.ACADEMICIAN,
    "国家级人才计划": TalentOrigin.NATIONAL,
    "省级人才计划": TalentOrigin.PROVINCIAL,
    "市级人才计划": TalentOrigin.MUNICIPAL,
    "创新创业大赛": TalentOrigin.COMPETITION,
    "用人单位引进": TalentOrigin.RECRUITED,
}
DEGREES = {
    "博士": Degree.DOCTOR,
    "硕士": Degree.MASTER,
    "学士": Degree.BACHELOR,
    "本科": Degree.BACHELOR,
    "专科": Degree.ASSOCIATE,
    "其他": Degree.OTHER,
}
SPOUSE = {
    "无配偶": SpouseEmployment.NO_SPOUSE,
    "已就业": SpouseEmployment.EMPLOYED,
    "求职中": SpouseEmployment.SEEKING,
    "不求职": SpouseEmployment.NOT_SEEKING,
}
HOUSING = {"自有住房": Housing.OWNS, "租房": Housing.RENTS, "人才公寓": Housing.APARTMENT}

ENTERPRISE_COLUMNS = [
    Column("name", "企业名称", "enterprise name", required=True, example="济南某某科技有限公司"),
    Column(
        "credit_code",
        "统一社会信用代码",
        "credit code",
        required=True,
        example="91350100M000100Y43",
    ),
    Column(
        "industry",
        "产业",
        "industry",
        required=True,
        example="数字经济",
        note="、".join(INDUSTRIES),
    ),
    Column("street", "街道", "street", required=True, example="（街道编码或名称）"),
    Column("address", "地址", "address", example="济南市市中区二环南路1号"),
    Column("headcount", "职工人数", "headcount", example="120"),
    Column("revenue_yuan", "上年营业收入(元)", "revenue (yuan)", example="35000000"),
    Column("revenue_year", "营收年度", "revenue year", example="2025"),
    Column("key_introduced_year", "重点引进年份", "key enterprise since", example="2023"),
    Column(
        "srdi_level", "专精特新级别", "SRDI level", example="省级", note="市级、省级、国家级小巨人"
    ),
    Column("srdi_year", "专精特新认定年份", "SRDI year", example="2024"),
    Column(
        "listing_stage", "上市储备阶段", "listing stage", example="辅导", note="辅导、申报、上市"
    ),
    Column("listing_year", "上市储备年份", "listing reserve since", example="2024"),
]
TALENT_COLUMNS = [
    Column("name", "姓名", "name", required=True, example="张三"),
    Column("id_number", "身份证号", "ID number", required=True, example="（18位身份证号）"),
    Column("phone", "联系电话", "phone", example="13800000000"),
    Column("street", "街道", "street", required=True, example="（街道编码或名称）"),
    Column("level", "人才层次", "talent level", required=True, example="C", note="A、B、C、D、E"),
    Column("origin", "引进方式", "how they came", example="省级人才计划", note="、".join(ORIGINS)),
    Column("degree", "学历", "degree", example="博士", note="、".join(DEGREES)),
    Column("field", "专业领域", "field", example="人工智能"),
    Column(
        "employer_code", "工作单位信用代码", "employer's credit code", example="91350100M000100Y43"
    ),
    Column("employer_name", "工作单位(非企业)", "institution", example="山东大学"),
    Column("arrived_on", "来区时间", "arrived", example="2022-07-01"),
    Column(
        "spouse_employment",
        "配偶就业",
        "spouse's employment",
        example="求职中",
        note="、".join(SPOUSE),
    ),
    Column("housing", "住房", "housing", example="人才公寓", note="、".join(HOUSING)),
    Column(
        "children",
        "子女(姓名 出生日期)",
        "children (name birth date)",
        example="张小明 2016-05-01；2020-09-12",
    ),
]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    rows: int = 0


class _Refused(Exception):
    def __init__(self, column: str, message: str) -> None:
        self.column = column
        self.message = message


def _header(columns: list[Column], key: str) -> str:
    aliases = {"tags": "key_introduced_year", "platforms": "", "employer": "employer_code"}
    key = aliases.get(key, key)
    return next((c.header for c in columns if c.key == key), "")


def _lookup(mapping: dict[str, Any], choices: Any, text: str, key: str) -> str:
    if not text:
        return ""
    if text in mapping:
        return str(mapping[text])
    if text in choices.values:
        return text
    raise _Refused(
        key,
        _("Unknown value %(v)s; use one of: %(all)s.")
        % {
            "v": text,
            "all": "、".join(mapping),
        },
    )


def _int(text: str, key: str) -> int | None:
    if not text:
        return None
    try:
        return int(text.replace(",", ""))
    except ValueError:
        raise _Refused(key, _("%(v)s is not a whole number.") % {"v": text}) from None


def _date(text: str, key: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10].replace("/", "-"))
    except ValueError:
        raise _Refused(key, _("%(v)s is not a date (YYYY-MM-DD).") % {"v": text}) from None


class _Streets:
    def __init__(self) -> None:
        streets = list(Region.objects.filter(level=RegionLevel.STREET))
        self.by = {s.code: s for s in streets} | {s.name: s for s in streets}

    def get(self, text: str) -> Region:
        street = self.by.get(text)
        if street is None:
            raise _Refused("street", _("Unknown street %(s)s.") % {"s": text or "—"})
        return street


@dataclass
class _EnterpriseRow:
    row: int
    values: dict[str, Any]  # the services' checked values (enterprise_values)
    street: Region
    tags: list[services.TagInput]


def _enterprise_tags(cells: dict[str, str]) -> list[services.TagInput]:
    tags = []
    if (year := _int(cells["key_introduced_year"], "key_introduced_year")) is not None:
        tags.append(services.TagInput(kind=TagKind.KEY_INTRODUCED, year=year))
    level = _lookup(SRDI_LEVELS, TagLevel, cells["srdi_level"], "srdi_level")
    year = _int(cells["srdi_year"], "srdi_year")
    if level or year is not None:
        tags.append(services.TagInput(kind=TagKind.SRDI, level=level, year=year))
    stage = _lookup(STAGES, ListingStage, cells["listing_stage"], "listing_stage")
    year = _int(cells["listing_year"], "listing_year")
    if stage or year is not None:
        tags.append(services.TagInput(kind=TagKind.LISTING_RESERVE, stage=stage, year=year))
    return tags


class _EnterpriseCheck:
    """An enterprise roster checked as a whole, as :class:`_TalentCheck` checks talents: every
    row through the services' checks without a query (``services.enterprise_values``,
    ``services.check_tags``), then the file's credit codes against the register in chunks."""

    def __init__(self, actor: User) -> None:
        self.streets = _Streets()
        self.change = scope_for(actor, Perm.TALENT_CHANGE)
        self.view = scope_for(actor, Perm.TALENT_VIEW)
        self.rows: list[_EnterpriseRow] = []
        self.errors: list[RowError] = []
        self.seen: dict[str, int] = {}

    def refuse(self, row: int, field: str, message: str) -> None:
        self.errors.append(RowError(row, _header(ENTERPRISE_COLUMNS, field), message))

    def add(self, row: int, cells: dict[str, str]) -> None:
        try:
            # A code may appear once in a file, whether or not its first row is refused.
            code = normalise_code(cells["credit_code"])
            if code and code in self.seen:
                raise _Refused("credit_code", _("Repeats an earlier row of the file."))
            self.seen.setdefault(code, row)
            tags = _enterprise_tags(cells)
            data = services.EnterpriseInput(
                name=cells["name"],
                credit_code=cells["credit_code"],
                industry=_lookup(INDUSTRIES, Industry, cells["industry"], "industry"),
                street=self.streets.get(cells["street"]),
                address=cells["address"],
                headcount=_int(cells["headcount"], "headcount"),
                revenue_yuan=_int(cells["revenue_yuan"], "revenue_yuan"),
                revenue_year=_int(cells["revenue_year"], "revenue_year"),
                tags=tags,
            )
            values = services.enterprise_values(data)
            services.check_tags(tags)
            if not self.change.contains(data.street.path):
                raise _Refused("street", _("Outside your scope."))
        except _Refused as exc:
            self.refuse(row, exc.column, exc.message)
            return
        except services.FieldError as exc:
            self.refuse(row, exc.field, exc.message)
            return
        self.rows.append(_EnterpriseRow(row, values, data.street, tags))

    def against_register(self) -> dict[str, Enterprise]:
        """The enterprises already registered under the file's codes (locked); a row whose
        enterprise is outside the actor's scope is refused."""
        codes = [r.values["credit_code"] for r in self.rows]
        existing: dict[str, Enterprise] = {}
        for k in range(0, len(codes), CHUNK):
            for e in Enterprise.objects.filter(
                credit_code__in=codes[k : k + CHUNK]
            ).select_for_update():
                existing[e.credit_code] = e
        for r in self.rows:
            known = existing.get(r.values["credit_code"])
            if known is None:
                continue
            if not self.view.contains(known.region_path):
                message = _("An enterprise outside your scope has this code.")
                self.refuse(r.row, "credit_code", message)
            elif not self.change.contains(known.region_path):
                self.refuse(r.row, "street", _("Outside your scope."))
        return existing


class _RowCheck(Protocol):
    errors: list[RowError]

    def add(self, row: int, cells: dict[str, str]) -> None: ...


def _read(
    upload: IO[bytes],
    columns: Sequence[Column],
    sheet: str,
    check: _RowCheck,
    summary: ImportSummary,
    say: Progress,
) -> None:
    """Every row of a roster's sheet through ``check.add`` (no query), until MAX_ERRORS."""
    say(5, _("Reading and checking the rows"))
    with open_table(upload, columns, sheet=sheet) as table:
        for row, cells in table.rows(as_text=True):
            summary.rows += 1
            check.add(row, cells)
            if len(check.errors) >= MAX_ERRORS:
                break
        if not summary.rows and not check.errors:
            check.errors += table.no_data()
    say(60, _("Checking against the register"))


def _refuse_if_any(errors: list[RowError]) -> None:
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column))[:MAX_ERRORS])


def import_enterprises(
    *, actor: User, upload: IO[bytes], filename: str = "", progress: Progress | None = None
) -> ImportSummary:
    """Check an enterprise roster as a whole, then write it set-based (all-or-nothing): new
    enterprises and their tags in bulk inserts, known ones (matched by credit code) that the
    file changes in bulk updates, their tags replaced by the file's (R&D platforms, which the
    roster does not carry, stay), one audit row per enterprise written and one for the import;
    a known enterprise the file leaves as it is is not touched. Raises :class:`ImportRejected`
    with every problem, naming row and column, and writes nothing then."""
    say = progress or (lambda _p, _m: None)
    summary = ImportSummary()
    check = _EnterpriseCheck(actor)
    _read(upload, ENTERPRISE_COLUMNS, ENTERPRISE_SHEET, check, summary, say)
    with transaction.atomic():
        existing = check.against_register()
        _refuse_if_any(check.errors)
        say(70, _("Writing"))
        written = _write_enterprises(actor, check.rows, existing, summary)
        profiles_changed("enterprise", written)
        audit.record(
            actor=actor,
            action="enterprise.import",
            object_type="talent.enterprise",
            object_label=filename or "enterprise",
            changes={"created": summary.created, "updated": summary.updated},
        )
    say(100, _("Done"))
    return summary


_ENTERPRISE_WRITTEN = (
    "name",
    "credit_code",
    "industry",
    "street_id",
    "region_path",
    "address",
    "headcount",
    "revenue_yuan",
    "revenue_year",
)
_ENTERPRISE_UNSET = ("commissioner_id", "last_contact_on", "next_contact_due")


def _write_enterprises(
    actor: User,
    rows: list[_EnterpriseRow],
    existing: dict[str, Enterprise],
    summary: ImportSummary,
) -> list[int]:
    """Write the checked rows; the ids of the enterprises created or changed."""
    now = timezone.now()
    known_pks = [e.pk for e in existing.values()]
    tags_on_record: dict[int, list[str]] = {}
    for k in range(0, len(known_pks), CHUNK):
        for pk, kind, level, stage, year in EnterpriseTag.objects.filter(
            enterprise_id__in=known_pks[k : k + CHUNK]
        ).values_list("enterprise_id", "kind", "level", "stage", "year"):
            summary_ = services.tag_summary(kind, level, stage, year)
            tags_on_record.setdefault(pk, []).append(summary_)
    audit_rows = _AuditRows(actor, now, "talent.enterprise")
    new: list[_EnterpriseRow] = []
    changed_rows: list[tuple[Enterprise, _EnterpriseRow]] = []
    moved: dict[str, list[int]] = {}
    for r in rows:
        v = {**r.values, "street_id": r.street.pk, "region_path": r.street.path}
        r.values = v
        tags = sorted(services.tag_summary(t.kind, t.level, t.stage, t.year) for t in r.tags)
        known = existing.get(v["credit_code"])
        if known is None:
            new.append(r)
            continue
        before = {k: getattr(known, k) for k in r.values if k not in ("street_id", "region_path")}
        before.update(street=known.region_path, tags=sorted(tags_on_record.get(known.pk, [])))
        after = {k: v[k] for k in before if k not in ("street", "tags")}
        after.update(street=r.street.path, tags=tags)
        changes = audit.diff(before, after)
        if not changes:
            continue  # the file says what the register says: nothing is written
        if known.region_path != r.street.path:
            moved.setdefault(r.street.path, []).append(known.pk)
        for key in _ENTERPRISE_WRITTEN:
            setattr(known, key, v[key])
        known.version += 1
        changed_rows.append((known, r))
        audit_rows.add("enterprise.update", known.pk, known.name, known.region_path, changes)
    bulk_insert(
        Enterprise._meta.db_table,
        [*_ENTERPRISE_WRITTEN, *_ENTERPRISE_UNSET, "version", "created_at", "updated_at"],
        [(*(r.values[k] for k in _ENTERPRISE_WRITTEN), None, None, None, 1, now, now) for r in new],
    )
    ids: dict[str, int] = {}
    codes = [r.values["credit_code"] for r in new]
    for k in range(0, len(codes), CHUNK):
        ids.update(
            Enterprise.objects.filter(credit_code__in=codes[k : k + CHUNK]).values_list(
                "credit_code", "pk"
            )
        )
    for r in new:
        after = {k: r.values[k] for k in _ENTERPRISE_WRITTEN[:3] + _ENTERPRISE_WRITTEN[5:]}
        after.update(
            street=r.street.path,
            tags=sorted(services.tag_summary(t.kind, t.level, t.stage, t.year) for t in r.tags),
            platforms=[],
            commissioner=None,
        )
        audit_rows.add(
            "enterprise.create",
            ids[r.values["credit_code"]],
            r.values["name"],
            r.street.path,
            audit.diff({}, after),
        )
    fields = ["id", *_ENTERPRISE_WRITTEN, "version", "updated_at"]
    bulk_update(
        Enterprise._meta.db_table,
        fields,
        [(e.pk, *(getattr(e, f) for f in fields[1:-1]), now) for e, _r in changed_rows],
    )
    for path, pks in moved.items():  # their log and problems follow them (enterprise_update)
        for k in range(0, len(pks), CHUNK):
            ServiceLog.objects.filter(enterprise_id__in=pks[k : k + CHUNK]).update(region_path=path)
            TalentProblem.objects.filter(enterprise_id__in=pks[k : k + CHUNK]).update(
                region_path=path
            )
    # Tags: the file's replace those on record (of the enterprises it changes).
    old = [e.pk for e, _r in changed_rows]
    for k in range(0, len(old), CHUNK):
        EnterpriseTag.objects.filter(enterprise_id__in=old[k : k + CHUNK]).delete()
    targets = [(ids[r.values["credit_code"]], r) for r in new] + [
        (e.pk, r) for e, r in changed_rows
    ]
    bulk_insert(
        EnterpriseTag._meta.db_table,
        ["enterprise_id", "kind", "level", "stage", "year", "on"],
        [
            (pk, str(t.kind), str(t.level), str(t.stage), t.year or 0, t.on)
            for pk, r in targets
            for t in r.tags
        ],
    )
    audit_rows.write()
    summary.created, summary.updated = len(new), len(changed_rows)
    return [pk for pk, _r in targets]


class _AuditRows:
    """Audit rows of one import, as ``audit.record`` writes them, inserted together."""

    def __init__(self, actor: User, now: datetime, object_type: str) -> None:
        self.head = (now, actor.pk, actor.get_username())
        self.object_type = object_type
        self.ip = audit.current_ip.get()
        self.rows: list[tuple[Any, ...]] = []

    def add(self, action: str, pk: int, name: str, path: str, changes: dict[str, Any]) -> None:
        self.rows.append(
            (
                *self.head,
                action,
                self.object_type,
                self.ip,
                str(pk),
                name[:200],
                path,
                json.dumps(changes, cls=DjangoJSONEncoder, ensure_ascii=False),
            )
        )

    def write(self) -> None:
        bulk_insert(
            AuditEvent._meta.db_table,
            [
                "at",
                "actor_id",
                "actor_label",
                "action",
                "object_type",
                "ip",
                "object_id",
                "object_label",
                "region_path",
                "changes",
            ],
            self.rows,
        )


def _children(text: str) -> list[services.ChildInput]:
    children = []
    for sep in ("；", ";", "，", ","):
        text = text.replace(sep, ";")
    for token in (t.strip() for t in text.split(";")):
        if not token:
            continue
        name, _sep, born = token.rpartition(" ")
        children.append(services.ChildInput(name=name.strip(), birth_date=_date(born, "children")))
    return children


@dataclass
class _TalentRow:
    row: int
    values: dict[str, Any]  # the services' checked values (talent_values)
    street: Region
    employer_code: str  # canonical, or "" for none
    children: list[services.ChildInput]


class _TalentCheck:
    """A talent roster checked as a whole: every row on its own through the services' checks
    (``services.talent_values``: no query), then the whole file at once against the register
    (streets, employers and existing talents looked up for all rows together)."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.streets = _Streets()
        self.change = scope_for(actor, Perm.TALENT_CHANGE)
        self.view = scope_for(actor, Perm.TALENT_VIEW)
        self.rows: list[_TalentRow] = []
        self.errors: list[RowError] = []
        self.seen: dict[str, int] = {}
        self.codes: dict[str, str] = {}  # an employer's code as written: canonical
        self.today = timezone.localdate()

    def refuse(self, row: int, field: str, message: str) -> None:
        self.errors.append(RowError(row, _header(TALENT_COLUMNS, field), message))

    def add(self, row: int, cells: dict[str, str]) -> None:
        try:
            if not cells["id_number"]:
                raise _Refused("id_number", _("The ID number is required in a roster."))
            street = self.streets.get(cells["street"])
            code = cells["employer_code"].strip()
            canonical = self.codes.get(code, "") if code else ""
            if code and not canonical:  # each of the file's employers is checked once
                canonical = self.codes[code] = services.employer_code(code)
            children = _children(cells["children"])
            data = services.TalentInput(
                name=cells["name"],
                id_number=cells["id_number"],
                phone=cells["phone"],
                street=street,
                level=cells["level"].upper().removesuffix("类"),
                origin=_lookup(ORIGINS, TalentOrigin, cells["origin"], "origin"),
                degree=_lookup(DEGREES, Degree, cells["degree"], "degree"),
                field=cells["field"],
                employer_name="" if canonical else cells["employer_name"],
                arrived_on=_date(cells["arrived_on"], "arrived_on"),
                spouse_employment=_lookup(
                    SPOUSE, SpouseEmployment, cells["spouse_employment"], "spouse_employment"
                ),
                housing=_lookup(HOUSING, Housing, cells["housing"], "housing"),
                children=children,
            )
            values = services.talent_values(data, today=self.today)
            if not self.change.contains(street.path):
                raise _Refused("street", _("Outside your scope."))
            index = values["id_number_index"]
            if index in self.seen:
                raise _Refused("id_number", _("Repeats an earlier row of the file."))
            self.seen[index] = row
        except _Refused as exc:
            self.refuse(row, exc.column, exc.message)
            return
        except services.FieldError as exc:
            self.refuse(row, exc.field, exc.message)
            return
        self.rows.append(_TalentRow(row, values, street, canonical, children))

    def against_register(self) -> tuple[dict[str, int], dict[str, Talent]]:
        """The employers by code (visible to the actor) and the talents already registered
        under the file's ID numbers, by blind index; every row they refuse is reported."""
        codes = sorted({r.employer_code for r in self.rows if r.employer_code})
        employers: dict[str, int] = {}
        visible = enterprises_visible(self.actor)
        for k in range(0, len(codes), CHUNK):
            employers.update(
                visible.filter(credit_code__in=codes[k : k + CHUNK]).values_list(
                    "credit_code", "pk"
                )
            )
        indexes = [r.values["id_number_index"] for r in self.rows]
        existing: dict[str, Talent] = {}
        for k in range(0, len(indexes), CHUNK):
            for t in (
                Talent.objects.filter(id_number_index__in=indexes[k : k + CHUNK])
                .select_for_update()
                .only(*_KEPT)
            ):
                existing[t.id_number_index or ""] = t
        for r in self.rows:
            if r.employer_code and r.employer_code not in employers:
                error = services.unknown_employer()
                self.refuse(r.row, error.field, error.message)
            known = existing.get(r.values["id_number_index"])
            if known is None:
                continue
            if not self.view.contains(known.region_path):
                self.refuse(
                    r.row, "id_number", _("A talent outside your scope has this ID number.")
                )
            elif not self.change.contains(known.region_path):
                self.refuse(r.row, "street", _("Outside your scope."))
        return employers, existing


# What the import reads of a talent already registered: what it compares and keeps.
_KEPT = (
    "pk",
    "id_number_index",
    "region_path",
    "phone_enc",
    "phone_index",
    "version",
    "name",
    "level",
    "origin",
    "degree",
    "field",
    "employer_id",
    "employer_name",
    "arrived_on",
    "spouse_employment",
    "housing",
)
CHUNK = 900
_WRITTEN = (
    "name",
    "id_number_enc",
    "id_number_index",
    "birth_date",
    "sex",
    "phone_enc",
    "phone_index",
    "street_id",
    "region_path",
    "level",
    "origin",
    "degree",
    "field",
    "employer_id",
    "employer_name",
    "arrived_on",
    "spouse_employment",
    "housing",
)


def import_talents(
    *, actor: User, upload: IO[bytes], filename: str = "", progress: Progress | None = None
) -> ImportSummary:
    """Check a talent roster as a whole, then write it set-based (all-or-nothing): new talents
    and their children in bulk inserts, known ones (matched by ID number) in bulk updates, one
    audit row per talent as the services write it and one for the import. Raises
    :class:`ImportRejected` with every problem (up to :data:`MAX_ERRORS`), naming row and
    column, and writes nothing then."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small objects and no cycles (see households)
    try:
        return _import_talents(actor, upload, filename, progress or (lambda _p, _m: None))
    finally:
        if gc_was_enabled:
            gc.enable()


def _import_talents(actor: User, upload: IO[bytes], filename: str, say: Progress) -> ImportSummary:
    summary = ImportSummary()
    check = _TalentCheck(actor)
    _read(upload, TALENT_COLUMNS, TALENT_SHEET, check, summary, say)
    with transaction.atomic():
        employers, existing = check.against_register()
        _refuse_if_any(check.errors)
        say(70, _("Writing"))
        _write_talents(actor, check.rows, employers, existing, summary)
        audit.record(
            actor=actor,
            action="talent.import",
            object_type="talent.talent",
            object_label=filename or "talent",
            changes={"created": summary.created, "updated": summary.updated},
        )
    say(100, _("Done"))
    return summary


def _write_talents(
    actor: User,
    rows: list[_TalentRow],
    employers: dict[str, int],
    existing: dict[str, Talent],
    summary: ImportSummary,
) -> None:
    now = timezone.now()
    new: list[_TalentRow] = []
    changed: list[Talent] = []
    moved: dict[str, list[int]] = {}
    audit_rows = _AuditRows(actor, now, "talent.talent")
    event = audit_rows.add
    changed_word = _("changed")

    for r in rows:
        v = r.values
        v["street_id"] = r.street.pk
        v["region_path"] = r.street.path
        v["employer_id"] = employers.get(r.employer_code)
        known = existing.get(v["id_number_index"])
        if known is None:
            new.append(r)
            continue
        if not v["phone_enc"]:  # blank keeps the number on record, as talent_update does
            v["phone_enc"], v["phone_index"] = known.phone_enc, known.phone_index
        before = _snapshot(known)
        if known.region_path != r.street.path:
            moved.setdefault(r.street.path, []).append(known.pk)
        for key in _WRITTEN:
            setattr(known, key, v[key])
        known.version += 1
        known.updated_at = now
        changed.append(known)
        after = _snapshot(known)
        changes = services.masked_numbers(audit.diff(before, after), changed_word)
        changes["children"] = ["…", _children_text(r.children)]
        event("talent.update", known.pk, known.name, known.region_path, changes)
    # New talents: multi-row INSERTs (COPY on PostgreSQL), then their ids by blind index.
    bulk_insert(
        Talent._meta.db_table,
        [
            *_WRITTEN,
            "commissioner_id",
            "user_id",
            "last_contact_on",
            "next_contact_due",
            "version",
            "created_at",
            "updated_at",
        ],
        [(*(r.values[k] for k in _WRITTEN), None, None, None, None, 1, now, now) for r in new],
    )
    ids: dict[str | None, int] = {}
    new_indexes = [r.values["id_number_index"] for r in new]
    for k in range(0, len(new_indexes), CHUNK):
        ids.update(
            Talent.objects.filter(id_number_index__in=new_indexes[k : k + CHUNK]).values_list(
                "id_number_index", "pk"
            )
        )
    for r in new:
        pk = ids[r.values["id_number_index"]]
        changes = services.masked_numbers(audit.diff({}, _snapshot_of(r.values)), changed_word)
        changes["children"] = [None, _children_text(r.children)]
        event("talent.create", pk, r.values["name"], r.street.path, changes)
    fields = ["id", *_WRITTEN, "version", "updated_at"]
    bulk_update(
        Talent._meta.db_table,
        fields,
        [(t.pk, *(getattr(t, f) for f in fields[1:])) for t in changed],
    )
    for path, pks in moved.items():  # their log and problems follow them (talent_update)
        for k in range(0, len(pks), CHUNK):
            ServiceLog.objects.filter(talent_id__in=pks[k : k + CHUNK]).update(region_path=path)
            TalentProblem.objects.filter(talent_id__in=pks[k : k + CHUNK]).update(region_path=path)
    # Children: the file's list replaces the one on record.
    old = [t.pk for t in changed]
    for k in range(0, len(old), CHUNK):
        Child.objects.filter(talent_id__in=old[k : k + CHUNK]).delete()
    children = [
        (ids[r.values["id_number_index"]], c.name.strip(), c.birth_date)
        for r in new
        for c in r.children
    ]
    children += [
        (existing[r.values["id_number_index"]].pk, c.name.strip(), c.birth_date)
        for r in rows
        if r.values["id_number_index"] in existing
        for c in r.children
    ]
    bulk_insert(Child._meta.db_table, ["talent_id", "name", "birth_date"], children)
    audit_rows.write()
    summary.created, summary.updated = len(new), len(changed)
    # Re-matched against the policies in this transaction, as a talent changed by hand is.
    profiles_changed("talent", [*ids.values(), *(t.pk for t in changed)])


def _children_text(children: list[services.ChildInput]) -> str:
    return "；".join(
        f"{mask_name(c.name) if c.name.strip() else '-'} {c.birth_date}" for c in children
    )


def _snapshot_of(values: dict[str, Any]) -> dict[str, Any]:
    """What the audit row of a talent records (``services.TALENT_AUDITED``; numbers only as
    their indexes, masked in the row)."""
    snap = {k: values[k] for k in services.TALENT_AUDITED}
    snap.update(
        street=values["region_path"],
        id_number=values["id_number_index"] or "",
        phone=values["phone_index"],
    )
    return snap


def _snapshot(talent: Talent) -> dict[str, Any]:
    return _snapshot_of(
        {
            k: getattr(talent, k)
            for k in (*services.TALENT_AUDITED, "region_path", "id_number_index", "phone_index")
        }
    )


# --- export ------------------------------------------------------------------------------------

_NAMES: dict[str, dict[str, str]] = {
    "industry": {v: k for k, v in INDUSTRIES.items()},
    "srdi": {
        TagLevel.MUNICIPAL: "市级",
        TagLevel.PROVINCIAL: "省级",
        TagLevel.NATIONAL: "国家级小巨人",
    },
    "stage": {v: k for k, v in STAGES.items()},
    "origin": {v: k for k, v in ORIGINS.items()},
    "degree": {
        Degree.DOCTOR: "博士",
        Degree.MASTER: "硕士",
        Degree.BACHELOR: "学士",
        Degree.ASSOCIATE: "专科",
        Degree.OTHER: "其他",
    },
    "spouse": {v: k for k, v in SPOUSE.items()},
    "housing": {v: k for k, v in HOUSING.items()},
}


def enterprise_rows(qs: Any) -> Iterator[list[Any]]:
    """The enterprises in the roster's format (a round trip changes nothing), in chunks."""
    for e in qs.select_related("street").prefetch_related("tags").iterator(chunk_size=2000):
        tags = {t.kind: t for t in e.tags.all()}
        key, srdi, listing = (
            tags.get(TagKind.KEY_INTRODUCED),
            tags.get(TagKind.SRDI),
            tags.get(TagKind.LISTING_RESERVE),
        )
        yield [
            e.name,
            e.credit_code,
            _NAMES["industry"].get(e.industry, e.industry),
            e.street.code,
            e.address,
            e.headcount,
            e.revenue_yuan,
            e.revenue_year,
            key.year if key else None,
            _NAMES["srdi"].get(srdi.level, "") if srdi else "",
            srdi.year if srdi else None,
            _NAMES["stage"].get(listing.stage, "") if listing else "",
            listing.year if listing else None,
        ]


def talent_rows(qs: Any, *, reveal: bool = False) -> Iterator[list[Any]]:
    """The talents in the roster's format, their numbers masked unless ``reveal``."""
    for t in (
        qs.select_related("street", "employer")
        .prefetch_related("children")
        .iterator(chunk_size=2000)
    ):
        number = decrypt(t.id_number_enc) if t.id_number_enc else ""
        phone = decrypt(t.phone_enc) if t.phone_enc else ""
        yield [
            t.name,
            number if reveal else mask_id(number) if number else "",
            phone if reveal else mask_phone(phone) if phone else "",
            t.street.code,
            t.level,
            _NAMES["origin"].get(t.origin, ""),
            _NAMES["degree"].get(t.degree, ""),
            t.field,
            t.employer.credit_code if t.employer else "",
            t.employer_name,
            t.arrived_on.isoformat() if t.arrived_on else "",
            _NAMES["spouse"].get(t.spouse_employment, ""),
            _NAMES["housing"].get(t.housing, ""),
            "；".join(f"{c.name} {c.birth_date.isoformat()}".strip() for c in t.children.all()),
        ]
