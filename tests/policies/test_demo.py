"""The policies demo (issue 13 item 8) on the shared test world: the car-purchase voucher
programme's grants add up to the city's third batch and the district's 20%, the KPI page shows
those totals from the records, the work is played through the services (matches, pushes,
applications in every state with materials, 免申即享 grants with paid and open batches), and a
second build adds nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from gridlight.policies.demo import load_policies
from gridlight.policies.demo_activity import build_activity, voucher_totals
from gridlight.policies.models import (
    Application,
    ApplicationMaterial,
    Grant,
    GrantStatus,
    Match,
    PaymentBatch,
    Policy,
    Push,
)
from tests.conftest import login
from tests.policies.conftest import make_talent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def demo(world: Any, people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> Any:
    admin = world.users["district_admin"]
    arrived = timezone.localdate() - timedelta(days=400)
    for level in "DDEEDEC":  # newcomers offered the settlement subsidy (免申即享)
        make_talent(world.open_street, level=level, arrived_on=arrived)
    with django_capture_on_commit_callbacks(execute=True):
        load_policies(actor=admin, region=world.district)
        built = build_activity(
            district=world.district, actor=admin, first_reviewer=world.users["street_staff"]
        )
    return built


def _live(code: str) -> Any:
    return Grant.objects.filter(policy__code=code).exclude(status=GrantStatus.CANCELLED)


def test_voucher_grants_add_up_to_the_city_batch_and_the_district_top_up(demo: Any) -> None:
    city = _live("city_car_voucher").aggregate(s=Sum("amount_fen"))["s"]
    topup = _live("district_car_topup").aggregate(s=Sum("amount_fen"))["s"]
    assert city == 14_000_000 * 100
    assert topup == 2_800_000 * 100
    assert voucher_totals() == {"city_car_voucher": city, "district_car_topup": topup}
    # Each dealer's top-up is the engine's 20% of its own city amount.
    own = dict(_live("city_car_voucher").values_list("subject_key", "amount_fen"))
    for key, amount in _live("district_car_topup").values_list("subject_key", "amount_fen"):
        assert amount == round(own[key] * 0.2)
    # Both paid in a batch whose total is the grants'; dated in the programme's period.
    for code in ("city_car_voucher", "district_car_topup"):
        batch = PaymentBatch.objects.get(policy__code=code)
        assert batch.paid
        assert batch.total_fen == _live(code).aggregate(s=Sum("amount_fen"))["s"]
        days = {g.confirmed_at.date().year for g in _live(code)}
        assert days == {2023}
        assert set(_live(code).values_list("period", flat=True)) == {"2023-05-01~2023-12-31"}


def test_the_kpi_page_shows_the_voucher_totals(demo: Any, world: Any) -> None:
    client = login(world.users["district_admin"])
    shown = {}
    for code in ("city_car_voucher", "district_car_topup"):
        pk = Policy.objects.get(code=code).pk
        html = client.get(
            f"/policies/kpi/?by=policy&start=2023-05-01&end=2023-12-31&policy={pk}"
        ).content.decode()
        m = re.search(r'data-testid="total-granted">([^<]+)<', html)
        assert m is not None
        shown[code] = m.group(1)
    assert shown == {"city_car_voucher": "14,000,000.00", "district_car_topup": "2,800,000.00"}


def test_the_work_is_played_through_the_services(demo: Any) -> None:
    assert Match.objects.filter(status="current").exists()
    assert Push.objects.exists()
    # Pushes dated over past months, some opened: the push KPIs show months and reach.
    months = {(d.year, d.month) for d in Push.objects.values_list("created_at", flat=True)}
    assert len(months) >= 3
    assert Match.objects.filter(pushes__isnull=False, opened_at__isnull=False).exists()
    statuses = set(Application.objects.values_list("status", flat=True))
    # The test world's street has five applicants: the first five plays (the demo has more).
    assert {"accepted", "first_passed", "returned", "approved", "refused"} <= statuses
    assert ApplicationMaterial.objects.count() >= Application.objects.count()
    today = timezone.localdate()
    assert all(d < today for d in Application.objects.values_list("submitted_on", flat=True))
    # Approved applications are grants; 免申即享 grants in every state.
    assert (
        Grant.objects.filter(source="application").count()
        == Application.objects.filter(status="approved").count()
    )
    # Benefits in kind (apartments, school places) approved through the services at 0 fen.
    in_kind = [
        g
        for g in Grant.objects.filter(source="application").select_related("policy_version")
        if g.policy_version.in_kind
    ]
    assert in_kind
    assert {g.amount_fen for g in in_kind} == {0}
    auto = Grant.objects.filter(source="auto").exclude(
        policy__code__in=("city_car_voucher", "district_car_topup")
    )
    assert {"pending", "batched", "paid", "cancelled"} <= set(auto.values_list("status", flat=True))
    assert PaymentBatch.objects.filter(paid=False).exists()
    for policy in Policy.objects.exclude(budget_fen=None):
        live = Grant.objects.filter(policy=policy).exclude(status="cancelled")
        assert (live.aggregate(s=Sum("amount_fen"))["s"] or 0) <= (policy.budget_fen or 0)


def test_a_second_build_adds_nothing(demo: Any, world: Any) -> None:
    counts = (Grant.objects.count(), Application.objects.count(), Push.objects.count())
    again = build_activity(
        district=world.district,
        actor=world.users["district_admin"],
        first_reviewer=world.users["street_staff"],
    )
    assert again.total == 0
    assert (Grant.objects.count(), Application.objects.count(), Push.objects.count()) == counts
