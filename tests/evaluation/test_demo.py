"""The demo's evaluation cycle reproduces the report (FACTS.md §1): 17 streets' 一街一品 with the
named brands, four published arenas, and the echelon coming out of the sheets as the report
names it; the 13 measures; and it is idempotent."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import F

from gridlight.core.demo.build import build_demo
from gridlight.evaluation.demo import build_evaluation, echelon_names
from gridlight.evaluation.models import (
    ActionItem,
    Judge,
    Measure,
    Recusal,
    Round,
    RoundStatus,
    Sheet,
    StreetBrand,
)

TODAY = date(2026, 12, 3)


@pytest.mark.django_db
def test_the_demo_cycle_reproduces_the_report() -> None:
    build_demo()
    assert build_evaluation(today=TODAY) == 2
    brands = set(StreetBrand.objects.filter(cycle__year=2025).values_list("brand", flat=True))
    assert len(brands) == 17
    assert {"知函问暖", "乐和舜华", "建新家园"} <= brands
    arenas = Round.objects.filter(event__cycle__year=2025, kind="arena")
    assert arenas.count() == 4
    assert set(arenas.values_list("status", flat=True)) == {RoundStatus.PUBLISHED}
    assert Judge.objects.filter(round__in=arenas).values("user").distinct().count() == 7
    # Two judges serve in a street: recused from it, they have no sheet for it.
    assert not Sheet.objects.filter(judge__recusals__entrant=F("entrant")).exists()
    assert Recusal.objects.filter(judge__round__in=arenas, kind="auto").count() == 2 * 4
    assert echelon_names(2025) == {
        "leading": ["乐山社区", "睦和苑社区"],
        "advanced": ["舜华社区", "建新社区"],
        "following": ["英雄山社区", "春元里社区"],
    }
    assert Measure.objects.count() == 13
    # One overdue action item a year is raised as a ticket.
    assert ActionItem.objects.exclude(ticket=None).filter(event__cycle__year=2025).count() == 1
    assert build_evaluation(today=TODAY) == 0


@pytest.mark.django_db
def test_the_echelon_shows_on_the_region_pages() -> None:
    from gridlight.core.models import Region, User
    from tests.conftest import login

    build_demo()
    build_evaluation(today=TODAY)
    admin = login(User.objects.get(username="admin"))
    leshan = Region.objects.get(name="乐山社区")
    page = admin.get(f"/regions/{leshan.pk}/").content.decode()
    assert 'data-testid="echelon-tier">领跑' in page
    street = admin.get(f"/regions/{leshan.parent_id}/").content.decode()
    assert "年度排名" in street or "Annual rank" in street
    district = admin.get(f"/regions/{leshan.parent.parent_id}/").content.decode()
    leading = district.split("领跑</span>")[1].split("</div>")[0]
    assert "乐山社区" in leading
    assert "睦和苑社区" in leading
    assert "英雄山社区" not in leading
