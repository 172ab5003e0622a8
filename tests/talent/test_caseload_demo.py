"""The demo district's talent desk reproduces the report's talent figures (FACTS.md §3, ★), each
counted by a query over the records, and its caseloads and logs follow the cadence."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count, Max, Min

from gridlight.core.demo.build import build_demo
from gridlight.core.models import User
from gridlight.talent.caseload_selectors import figures, workload
from gridlight.talent.creditcode import synthetic_code, validate
from gridlight.talent.demo import PROBLEMS, build_talent
from gridlight.talent.models import (
    Cadence,
    Child,
    Enterprise,
    EnterpriseAccount,
    ServiceLog,
    Talent,
    TalentProblem,
)
from gridlight.tickets.models import CloseReason, Status
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_the_demo_reproduces_the_talent_figures() -> None:
    build_demo()
    made = build_talent()
    assert made > 0
    admin = User.objects.get(username="admin")
    shown = figures(admin)
    assert shown.key_enterprises == 119
    assert shown.key_srdi == 73
    assert shown.listing_reserve == 49
    assert shown.municipal_platforms == 9
    assert shown.talents >= 400
    assert shown.problems_solved >= 500
    # The page and the API show what the records add up to.
    client = login(admin)
    api = client.get("/api/v1/caseload/figures").json()
    assert (api["key_enterprises"], api["key_srdi"], api["listing_reserve"]) == (119, 73, 49)
    assert (api["municipal_platforms"], api["problems_solved"]) == (9, shown.problems_solved)
    page = client.get("/talent/caseload/workload/").content.decode()
    assert f'data-testid="fig-solved">{shown.problems_solved}<' in page
    # The same figures straight from the tables, without the selector.
    solved = TalentProblem.objects.filter(
        ticket__status=Status.CLOSED, ticket__close_reason=CloseReason.RESOLVED
    )
    assert solved.count() == shown.problems_solved
    assert TalentProblem.objects.count() == PROBLEMS
    assert set(solved.values_list("category", flat=True)) >= {
        "school",
        "apartment",
        "spouse_job",
        "hukou",
        "policy",
    }
    # Every level is there, and families: spouses, children with birth dates, housing.
    levels = Counter(Talent.objects.values_list("level", flat=True))
    assert set(levels) == {"A", "B", "C", "D", "E"}
    assert Child.objects.count() > 200
    assert Talent.objects.exclude(housing="").count() == Talent.objects.count()
    # Every talent and key enterprise has a commissioner, and the caseloads are balanced.
    assert not Talent.objects.filter(commissioner__isnull=True).exists()
    loads = [load.total for load in workload(admin).loads if load.total]
    assert len(loads) >= 5
    assert max(loads) - min(loads) <= max(loads) * 0.35
    # Three years of contacts, due dates from the cadence, some overdue.
    span = ServiceLog.objects.aggregate(first=Min("on"), last=Max("on"))
    assert (span["last"] - span["first"]).days > 2 * 365
    cadence = dict(Cadence.objects.values_list("level", "days"))
    for t in Talent.objects.exclude(last_contact_on=None)[:50]:
        assert (t.next_contact_due - t.last_contact_on).days == cadence[t.level]
    overdue = sum(load.overdue for load in workload(admin).loads)
    assert 0 < overdue < Talent.objects.count() // 3
    # The demo sign-ins reach their records.
    assert Talent.objects.filter(user__username="talent").exists()
    assert EnterpriseAccount.objects.filter(user__username="enterprise").exists()
    own = Talent.objects.get(user__username="talent")
    assert TalentProblem.objects.filter(talent=own).exists()
    # Building again changes nothing.
    counts = (Talent.objects.count(), Enterprise.objects.count(), ServiceLog.objects.count())
    assert build_talent() == 0
    assert counts == (
        Talent.objects.count(),
        Enterprise.objects.count(),
        ServiceLog.objects.count(),
    )
    assert ServiceLog.objects.values("kind").annotate(n=Count("pk")).count() == 4


def test_synthetic_credit_codes_pass_both_checks() -> None:
    """The demo's codes pass the validator (GB 32100) and their organisation code carries its
    own GB 11714 check character, computed here independently."""
    import random

    rng = random.Random(1)
    for _ in range(50):
        code = synthetic_code(rng, division="370103")
        assert validate(code) == code
        assert code.startswith("91370103")
        org = code[8:16]
        check = (
            11 - sum(int(c) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        )
        assert code[16] == {10: "X", 11: "0"}.get(check, str(check))
