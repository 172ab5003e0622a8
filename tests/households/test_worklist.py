"""The grid worker's worklist: the home page's tiles and the worklist count the same visits,
overdue visits come red first and longest overdue first, dates carry their year, and long
sections are paged rather than cut off."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gridlight.households.models import Household
from gridlight.households.views import work
from tests.conftest import World, login
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _household(world: World, code: str, light: str, days_from_today: int) -> Household:
    h = HouseholdFactory(
        actor=world.users["district_admin"],
        grid=world.secret_grid,
        code=code,
        members=[MemberFactory.build(name=f"{code}户主")],
    )
    Household.objects.filter(pk=h.pk).update(
        light=light, next_visit_due=timezone.localdate() + timedelta(days=days_from_today)
    )
    return h


@pytest.fixture
def visits(world: World) -> None:
    Household.objects.update(next_visit_due=timezone.localdate() + timedelta(days=30))
    _household(world, "GREEN-OLD", "green", -400)  # overdue longest, but green
    _household(world, "YELLOW-5", "yellow", -5)
    _household(world, "RED-2", "red", -2)
    _household(world, "RED-9", "red", -9)
    _household(world, "TODAY", "green", 0)
    _household(world, "WEEK-3", "yellow", 3)
    _household(world, "WEEK-7", "red", 7)
    _household(world, "LATER", "red", 8)  # beyond the week: on neither


def _order(body: str, section: str) -> list[str]:
    part = body.split(f'data-testid="worklist-{section}"')[1].split("</div>\n{%")[0]
    part = part.split('data-testid="worklist-')[0]
    return re.findall(r"([A-Z]+-?[A-Z0-9]*)户主", part)


def test_overdue_visits_come_red_first_then_longest_overdue(world: World, visits: None) -> None:
    body = login(world.users["grid_worker"]).get("/households/worklist/").content.decode()
    assert _order(body, "overdue") == ["RED-9", "RED-2", "YELLOW-5", "GREEN-OLD"]
    assert _order(body, "today") == ["TODAY"]
    assert _order(body, "week") == ["WEEK-3", "WEEK-7"]
    old = timezone.localdate() - timedelta(days=400)
    assert f'data-testid="due">{old:%Y-%m-%d}<' in body  # the year is shown
    assert "400" in body  # and how long it is overdue


def test_home_tiles_and_worklist_count_the_same_visits(world: World, visits: None) -> None:
    worker = login(world.users["grid_worker"])
    home = worker.get("/").content.decode()
    worklist = worker.get("/households/worklist/").content.decode()
    for section, n in (("overdue", 4), ("today", 1), ("week", 2)):
        assert re.search(rf'data-testid="home-{section}">{n}<', home), section
        assert re.search(rf'data-testid="count-{section}">{n}<', worklist), section


def test_a_long_section_is_paged_not_cut_off(
    world: World, visits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(work, "WORKLIST_PAGE", 3)
    worker = login(world.users["grid_worker"])
    first = worker.get("/households/worklist/").content.decode()
    assert _order(first, "overdue") == ["RED-9", "RED-2", "YELLOW-5"]
    assert 'data-testid="pager-overdue"' in first
    assert "overdue-page=2" in first
    second = worker.get("/households/worklist/?overdue-page=2").content.decode()
    assert _order(second, "overdue") == ["GREEN-OLD"]
    assert _order(second, "today") == ["TODAY"]  # the other sections stay on their page


def test_worklist_queries_do_not_grow_with_the_visits(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    worker = login(world.users["grid_worker"])
    worker.get("/households/worklist/")  # sessions, catalogue labels: warmed once

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert worker.get("/households/worklist/").status_code == 200
        return len(ctx.captured_queries)

    for i, days in enumerate((-1, 0, 3)):  # one in each section
        _household(world, f"FEW-{i}", "red", days)
    few = queries()
    for i in range(8):
        _household(world, f"MANY-{i}", ("red", "yellow", "green")[i % 3], i - 4)
    assert queries() == few


def test_the_api_worklist_queries_do_not_grow_with_the_visits(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    worker = login(world.users["grid_worker"])
    worker.get("/api/v1/worklist")  # warm

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            answer = worker.get("/api/v1/worklist")
            assert answer.status_code == 200
        return len(ctx.captured_queries)

    for i, days in enumerate((-1, 0, 3)):
        _household(world, f"FEW-{i}", "red", days)
    few = queries()
    for i in range(8):
        _household(world, f"MANY-{i}", ("red", "yellow", "green")[i % 3], i - 4)
    assert queries() == few
