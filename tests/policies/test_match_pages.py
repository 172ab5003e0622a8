"""Pages and API of matching and push, in scope and out of it: a policy's matches with filters,
the reminder worklist after N working days, push KPIs per street and month, a talent's stored
matches, and "policies for me" (marks pushes opened, shows no staff names)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from gridlight.policies import matching, tracking
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Match, Policy, Push
from tests.conftest import login

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def matched(world: Any, people: dict[str, Any]) -> Any:
    load_policies(actor=world.users["district_admin"], region=world.district)
    matching.match_all("talent")
    matching.match_all("enterprise")
    return world


def test_policy_matches_page_filters_and_scope(matched: Any) -> None:
    policy = Policy.objects.get(code="settlement_subsidy")
    admin = login(matched.users["district_admin"])
    body = admin.get(f"/policies/{policy.pk}/matches/").content.decode()
    assert 'data-testid="matches"' in body
    stored = Match.objects.filter(policy=policy).count()
    assert stored > 0
    met = admin.get(f"/policies/{policy.pk}/matches/?state=met&tracking=pushed").content.decode()
    assert met.count('data-testid="match-row"') == min(
        Match.objects.filter(policy=policy, state="met", pushed_at__isnull=False).count(), 50
    )
    api = admin.get(f"/api/v1/policies/{policy.pk}/matches?state=unknown").json()
    assert all(m["state"] == "unknown" for m in api["items"])
    assert api["count"] == Match.objects.filter(policy=policy, state="unknown").count()
    # The open street's commissioner twin sees none of the secret street's matches.
    twin = login(matched.twins["talent_commissioner"])
    assert twin.get(f"/api/v1/policies/{policy.pk}/matches").status_code in (403, 404)


def test_reminders_after_working_days(matched: Any, settings: Any) -> None:
    settings.GRIDLIGHT_PUSH_REMINDER_WORKDAYS = 3
    pushed = Match.objects.filter(pushed_at__isnull=False, state="met")
    assert pushed.exists()
    admin = matched.users["district_admin"]
    assert not tracking.reminders(admin).exists()  # pushed just now
    old = timezone.now() - timedelta(days=10)
    pushed.update(pushed_at=old)
    due = set(tracking.reminders(admin).values_list("pk", flat=True))
    assert due == set(pushed.values_list("pk", flat=True))
    first = pushed.first()
    assert first is not None
    matching.mark_applied(first)
    assert first.pk not in set(tracking.reminders(admin).values_list("pk", flat=True))
    body = login(admin).get("/policies/reminders/").content.decode()
    assert 'data-testid="reminders"' in body
    assert login(admin).get("/api/v1/policy-reminders").json()["count"] == len(due) - 1


def test_a_reminder_waits_for_working_days_not_calendar_days(
    matched: Any, settings: Any, clock: Any
) -> None:
    """Today is Monday 4 January 2027, after New Year's Day (Friday 1 January, a statutory
    holiday) and a weekend; reminders after 3 working days. Pushed on Wednesday 30 December:
    five calendar days ago but only two working days (31 December, 4 January) — not reminded
    (a calendar-day count, or one skipping weekends only, would remind it). Pushed on Tuesday
    29 December: three working days — reminded."""
    settings.GRIDLIGHT_PUSH_REMINDER_WORKDAYS = 3
    admin = matched.users["district_admin"]
    pushed = list(Match.objects.filter(pushed_at__isnull=False, state="met").order_by("pk"))
    assert len(pushed) >= 2
    early, late = pushed[0], pushed[1:]
    Match.objects.filter(pk__in=[m.pk for m in late]).update(
        pushed_at=timezone.make_aware(datetime(2026, 12, 30, 10, 0))
    )
    Match.objects.filter(pk=early.pk).update(
        pushed_at=timezone.make_aware(datetime(2026, 12, 29, 10, 0))
    )
    clock(date(2027, 1, 4))
    assert (date(2027, 1, 4) - date(2026, 12, 30)).days >= 3  # calendar days: enough
    assert list(tracking.reminders(admin).values_list("pk", flat=True)) == [early.pk]
    assert login(admin).get("/api/v1/policy-reminders").json()["count"] == 1
    # One working day later every one of them is due.
    clock(date(2027, 1, 5))
    assert set(tracking.reminders(admin).values_list("pk", flat=True)) == {m.pk for m in pushed}


def test_push_kpis_count_pushes_reach_applied(matched: Any) -> None:
    admin = matched.users["district_admin"]
    rows = tracking.push_kpis(admin)
    assert sum(r.pushes for r in rows) == Push.objects.count()
    assert sum(r.opened for r in rows) == 0
    m = Match.objects.filter(pushed_at__isnull=False, subject_type="talent").first()
    assert m is not None
    matching.mark_opened("talent", m.subject_id)
    opened = Match.objects.filter(
        subject_type="talent", subject_id=m.subject_id, pushed_at__isnull=False
    ).count()
    assert sum(r.opened for r in tracking.push_kpis(admin)) == opened
    api = login(admin).get("/api/v1/policy-pushes/kpi").json()
    assert sum(r["pushes"] for r in api) == Push.objects.count()
    assert 'data-testid="push-kpi"' in login(admin).get("/policies/pushes/").content.decode()


def test_talent_page_shows_stored_matches(matched: Any, people: dict[str, Any]) -> None:
    doctor = people["doctor"]
    admin = login(matched.users["district_admin"])
    body = admin.get(f"/policies/talents/{doctor.pk}/").content.decode()
    assert 'data-testid="tracked"' in body
    api = admin.get(f"/api/v1/talents/{doctor.pk}/matches").json()
    assert {m["policy_code"] for m in api} == set(
        Match.objects.filter(subject_type="talent", subject_id=doctor.pk).values_list(
            "policy__code", flat=True
        )
    )
    assert all("sources" in m["explanation"] for m in api)


def test_policies_for_me_marks_opened_and_hides_staff(matched: Any) -> None:
    talent = matched.secret_talent
    matching.match_one("talent", talent.pk)
    client = login(matched.users["talent"])
    mine = Match.objects.filter(subject_type="talent", subject_id=talent.pk, status="current")
    pushed = mine.filter(pushed_at__isnull=False)
    assert pushed.exists(), "the talent was pushed something, which the page is to mark opened"
    assert not pushed.filter(opened_at__isnull=False).exists()  # not before the page is seen
    body = client.get("/me/policies/").content.decode()
    assert "Policies for me" in body or "我的政策" in body or "为我" in body
    assert str(matched.users["talent_commissioner"]) not in body
    assert pushed.filter(opened_at__isnull=True).count() == 0
    assert (
        pushed.filter(opened_at__isnull=False).count()
        == Push.objects.filter(subject_type="talent", subject_id=talent.pk).count()
    )
    api = client.get("/api/v1/me/policies").json()
    assert {m["policy_code"] for m in api} == set(
        mine.filter(offered=True).values_list("policy__code", flat=True)
    )
    # Staff without a portal record: 404.
    assert login(matched.users["district_admin"]).get("/me/policies/").status_code == 404
