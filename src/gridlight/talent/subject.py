"""Talents and enterprises as subjects of the rules engine (policy eligibility).

Each declares its typed fields, gives their values for one record with where each came from and
as of when (``provenance``), and renders them for all records in one SQL query (``feature_sql``).
A fact nobody entered is None here and NULL in SQL: the engine reads it as unknown, never as no.
The policies app registers both when it starts; this module only describes them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from gridlight.core.idcard import age_on
from gridlight.core.industries import Industry
from gridlight.rules.subjects import FieldSpec
from gridlight.talent.family import compulsory_born, in_compulsory_school
from gridlight.talent.models import (
    Child,
    Degree,
    Enterprise,
    EnterpriseTag,
    Housing,
    ListingStage,
    PlatformLevel,
    RdPlatform,
    SpouseEmployment,
    TagKind,
    TagLevel,
    Talent,
    TalentLevel,
    TalentOrigin,
)

NONE = "none"  # "has no such tag", which is known, unlike a blank


@dataclass(frozen=True)
class Source:
    """Where a value came from and as of when, shown beside it in every explanation."""

    label: str
    as_of: date | None


def _choices(choices: Any, extra: tuple[tuple[str, Any], ...] = ()) -> tuple[tuple[str, Any], ...]:
    return tuple((v, label) for v, label in choices if v) + extra


_NO = ((NONE, _("none")),)
_PLATFORM_RANK: dict[str, int] = {
    PlatformLevel.MUNICIPAL: 1,
    PlatformLevel.PROVINCIAL: 2,
    PlatformLevel.NATIONAL: 3,
}


def _school_age(births: list[date], as_of: date) -> int:
    return sum(1 for b in births if in_compulsory_school(b, as_of))


# --- profile changes ----------------------------------------------------------------------------
# Services that change a talent's or an enterprise's facts call ``changed`` after writing them,
# inside their transaction; whoever listens (the policies app re-matches the subject) runs there
# and then, in the same transaction: the re-match commits with the profile write or rolls back
# with it, and no crash between the two can lose it (issue 13 item 4). A block that changes many
# subjects one by one (a batch of grants) runs inside ``gathered()``: the ids are collected and
# the listeners run once, at the end of the block, still in its transaction (an import of a
# thousand rows calls ``changed`` once, with all its ids).
Listener = Callable[[str, list[int]], None]
_LISTENERS: list[Listener] = []
_pending = threading.local()


def listen(fn: Listener) -> None:
    if fn not in _LISTENERS:
        _LISTENERS.append(fn)


def changed(subject_type: str, ids: Iterable[int]) -> None:
    """These subjects' facts changed: the listeners run now, in the caller's transaction (or,
    inside ``gathered()``, at the end of its block)."""
    pending: dict[str, set[int]] | None = getattr(_pending, "ids", None)
    if pending is not None:
        pending.setdefault(subject_type, set()).update(ids)
        return
    _notify({subject_type: set(ids)})


@contextmanager
def gathered() -> Iterator[None]:
    """Collect the ``changed`` ids of the block and notify the listeners once at its end,
    inside the block's transaction (which it opens if the caller has none). If the block
    raises, nothing is notified: its writes roll back with the transaction."""
    if getattr(_pending, "ids", None) is not None:  # an outer block notifies
        yield
        return
    with transaction.atomic():
        _pending.ids = {}
        try:
            yield
            pending: dict[str, set[int]] = _pending.ids
        finally:
            _pending.ids = None
        _notify(pending)


def _notify(pending: dict[str, set[int]]) -> None:
    for subject_type, ids in pending.items():
        if not ids:
            continue
        with transaction.atomic():  # the profile write and its re-match: one transaction
            for fn in _LISTENERS:
                fn(subject_type, sorted(ids))


def _children_and_employer_tags(obj: Talent) -> tuple[list[date], set[str]]:
    """A talent's children's birth dates, and its employer's tag kinds (``rd_platform`` when it
    has an R&D platform): one statement, not three — a profile change re-matches the talent
    within the request (``policies.matching.match_one``), and every statement is a round trip
    and, through the ORM, compiling."""
    c, g, p = Child._meta.db_table, EnterpriseTag._meta.db_table, RdPlatform._meta.db_table
    sql = f"SELECT 0, birth_date, NULL FROM {c} WHERE talent_id = %s"
    params: list[Any] = [obj.pk]
    if obj.employer_id is not None:
        sql += (
            f" UNION ALL SELECT 1, NULL, kind FROM {g} WHERE enterprise_id = %s"
            f" UNION ALL SELECT 2, NULL, NULL WHERE EXISTS "
            f"(SELECT 1 FROM {p} WHERE enterprise_id = %s)"
        )
        params += [obj.employer_id, obj.employer_id]
    births: list[date] = []
    kinds: set[str] = set()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for what, birth, kind in cur.fetchall():
            if what == 0:
                births.append(date.fromisoformat(birth) if isinstance(birth, str) else birth)
            else:
                kinds.add(kind if what == 1 else "rd_platform")
    return births, kinds


def _blank(value: str) -> str | None:
    return value or None


def _day(moment: Any) -> date | None:
    return moment.date() if moment is not None else None


_TRANSLATED: dict[tuple[str | None, str], str] = {}


def _t(message: str, language: str | None = None) -> str:
    """``gettext`` remembered per language: ``provenance_row`` runs once per matched row."""
    key = (language or get_language(), message)
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = gettext(message)
    return found


def _as_day(value: Any) -> date | None:
    """A day from a date, a datetime or SQLite's text of either."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if hasattr(value, "date"):
        return value.date()  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]


