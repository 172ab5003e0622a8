"""The traffic-light dashboard: counts per child region from the households, the weekly change
chart from the light history, a fixed number of queries, and a demo whose history feeds it."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridlight.core.demo.build import build_demo
from gridlight.core.models import Region
from gridlight.households.classify import recompute_all
from gridlight.households.demo import build_households, spread_light_history, spread_visits
from gridlight.households.models import Household, HouseholdStatus, LightChange
from gridlight.households.selectors import light_counts_by_child, light_trend
from gridlight.households.services import MemberInput, household_register
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def _register(world: World, n: int, tag: str) -> list[Household]:
    return [
        household_register(
            actor=world.users["district_admin"],
            grid=world.open_grid,
            code=f"DASH-{tag}-{i}",
            address=f"看板路{i}号",
            attributes=["empty_nest"],
            members=[MemberInput(name=f"丙{i}"), MemberInput(name=f"丁{i}")],
        )
        for i in range(n)
    ]


def _change(h: Household, *, at: datetime, to: str, frm: str = "green") -> LightChange:
    return LightChange.objects.create(
        household=h, region_path=h.region_path, at=at, from_light=frm, to_light=to, cause="test"
    )


def _local(day_offset: int, hour: int = 10) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_dashboard_counts_overdue_and_visits_of_active_households_only(world: World) -> None:
    today = timezone.localdate()
    a, b, c = _register(world, 3, "count")
    Household.objects.filter(pk=a.pk).update(
        next_visit_due=today - timedelta(days=1), last_visit_on=today - timedelta(days=40)
    )
    Household.objects.filter(pk=b.pk).update(
        next_visit_due=today, last_visit_on=today - timedelta(days=30)
    )
    Household.objects.filter(pk=c.pk).update(
        status=HouseholdStatus.DISSOLVED, next_visit_due=today - timedelta(days=9)
    )
    total, children = light_counts_by_child(world.users["district_admin"], world.district)
    active = Household.objects.filter(status=HouseholdStatus.ACTIVE)
    assert total.total == active.count()
    assert total.overdue == active.filter(next_visit_due__lt=today).count()
    assert total.visited_30d == active.filter(last_visit_on__gte=today - timedelta(days=30)).count()
    street = {r.code: n for r, n in children}[world.open_street.code]
    under = active.filter(region_path__startswith=world.open_street.path + ".")
    assert street.total == under.count()
    assert street.overdue == under.filter(next_visit_due__lt=today).count() >= 1
    assert street.visited_30d == under.filter(last_visit_on__gte=today - timedelta(30)).count()


def test_dashboard_counts_only_what_the_viewer_may_see(world: World) -> None:
    _register(world, 2, "scope")
    # The open street's staff, asked about the whole district, count their street alone.
    total, children = light_counts_by_child(world.twins["street_staff"], world.district)
    visible = Household.objects.filter(
        status=HouseholdStatus.ACTIVE, region_path__startswith=world.open_street.path + "."
    )
    assert total.total == visible.count() == 3
    assert {r.code: n.total for r, n in children}[world.secret_street.code] == 0
    history = light_trend(world.twins["street_staff"], world.district)
    _change(world.secret_household, at=timezone.now(), to="yellow", frm="red")
    assert light_trend(world.twins["street_staff"], world.district).total == history.total


def test_weekly_changes_are_counted_per_monday_week_and_light(world: World) -> None:
    h = _register(world, 1, "trend")[0]
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    _change(h, at=_local(-today.weekday()), to="red")  # this week's Monday
    _change(h, at=_local(-today.weekday() - 1, 23), to="yellow")  # last week's Sunday night
    _change(h, at=_local(-today.weekday() - 14), to="yellow")  # two weeks before
    _change(h, at=_local(-7 * 20), to="red")  # outside the twelve weeks
    _change(h, at=_local(-1), to="green", frm="")  # a first light is not a change
    trend = light_trend(world.users["district_admin"], world.district)
    assert trend.weeks[-1] == monday
    assert all(d.weekday() == 0 for d in trend.weeks)
    assert len(trend.weeks) == 12
    assert (trend.red[-1], trend.yellow[-1]) == (1, 0)
    assert trend.yellow[-2] == 1
    assert trend.yellow[-3] == 1
    assert trend.total == 3
    # A region elsewhere does not see these changes.
    assert light_trend(world.users["district_admin"], world.secret_street).total == 0


def test_change_chart_is_drawn_only_when_there_are_changes(world: World) -> None:
    client = login(world.users["district_admin"])
    LightChange.objects.filter(from_light__gt="").delete()
    body = client.get(f"/households/dashboard/{world.district.pk}/").content.decode()
    assert 'data-testid="trend-empty"' in body
    assert "最近 12 周没有住户的信号灯发生变化" in body
    assert 'id="trend-chart"' not in body
    h = _register(world, 1, "chart")[0]
    _change(h, at=timezone.now() - timedelta(days=3), to="red")
    body = client.get(f"/households/dashboard/{world.district.pk}/").content.decode()
    assert 'id="trend-chart"' in body
    assert "trend-empty" not in body


def test_dashboard_query_count_does_not_grow_with_households_or_history(world: World) -> None:
    client = login(world.users["district_admin"])
    url = f"/households/dashboard/{world.district.pk}/"
    first = _register(world, 2, "small")
    _change(first[0], at=timezone.now() - timedelta(days=2), to="red")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more = _register(world, 12, "large")
    for i, h in enumerate(more):
        _change(h, at=timezone.now() - timedelta(days=i * 6), to="yellow")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.fixture
def demo_district() -> None:
    build_demo()
    build_households(600, seed=11)
    recompute_all()
    spread_visits()


def test_demo_history_feeds_the_change_chart_and_ends_in_each_light(demo_district: None) -> None:
    moves = LightChange.objects.filter(from_light__gt="")
    assert moves.exists()
    assert moves.filter(at__gt=timezone.now()).count() == 0
    district = Region.objects.get(level=0, path="0001")
    from gridlight.core.models import User

    trend = light_trend(User.objects.get(username="admin"), district)
    # The chart's twelve weeks start on the Monday eleven weeks before this week's Monday.
    today = timezone.localdate()
    first = today - timedelta(days=today.weekday(), weeks=11)
    since = timezone.make_aware(datetime.combine(first, time.min))
    assert trend.total == moves.filter(at__gte=since).count() > 0
    assert sum(1 for n in trend.red + trend.yellow + trend.green if n) >= 3
    # Every household's history is one chain: each row starts where the one before ended,
    # the first is dated on registration, the last is the light it has now.
    for h in Household.objects.all():
        chain = list(h.light_changes.order_by("at", "id"))
        assert chain[0].from_light == ""
        assert chain[0].at.date() <= h.registered_on + timedelta(days=1)
        for before, after in itertools.pairwise(chain):
            assert after.from_light == before.to_light != after.to_light
        assert chain[-1].to_light == h.light
    # Running it again adds nothing.
    assert spread_light_history() == 0
