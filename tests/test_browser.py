"""In Debian's Chromium, through Playwright: sign in, drill down the region tree, look at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridlight.core.demo.build import build_demo, demo_password

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]

# Transactional tests empty the database afterwards; serialized rollback puts back what the
# migrations seeded (the attribute catalogue and the default rules), which later tests rely on.
pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("GRIDLIGHT_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (GRIDLIGHT_REQUIRE_BROWSER is set)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM work happens before it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_in_and_drill_down_to_a_grid(live_server: Any, browser: Any) -> None:
    build_demo()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", demo_password("admin"))
    page.click("[data-testid=login-submit]")
    page.wait_for_url(live_server.url + "/")
    assert "王建国" in page.inner_text("[data-testid=who]")

    page.click("nav >> text=区域树")
    assert "市中区" in page.inner_text("[data-testid=region-name]")
    assert page.locator("[data-testid=children] tbody tr").count() == 17
    page.click("[data-testid=children] >> text=二七街道")
    page.click("[data-testid=children] >> text=建新社区")
    assert "建新社区" in page.inner_text("[data-testid=region-name]")
    page.click("[data-testid=children] >> text=建新社区第1网格")
    assert "网格" in page.inner_text("[data-testid=region-name]")
    assert "建新社区第1网格驿站" in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "grid.png"), full_page=True)

    page.goto(live_server.url + "/regions/")
    page.screenshot(path=str(ARTIFACTS / "district.png"), full_page=True)
    page.goto(live_server.url + "/positions/map/")
    page.wait_for_selector("#position-map canvas")
    drawn = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('position-map'))"
        ".getOption().series.reduce((n, s) => n + s.data.length, 0)"
    )
    assert drawn == 857  # 116 centres + 615 grid stations + 125 warm-heart + 1 culture square
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    assert errors == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_phone_layout_collapses_the_menu(live_server: Any, browser: Any) -> None:
    build_demo()
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "gridworker")
    page.fill("input[name=password]", demo_password("gridworker"))
    page.click("[data-testid=login-submit]")
    page.wait_for_url(live_server.url + "/")
    assert not page.is_visible("#gl-nav")
    assert "刘洋" in page.inner_text("[data-testid=who-phone]")
    page.click(".navbar-toggler")
    page.wait_for_selector("#gl-nav", state="visible")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-home.png"), full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_grid_worker_records_a_visit_from_the_phone_worklist(
    live_server: Any, browser: Any
) -> None:
    from django.utils import timezone

    from gridlight.households.classify import recompute_all
    from gridlight.households.demo import build_households
    from gridlight.households.models import Household, Visit

    build_demo()
    build_households(2000, seed=3)
    recompute_all()
    mine = Household.objects.filter(grid__code="37010300800801")
    mine.update(next_visit_due=timezone.localdate())
    # The worklist's first visit of the day: red before yellow before green, then by number.
    severity = {"red": 0, "yellow": 1, "green": 2}
    target = min(mine, key=lambda h: (severity[h.light], h.code))
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "gridworker")
    page.fill("input[name=password]", demo_password("gridworker"))
    page.click("[data-testid=login-submit]")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/households/worklist/")
    due = page.locator("[data-testid=worklist-today] .list-group-item")
    assert due.count() == mine.count()
    first = due.first
    first.locator("summary").click()
    first.locator("input[value=phone]").check()
    first.locator("textarea[name=notes]").fill("电话问候，身体良好")
    first.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/households/worklist/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-worklist.png"), full_page=False)
    visit = Visit.objects.filter(household=target).order_by("-id").first()
    assert visit is not None
    assert (visit.method, visit.notes, visit.visited_on) == (
        "phone",
        "电话问候，身体良好",
        timezone.localdate(),
    )
    assert page.locator("[data-testid=worklist-today] .list-group-item").count() == mine.count() - 1