class TalentSubject:
    name = "talent"
    label = _("Talent")
    table = Talent._meta.db_table
    outcome_column = ""  # policies store their own matches; no column on the talent
    outcomes: tuple[str, ...] = ()
    industry_field = "employer_industry"

    def fields(self) -> dict[str, FieldSpec]:
        return _talent_fields()

    def _fields(self) -> dict[str, FieldSpec]:
        return {
            "level": FieldSpec("level", "string", _("talent level"), _choices(TalentLevel.choices)),
            "origin": FieldSpec(
                "origin", "string", _("how they came"), _choices(TalentOrigin.choices)
            ),
            "degree": FieldSpec("degree", "string", _("degree"), _choices(Degree.choices)),
            "age": FieldSpec("age", "int", _("age"), years_since=True),
            "years_in_district": FieldSpec(
                "years_in_district", "int", _("years in the district"), years_since=True
            ),
            "housing": FieldSpec("housing", "string", _("housing"), _choices(Housing.choices)),
            "spouse_employment": FieldSpec(
                "spouse_employment",
                "string",
                _("spouse's employment"),
                _choices(SpouseEmployment.choices),
            ),
            "children": FieldSpec("children", "int", _("children recorded")),
            "school_age_children": FieldSpec(
                "school_age_children", "int", _("children in compulsory school (grades 1–9)")
            ),
            "employer_industry": FieldSpec(
                "employer_industry", "string", _("employer's industry"), _choices(Industry.choices)
            ),
            "employer_revenue_yuan": FieldSpec(
                "employer_revenue_yuan", "int", _("employer's revenue (yuan)")
            ),
            "employer_headcount": FieldSpec("employer_headcount", "int", _("employer's headcount")),
            "tags": FieldSpec("tags", "list_string", _("employer's tags")),
        }

    def tags(self) -> dict[str, str]:
        labels = {k: str(v) for k, v in TagKind.choices}
        tags = {f"employer_{k}": str(_("employer: %(t)s") % {"t": v}) for k, v in labels.items()}
        tags["employer_rd_platform"] = str(_("employer has an R&D platform"))
        return tags

    def grades(self) -> dict[str, str]:
        return {}

    def values(self, obj: Talent, as_of: date) -> dict[str, Any]:
        births, kinds = _children_and_employer_tags(obj)
        employer = obj.employer
        tags = {f"employer_{k}" for k in kinds}
        return {
            "level": _blank(obj.level),
            "origin": _blank(obj.origin),
            "degree": _blank(obj.degree),
            "age": age_on(obj.birth_date, as_of) if obj.birth_date else None,
            "years_in_district": age_on(obj.arrived_on, as_of) if obj.arrived_on else None,
            "housing": _blank(obj.housing),
            "spouse_employment": _blank(obj.spouse_employment),
            # No child recorded is not known to be "no children": the profile has no such fact.
            "children": len(births) or None,
            "school_age_children": _school_age(births, as_of) if births else None,
            "employer_industry": employer.industry if employer else None,
            "employer_revenue_yuan": employer.revenue_yuan if employer else None,
            "employer_headcount": employer.headcount if employer else None,
            "tags": tags,
            "grades": {},
        }

    def provenance(self, obj: Talent) -> dict[str, Source]:
        """Where each field's value comes from, and as of when (the record's last change)."""
        employer = obj.employer
        return self.provenance_row(
            {
                "updated_at": _day(obj.updated_at),
                "employer_name": employer.name if employer else None,
                "employer_updated_at": _day(employer.updated_at) if employer else None,
                "revenue_year": employer.revenue_year if employer else None,
            }
        )

    # The meta needs ``feature_sql`` answers (``meta:<name>``), from which ``provenance_row``
    # tells each field's source for many records at once.
    meta = ("updated_at", "employer_name", "employer_updated_at", "revenue_year")

    def provenance_row(self, meta: dict[str, Any]) -> dict[str, Source]:
        lang = get_language()
        profile = Source(_t("talent profile", lang), _as_day(meta.get("updated_at")))
        out = dict.fromkeys(self.fields(), profile)
        name = meta.get("employer_name")
        if name:
            registry = Source(
                _t("enterprise registry: %(e)s", lang) % {"e": name},
                _as_day(meta.get("employer_updated_at")),
            )
            for field_name in ("employer_industry", "employer_headcount", "tags"):
                out[field_name] = registry
            year = meta.get("revenue_year")
            if year:
                out["employer_revenue_yuan"] = Source(
                    _t("%(e)s, revenue of %(y)s", lang) % {"e": name, "y": year},
                    date(int(year), 12, 31),
                )
            else:
                out["employer_revenue_yuan"] = registry
        out["children"] = out["school_age_children"] = Source(
            _t("children's records", lang), profile.as_of
        )
        return out

    def load(self, pk: int) -> Talent:
        return Talent.objects.select_related("employer").get(pk=pk)

    def feature_sql(self, needs: dict[str, str], as_of: date) -> tuple[str, list[Any]]:
        t, c, e = Talent._meta.db_table, Child._meta.db_table, Enterprise._meta.db_table
        tag_t, plat_t = EnterpriseTag._meta.db_table, RdPlatform._meta.db_table
        select = ["t.id AS id", "t.region_path AS region_path"]
        params: list[Any] = []  # the select's, then the joins'
        join_params: list[Any] = []
        joins = [f"LEFT JOIN {e} e ON e.id = t.employer_id"]
        plain = {
            "level": "NULLIF(t.level, '')",
            "origin": "NULLIF(t.origin, '')",
            "degree": "NULLIF(t.degree, '')",
            "age": "t.birth_date",
            "years_in_district": "t.arrived_on",
            "housing": "NULLIF(t.housing, '')",
            "spouse_employment": "NULLIF(t.spouse_employment, '')",
            "employer_industry": "e.industry",
            "employer_revenue_yuan": "e.revenue_yuan",
            "employer_headcount": "e.headcount",
            "children": "k.children",
            "school_age_children": "k.school_age",
        }
        if {"field:children", "field:school_age_children"} & needs.keys():
            joins.append(
                f"LEFT JOIN (SELECT talent_id, COUNT(*) AS children, "
                f"SUM(CASE WHEN birth_date <= %s AND birth_date > %s THEN 1 ELSE 0 END) "
                f"AS school_age FROM {c} GROUP BY talent_id) k ON k.talent_id = t.id"
            )
            earliest, latest = compulsory_born(as_of)
            join_params += [latest, earliest]
        for need, alias in needs.items():
            kind, _sep, code = need.partition(":")
            if kind == "meta":
                meta_sql = {
                    "updated_at": "t.updated_at",
                    "employer_name": "e.name",
                    "employer_updated_at": "e.updated_at",
                    "revenue_year": "e.revenue_year",
                }
                select.append(f"{meta_sql[code]} AS {alias}")
            elif kind == "field":
                select.append(f"{plain[code]} AS {alias}")
            elif kind == "tag" and code == "employer_rd_platform":
                select.append(
                    f"CASE WHEN EXISTS (SELECT 1 FROM {plat_t} p WHERE p.enterprise_id = "
                    f"t.employer_id) THEN 1 END AS {alias}"
                )
            elif kind == "tag":
                select.append(
                    f"CASE WHEN EXISTS (SELECT 1 FROM {tag_t} g WHERE g.enterprise_id = "
                    f"t.employer_id AND g.kind = %s) THEN 1 END AS {alias}"
                )
                params.append(code.removeprefix("employer_"))
        sql = f"SELECT {', '.join(select)} FROM {t} t {' '.join(joins)}"
        return sql, params + join_params


