"""Talents and enterprises as rule subjects: one record's values and the set-based feature
query agree, field by field, and unknown stays unknown (NULL) in both."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection

from gridlight.rules.engine import values_from_features
from gridlight.rules.subjects import get_subject

DAY = date(2026, 6, 1)


def _batch(subject_name: str) -> dict[int, dict[str, Any]]:
    subject = get_subject(subject_name)
    needs = {f"field:{n}" for n, f in subject.fields().items() if f.type != "list_string"}
    needs |= {f"tag:{t}" for t in subject.tags()}
    columns = {need: f"c{i}" for i, need in enumerate(sorted(needs))}
    sql, params = subject.feature_sql(columns, DAY)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {r["id"]: values_from_features(r, DAY, columns, subject) for r in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["talent", "enterprise"])
def test_one_record_and_the_batch_agree(name: str, people: dict[str, Any]) -> None:
    subject = get_subject(name)
    batch = _batch(name)
    objects = [p for p in people.values() if type(p).__name__.lower() == name]
    assert objects
    for obj in objects:
        one = subject.values(obj, DAY)
        assert batch[obj.pk] == one, obj


@pytest.mark.django_db
def test_talent_values_and_unknowns(people: dict[str, Any]) -> None:
    talent = get_subject("talent")
    doctor = talent.values(people["doctor"], DAY)
    assert doctor["age"] == 36
    assert doctor["years_in_district"] == 1
    assert doctor["school_age_children"] == 1  # 9 years old; the other is 3
    assert doctor["children"] == 2
    assert doctor["employer_industry"] == "digital"
    assert doctor["tags"] == {"employer_srdi", "employer_rd_platform"}
    unknown = talent.values(people["unknown"], DAY)
    assert unknown["degree"] is None  # blank is not known, never "no degree"
    assert unknown["age"] is None
    assert unknown["employer_revenue_yuan"] is None


@pytest.mark.django_db
def test_enterprise_tag_levels_and_platforms(people: dict[str, Any]) -> None:
    enterprise = get_subject("enterprise")
    srdi = enterprise.values(people["srdi"], DAY)
    assert srdi["srdi_level"] == "national"
    assert srdi["top_platform_level"] == "provincial"
    assert srdi["platform_count"] == 2
    assert srdi["talent_count"] == 1
    assert enterprise.values(people["dealer"], DAY)["srdi_level"] == "none"  # known: no tag
    assert enterprise.values(people["blank"], DAY)["srdi_level"] is None  # tagged, level blank
    assert enterprise.values(people["listing"], DAY)["listing_stage"] == "filing"


@pytest.mark.django_db
def test_provenance_names_source_and_date(people: dict[str, Any]) -> None:
    people["srdi"].revenue_year = 2025
    people["srdi"].save()
    sources = get_subject("talent").provenance(people["doctor"])  # type: ignore[attr-defined]
    assert "srdi" not in sources["level"].label
    assert sources["employer_revenue_yuan"].as_of == date(2025, 12, 31)
    assert people["srdi"].name in sources["employer_revenue_yuan"].label
