"""In Debian's Chromium, through Playwright: sign in, drill down the region tree, look at it."""

from __future__ import annotations

import os
import re
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

    page.click("nav >> text=基层治理")  # the menu's group opens …
    page.click("nav >> text=区域树")  # … and shows its links
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_judge_enters_and_confirms_a_score_sheet_on_a_phone(
    live_server: Any, browser: Any
) -> None:
    """At the arena, on a phone: the judge opens their list, scores a street (a score out of
    range is refused with a message and nothing stored), confirms, and the sheet is sealed."""
    from decimal import Decimal

    from gridlight.core.models import Region, User
    from gridlight.evaluation import services
    from gridlight.evaluation.models import Sheet, SheetStatus

    build_demo()
    admin = User.objects.get(username="admin")
    judge = User.objects.get(username="evaluator")
    district = Region.objects.get(level=0, name="市中区")
    cycle = services.cycle_create(actor=admin, district=district, year=2026)
    services.cycle_plan(actor=admin, cycle=cycle)
    streets = list(Region.objects.filter(parent=district).order_by("sort_order", "path")[:3])
    round_ = services.round_create(
        actor=admin,
        event=cycle.events.get(kind="arena", number=4),
        title="四季度擂台",
        criteria=[
            services.CriterionInput("工作成效", Decimal(60), Decimal(10)),
            services.CriterionInput("创新特色", Decimal(40), Decimal(10)),
        ],
        entrants=streets,
    )
    services.judge_appoint(actor=admin, round_=round_, user=judge)
    first, second = round_.criteria.all()
    entrant = round_.entrants.get(region=streets[0])

    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "evaluator")
    page.fill("input[name=password]", demo_password("evaluator"))
    page.click("[data-testid=login-submit]")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/evaluation/rounds/{round_.pk}/score/")
    rows = page.locator("[data-testid=score-list] .list-group-item")
    assert rows.count() == 3
    rows.filter(has_text=streets[0].name).click()
    page.wait_for_url(f"{live_server.url}/evaluation/rounds/{round_.pk}/score/{entrant.pk}/")
    # The number pad on a phone, and the form fits the screen.
    assert page.get_attribute(f"input[name=c{first.pk}]", "inputmode") == "decimal"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.fill(f"input[name=c{first.pk}]", "12")
    page.fill(f"input[name=c{second.pk}]", "7.5")
    page.click("[data-testid=sheet-save]")
    assert "10" in page.inner_text("[data-testid=sheet-form]")  # the range is named
    assert not Sheet.objects.exists()
    page.fill(f"input[name=c{first.pk}]", "8.25")
    page.fill(f"input[name=c{second.pk}]", "7.5")
    page.check("input[name=confirm]")
    page.click("[data-testid=sheet-save]")
    page.wait_for_url(f"{live_server.url}/evaluation/rounds/{round_.pk}/score/")
    badge = page.locator("[data-testid=score-list] .list-group-item").filter(
        has_text=streets[0].name
    )
    assert "封存" in badge.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-score-sheet.png"), full_page=True)
    sheet = Sheet.objects.get()
    assert (sheet.status, sheet.scores) == (
        SheetStatus.CONFIRMED,
        {str(first.pk): "8.25", str(second.pk): "7.5"},
    )
    # Sealed: the form can no longer be sent.
    page.goto(f"{live_server.url}/evaluation/rounds/{round_.pk}/score/{entrant.pk}/")
    assert page.is_disabled("[data-testid=sheet-save]")
    assert errors == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_policy_kpi_charts_draw_and_the_policy_pages_fit_a_phone(
    live_server: Any, browser: Any
) -> None:
    """The commissioner's push KPI and application KPI pages draw their ECharts chart (a
    canvas of nonzero size in the chart's box, no script error); the policy pages are
    photographed on a desk screen and a phone (test-artifacts/policies/)."""
    from gridlight.policies.demo import build_policies
    from gridlight.policies.models import Policy
    from gridlight.talent.demo import build_talent

    build_demo()
    build_talent()
    build_policies()
    policy = Policy.objects.filter(code="talent_apartment").get()
    shots = ARTIFACTS / "policies"
    shots.mkdir(parents=True, exist_ok=True)
    pages = {
        "commissioner": {
            "push-kpi": "/policies/pushes/",
            "kpi": "/policies/kpi/",
        },
        "admin": {  # the catalogue and 二次确认 are the district's, not the commissioner's
            "policy-edit": f"/policies/{policy.pk}/edit/",
            "grants": "/policies/grants/?status=confirmed",
            "households": "/households/",
            "tickets": "/tickets/",
        },
        "talent": {"for-me": "/me/policies/", "mine": "/me/talent/policies/"},
    }
    screens = {
        "desk": {"viewport": {"width": 1366, "height": 800}},
        "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True},
    }
    for screen, options in screens.items():
        for username, urls in pages.items():
            page = browser.new_page(locale="zh-CN", **options)
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.on(
                "console",
                lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
            )
            page.goto(live_server.url + "/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", demo_password(username))
            page.click("[data-testid=login-submit]")
            page.wait_for_url(live_server.url + "/")
            for name, url in urls.items():
                page.goto(live_server.url + url)
                # Chinese first: the heading is Chinese (the demo users' language).
                assert re.search("[\u4e00-\u9fff]", page.inner_text("h1")), url
                # Nothing wider than the screen: wide tables scroll in their own box.
                width = options["viewport"]["width"]  # type: ignore[index]
                assert page.evaluate("() => document.documentElement.scrollWidth") <= width, url
                # No column heading broken one character a line (a squeezed table on a phone).
                wrapped = page.evaluate(
                    "() => [...document.querySelectorAll('thead th')].filter(th =>"
                    " th.getBoundingClientRect().height"
                    " > 3.5 * parseFloat(getComputedStyle(th).fontSize)).map(th => th.innerText)"
                )
                assert wrapped == [], (url, wrapped)
                if name in ("push-kpi", "kpi"):
                    page.wait_for_selector("#policy-kpi-chart canvas")
                    box = page.evaluate(
                        "() => { const c = document.querySelector('#policy-kpi-chart canvas');"
                        " const r = c.getBoundingClientRect(); return [r.width, r.height]; }"
                    )
                    assert box[0] > 0, url
                    assert box[1] > 0, url
                    points = page.evaluate(
                        "() => echarts.getInstanceByDom(document.getElementById("
                        "'policy-kpi-chart')).getOption().series"
                        ".reduce((n, s) => n + s.data.filter(v => v).length, 0)"
                    )
                    assert points > 0, url  # a chart with data, not an empty frame
                page.screenshot(path=str(shots / f"{screen}-{name}.png"), full_page=True)
            assert errors == [], (screen, username, errors)
            page.close()