class EnterpriseSubject:
    name = "enterprise"
    label = _("Enterprise")
    table = Enterprise._meta.db_table
    outcome_column = ""
    outcomes: tuple[str, ...] = ()
    industry_field = "industry"

    def fields(self) -> dict[str, FieldSpec]:
        return _enterprise_fields()

    def _fields(self) -> dict[str, FieldSpec]:
        return {
            "industry": FieldSpec("industry", "string", _("industry"), _choices(Industry.choices)),
            "revenue_yuan": FieldSpec("revenue_yuan", "int", _("revenue (yuan)")),
            "headcount": FieldSpec("headcount", "int", _("headcount")),
            "srdi_level": FieldSpec(
                "srdi_level",
                "string",
                _("specialised and innovative (专精特新) level"),
                _choices(TagLevel.choices, _NO),
            ),
            "listing_stage": FieldSpec(
                "listing_stage", "string", _("listing stage"), _choices(ListingStage.choices, _NO)
            ),
            "top_platform_level": FieldSpec(
                "top_platform_level",
                "string",
                _("highest R&D platform level"),
                _choices(PlatformLevel.choices, _NO),
            ),
            "platform_count": FieldSpec("platform_count", "int", _("R&D platforms")),
            "talent_count": FieldSpec("talent_count", "int", _("talents employed")),
            "tags": FieldSpec("tags", "list_string", _("tags")),
        }

    def tags(self) -> dict[str, str]:
        tags = {k: str(v) for k, v in TagKind.choices}
        tags |= {
            f"platform_{k}": str(_("%(l)s R&D platform") % {"l": v})
            for k, v in PlatformLevel.choices
        }
        return tags

    def grades(self) -> dict[str, str]:
        return {}

    def values(self, obj: Enterprise, as_of: date) -> dict[str, Any]:
        tags = {t.kind: t for t in EnterpriseTag.objects.filter(enterprise=obj)}
        levels = list(RdPlatform.objects.filter(enterprise=obj).values_list("level", flat=True))
        srdi = tags.get(TagKind.SRDI)
        listing = tags.get(TagKind.LISTING_RESERVE)
        top = max(levels, key=lambda lv: _PLATFORM_RANK.get(lv, 0)) if levels else NONE
        return {
            "industry": _blank(obj.industry),
            "revenue_yuan": obj.revenue_yuan,
            "headcount": obj.headcount,
            "srdi_level": (_blank(srdi.level) if srdi else NONE),
            "listing_stage": (_blank(listing.stage) if listing else NONE),
            "top_platform_level": top,
            "platform_count": len(levels),
            "talent_count": Talent.objects.filter(employer=obj).count(),
            "tags": set(tags) | {f"platform_{lv}" for lv in levels},
            "grades": {},
        }

    def provenance(self, obj: Enterprise) -> dict[str, Source]:
        return self.provenance_row(
            {"updated_at": _day(obj.updated_at), "revenue_year": obj.revenue_year}
        )

    meta = ("updated_at", "revenue_year")

    def provenance_row(self, meta: dict[str, Any]) -> dict[str, Source]:
        registry = Source(_t("enterprise registry"), _as_day(meta.get("updated_at")))
        out = dict.fromkeys(self.fields(), registry)
        year = meta.get("revenue_year")
        if year:
            out["revenue_yuan"] = Source(
                _t("revenue of %(y)s") % {"y": year}, date(int(year), 12, 31)
            )
        return out

    def load(self, pk: int) -> Enterprise:
        return Enterprise.objects.get(pk=pk)

    def feature_sql(self, needs: dict[str, str], as_of: date) -> tuple[str, list[Any]]:
        e, tag_t = Enterprise._meta.db_table, EnterpriseTag._meta.db_table
        plat_t, t = RdPlatform._meta.db_table, Talent._meta.db_table
        select = ["e.id AS id", "e.region_path AS region_path"]
        params: list[Any] = []

        def tag_col(kind: str, column: str) -> str:
            params.append(kind)
            return (
                f"(SELECT NULLIF(g.{column}, '') FROM {tag_t} g "
                f"WHERE g.enterprise_id = e.id AND g.kind = %s)"
            )

        for need, alias in needs.items():
            kind, _sep, code = need.partition(":")
            if code in {"srdi_level", "listing_stage"}:
                tag, column = (
                    (TagKind.SRDI, "level")
                    if code == "srdi_level"
                    else (TagKind.LISTING_RESERVE, "stage")
                )
                # No tag: known to be none; a tag with a blank level: not known.
                params.append(tag.value)
                sql = (
                    f"CASE WHEN NOT EXISTS (SELECT 1 FROM {tag_t} g WHERE g.enterprise_id = e.id "
                    f"AND g.kind = %s) THEN '{NONE}' ELSE {tag_col(tag.value, column)} END"
                )
            elif code == "top_platform_level":
                sql = (
                    f"COALESCE((SELECT MAX(CASE p.level WHEN 'national' THEN 3 WHEN 'provincial' "
                    f"THEN 2 ELSE 1 END) FROM {plat_t} p WHERE p.enterprise_id = e.id), 0)"
                )
                sql = (
                    f"CASE {sql} WHEN 3 THEN 'national' WHEN 2 THEN 'provincial' "
                    f"WHEN 1 THEN 'municipal' ELSE '{NONE}' END"
                )
            elif code == "platform_count":
                sql = f"(SELECT COUNT(*) FROM {plat_t} p WHERE p.enterprise_id = e.id)"
            elif kind == "meta":
                sql = f"e.{code}"
            elif code == "talent_count":
                sql = f"(SELECT COUNT(*) FROM {t} x WHERE x.employer_id = e.id)"
            elif kind == "field":
                sql = {"industry": "NULLIF(e.industry, '')"}.get(code, f"e.{code}")
            elif code.startswith("platform_"):
                params.append(code.removeprefix("platform_"))
                sql = (
                    f"CASE WHEN EXISTS (SELECT 1 FROM {plat_t} p WHERE p.enterprise_id = e.id "
                    f"AND p.level = %s) THEN 1 END"
                )
            else:
                params.append(code)
                sql = (
                    f"CASE WHEN EXISTS (SELECT 1 FROM {tag_t} g WHERE g.enterprise_id = e.id "
                    f"AND g.kind = %s) THEN 1 END"
                )
            select.append(f"{sql} AS {alias}")
        return f"SELECT {', '.join(select)} FROM {e} e", params


# The fields are fixed by the models' choices (their labels stay lazy, so each request still
# shows them in its own language): built once, not on every evaluation.
@cache
def _talent_fields() -> dict[str, FieldSpec]:
    return TalentSubject()._fields()


@cache
def _enterprise_fields() -> dict[str, FieldSpec]:
    return EnterpriseSubject()._fields()
