"""The demo district reproduces the report's development figures from its records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gridlight.core.demo.build import build_demo
from gridlight.development.demo import build_development, development_summary
from gridlight.development.models import Project

pytestmark = pytest.mark.django_db

TODAY = date(2026, 7, 15)  # the demo's year, after Q1 and mid-year


def test_demo_reproduces_the_report_and_is_idempotent() -> None:
    build_demo()
    made = build_development(today=TODAY)
    assert made > 0
    s = development_summary(2026)
    assert s["key_projects"] == 134
    assert s["demolition_pct"] == Decimal("74.80")  # 157,000 of 209,900 m², from reports
    assert (s["residential_mu"], s["commercial_mu"]) == (Decimal(440), Decimal(85))
    assert s["roads"] == 9
    assert s["complexes_building"] == 6
    assert s["finance_q1"] == Decimal("69.6")
    assert s["finance_growth"] == Decimal("11.7")
    assert s["finance_above_city"] == Decimal("2.8")
    assert s["finance_pull"] == Decimal("2.6")
    assert s["stations_5g"] == Decimal(4262)
    assert (s["energy_scale"], s["energy_growth"]) == (Decimal(3200), Decimal("19.9"))
    assert s["pipeline"]
    assert s["zhongbo_fen"] == 16_600_000_000 * 100
    # Lights from the reports: most green, some behind.
    assert s["lights"].get("green", 0) > s["lights"].get("yellow", 0) > 0
    assert s["lights"].get("red", 0) > 0
    assert build_development(today=TODAY) == 0
    assert Project.objects.filter(year=2026).count() == 134 + 1 + 5 + 9
