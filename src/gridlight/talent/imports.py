"""Excel rosters of enterprises and talents: import (all-or-nothing) and export.

The workbook is read through the guarded reader (core/spreadsheets.open_table). Every row goes
through the very services the pages and the API use (talent/services.py), inside one
transaction: a row the services refuse is reported with its row and column, and if any row is
refused the transaction is rolled back, so nothing is written. Enterprises are matched by their
unified social credit code and talents by their ID number, so importing the same file again
creates nothing. A roster is thousands of rows; this is not the path for a hundred thousand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.crypto import decrypt, mask_id, mask_phone
from gridlight.core.errors import DomainError, ImportRejected, RowError
from gridlight.core.idcard import InvalidIdNumber, parse_id
from gridlight.core.industries import Industry
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.personal import id_index
from gridlight.core.spreadsheets import Column, open_table
from gridlight.talent import services
from gridlight.talent.access import enterprises_visible, talents_visible
from gridlight.talent.creditcode import InvalidCreditCode
from gridlight.talent.creditcode import validate as validate_credit_code
from gridlight.talent.models import (
    Degree,
    Enterprise,
    Housing,
    ListingStage,
    SpouseEmployment,
    TagKind,
    TagLevel,
    Talent,
    TalentOrigin,
)

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


def _run(
    actor: User,
    upload: IO[bytes],
    columns: list[Column],
    sheet: str,
    write_row: Callable[[dict[str, str]], bool],
    noun: str,
    filename: str,
) -> ImportSummary:
    """Every row through ``write_row`` (True: created, False: updated) in one transaction;
    any refusal rolls all of it back and lists every problem."""
    summary = ImportSummary()
    errors: list[RowError] = []
    with transaction.atomic():
        with open_table(upload, columns, sheet=sheet) as table:
            for row, cells in table.rows(as_text=True):
                summary.rows += 1
                if len(errors) >= MAX_ERRORS:
                    break
                try:
                    with transaction.atomic():
                        created = write_row(cells)
                except _Refused as exc:
                    errors.append(RowError(row, _header(columns, exc.column), exc.message))
                    continue
                except services.FieldError as exc:
                    errors.append(RowError(row, _header(columns, exc.field), exc.message))
                    continue
                except DomainError as exc:
                    errors.append(RowError(row, "", exc.message))
                    continue
                except PermissionDenied:
                    errors.append(
                        RowError(row, _header(columns, "street"), _("Outside your scope."))
                    )
                    continue
                summary.created += created
                summary.updated += not created
            if not summary.rows and not errors:
                errors += table.no_data()
        if errors:
            raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))
        audit.record(
            actor=actor,
            action=f"{noun}.import",
            object_type=f"talent.{noun}",
            object_label=filename or noun,
            changes={"created": summary.created, "updated": summary.updated},
        )
    return summary


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


def _once(seen: dict[str, int], key: str, column: str) -> None:
    """A code or number may appear once in a file (the rows are counted as they come)."""
    row = len(seen) + 1
    if key and key in seen:
        raise _Refused(column, _("Repeats an earlier row of the file."))
    if key:
        seen[key] = row


class _Streets:
    def __init__(self) -> None:
        streets = list(Region.objects.filter(level=RegionLevel.STREET))
        self.by = {s.code: s for s in streets} | {s.name: s for s in streets}

    def get(self, text: str) -> Region:
        street = self.by.get(text)
        if street is None:
            raise _Refused("street", _("Unknown street %(s)s.") % {"s": text or "—"})
        return street


def import_enterprises(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportSummary:
    """Check and write an enterprise roster (see the module's docstring)."""
    streets = _Streets()
    seen: dict[str, int] = {}

    def write(cells: dict[str, str]) -> bool:
        _once(seen, cells["credit_code"].upper(), "credit_code")
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
        data = services.EnterpriseInput(
            name=cells["name"],
            credit_code=cells["credit_code"],
            industry=_lookup(INDUSTRIES, Industry, cells["industry"], "industry"),
            street=streets.get(cells["street"]),
            address=cells["address"],
            headcount=_int(cells["headcount"], "headcount"),
            revenue_yuan=_int(cells["revenue_yuan"], "revenue_yuan"),
            revenue_year=_int(cells["revenue_year"], "revenue_year"),
            tags=tags,
        )
        try:
            code = validate_credit_code(cells["credit_code"])
        except InvalidCreditCode:
            code = ""
        existing = Enterprise.objects.filter(credit_code=code).first() if code else None
        if existing is None:
            services.enterprise_create(actor=actor, data=data)
            return True
        if not enterprises_visible(actor).filter(pk=existing.pk).exists():
            raise _Refused("credit_code", _("An enterprise outside your scope has this code."))
        # The roster carries no R&D platforms: those on record stay.
        data.platforms = [
            services.PlatformInput(name=p.name, kind=p.kind, level=p.level, year=p.year)
            for p in existing.platforms.all()
        ]
        services.enterprise_update(
            actor=actor, enterprise=existing, version=existing.version, data=data
        )
        return False

    return _run(actor, upload, ENTERPRISE_COLUMNS, ENTERPRISE_SHEET, write, "enterprise", filename)


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


def import_talents(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportSummary:
    """Check and write a talent roster (see the module's docstring)."""
    streets = _Streets()
    seen: dict[str, int] = {}

    def write(cells: dict[str, str]) -> bool:
        _once(seen, cells["id_number"].upper(), "id_number")
        data = services.TalentInput(
            name=cells["name"],
            id_number=cells["id_number"],
            phone=cells["phone"],
            street=streets.get(cells["street"]),
            level=cells["level"].upper().removesuffix("类"),
            origin=_lookup(ORIGINS, TalentOrigin, cells["origin"], "origin"),
            degree=_lookup(DEGREES, Degree, cells["degree"], "degree"),
            field=cells["field"],
            employer=services.employer_by_code(actor, cells["employer_code"]),
            employer_name=cells["employer_name"],
            arrived_on=_date(cells["arrived_on"], "arrived_on"),
            spouse_employment=_lookup(
                SPOUSE, SpouseEmployment, cells["spouse_employment"], "spouse_employment"
            ),
            housing=_lookup(HOUSING, Housing, cells["housing"], "housing"),
            children=_children(cells["children"]),
        )
        if not cells["id_number"]:
            raise _Refused("id_number", _("The ID number is required in a roster."))
        try:
            index = id_index(parse_id(cells["id_number"]).number)
        except InvalidIdNumber as exc:
            raise _Refused("id_number", exc.message) from exc
        existing = Talent.objects.filter(id_number_index=index).first()
        if existing is None:
            services.talent_create(actor=actor, data=data)
            return True
        if not talents_visible(actor).filter(pk=existing.pk).exists():
            raise _Refused("id_number", _("A talent outside your scope has this ID number."))
        services.talent_update(actor=actor, talent=existing, version=existing.version, data=data)
        return False

    return _run(actor, upload, TALENT_COLUMNS, TALENT_SHEET, write, "talent", filename)


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
