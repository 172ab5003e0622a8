"""Households as the subject of the traffic-light rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from gridlight.core.idcard import age_on
from gridlight.households.models import (
    Attribute,
    AttributeValue,
    Household,
    HouseholdStatus,
    Light,
    Resident,
    ResidentStatus,
)
from gridlight.rules.subjects import FieldSpec

_FIELD_NEEDS = {
    "field:age": "oldest_birth",
    "field:youngest_age": "youngest_birth",
    "field:member_count": "member_count",
}


class HouseholdSubject:
    name = "household"
    label = _("Household")
    table = Household._meta.db_table
    outcome_column = "computed_light"
    outcomes = tuple(Light.values)

    def fields(self) -> dict[str, FieldSpec]:
        return {
            "age": FieldSpec("age", "int", _("age of the oldest member"), years_since=True),
            "youngest_age": FieldSpec(
                "youngest_age", "int", _("age of the youngest member"), years_since=True
            ),
            "member_count": FieldSpec("member_count", "int", _("members living here")),
            "tags": FieldSpec("tags", "list_string", _("attributes")),
        }

    def tags(self) -> dict[str, str]:
        return dict(Attribute.objects.filter(active=True).values_list("code", "name"))

    def grades(self) -> dict[str, str]:
        return dict(Attribute.objects.filter(active=True, graded=True).values_list("code", "name"))

    def values(self, obj: Household, as_of: date) -> dict[str, Any]:
        # One query for the members' birth dates and the attributes (a household's page and
        # every change of its data read them): a round trip and an ORM query less each time.
        r, v = Resident._meta.db_table, AttributeValue._meta.db_table
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT 1, birth_date, NULL, NULL FROM {r} "
                f"WHERE household_id = %s AND status = %s "
                f"UNION ALL SELECT 2, NULL, attribute_id, grade FROM {v} WHERE household_id = %s",
                [obj.pk, ResidentStatus.PRESENT.value, obj.pk],
            )
            rows = cur.fetchall()
        births: list[date] = []
        members = 0
        tags: set[str] = set()
        grades: dict[str, int] = {}
        for kind, birth, code, grade in rows:
            if kind == 1:
                members += 1
                if birth is not None:
                    # SQLite gives the dates of a compound SELECT as text
                    births.append(date.fromisoformat(birth) if isinstance(birth, str) else birth)
                continue
            tags.add(code)
            if grade is not None:
                grades[code] = min(grade, grades.get(code, grade))
        return {
            "age": age_on(min(births), as_of) if births else None,
            "youngest_age": age_on(max(births), as_of) if births else None,
            "member_count": members,
            "tags": tags,
            "grades": grades,
        }

    def feature_sql(self, needs: dict[str, str], as_of: date) -> tuple[str, list[Any]]:
        h = Household._meta.db_table
        r = Resident._meta.db_table
        v = AttributeValue._meta.db_table
        select = ["h.id AS id", "h.region_path AS region_path"]
        joins: list[str] = []
        params: list[Any] = []
        # The typed fields' needs are the members' aggregates under their field names (a rule
        # set may ask for both names of one aggregate, each with its own alias).
        member_needs = [
            (_FIELD_NEEDS.get(k, k), a)
            for k, a in needs.items()
            if _FIELD_NEEDS.get(k, k) in {"member_count", "oldest_birth", "youngest_birth"}
        ]
        if member_needs:
            agg = {
                "member_count": "COUNT(*)",
                "oldest_birth": "MIN(birth_date)",
                "youngest_birth": "MAX(birth_date)",
            }
            cols = ", ".join(f"{agg[k]} AS {a}" for k, a in member_needs)
            joins.append(
                f"LEFT JOIN (SELECT household_id, {cols} FROM {r} WHERE status = %s "
                f"GROUP BY household_id) m ON m.household_id = h.id"
            )
            params.append(ResidentStatus.PRESENT.value)
            select += [
                f"COALESCE(m.{a}, 0) AS {a}" if k == "member_count" else f"m.{a} AS {a}"
                for k, a in member_needs
            ]
        attr_needs = {k: a for k, a in needs.items() if k.startswith(("tag:", "grade:"))}
        if attr_needs:
            cols_sql, col_params = [], []
            for need, alias in attr_needs.items():
                kind, code = need.split(":", 1)
                if kind == "tag":
                    cols_sql.append(f"MAX(CASE WHEN attribute_id = %s THEN 1 END) AS {alias}")
                else:
                    cols_sql.append(f"MIN(CASE WHEN attribute_id = %s THEN grade END) AS {alias}")
                col_params.append(code)
            codes = sorted({n.split(":", 1)[1] for n in attr_needs})
            marks = ", ".join(["%s"] * len(codes))
            joins.append(
                f"LEFT JOIN (SELECT household_id, {', '.join(cols_sql)} FROM {v} "
                f"WHERE attribute_id IN ({marks}) GROUP BY household_id) a "
                f"ON a.household_id = h.id"
            )
            params += col_params + codes  # in the order they appear in the SQL text
            select += [f"a.{a} AS {a}" for a in attr_needs.values()]
        sql = f"SELECT {', '.join(select)} FROM {h} h {' '.join(joins)} WHERE h.status = %s"
        params.append(HouseholdStatus.ACTIVE.value)
        return sql, params
