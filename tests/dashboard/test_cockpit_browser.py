"""The cockpit in Chromium: the 1920×1080 stage fills a big screen with its charts drawn and no
script error; on a phone the same sections stack without overlapping. A screenshot of each is
kept in test-artifacts/."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from gridlight.core.demo.build import build_demo, demo_password
from gridlight.dashboard.refresh import refresh
from gridlight.evaluation.demo import build_evaluation
from tests.test_browser import ARTIFACTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _open(browser: Any, url: str, viewport: dict[str, int]) -> tuple[Any, list[str]]:  # noqa: F811
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", demo_password("admin"))
    page.click("[data-testid=login-submit]")
    page.wait_for_load_state("networkidle")
    page.goto(url + "/cockpit/")
    page.wait_for_selector("#ck-households canvas")
    return page, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_cockpit_fills_a_big_screen_and_stacks_on_a_phone(
    live_server: Any,
    browser: Any,  # noqa: F811
) -> None:
    build_demo()
    build_evaluation()  # published arenas and standings: the evaluation panel filled
    refresh()
    ARTIFACTS.mkdir(exist_ok=True)

    page, errors = _open(browser, live_server.url, {"width": 1920, "height": 1080})
    assert "数据驾驶舱" in page.title()
    for section in ("households", "tickets", "talent", "projects", "policies", "evaluation"):
        assert page.locator(f"[data-testid=sec-{section}]").is_visible()
    stage = page.locator("#ck-stage").bounding_box()
    assert stage is not None
    assert (round(stage["width"]), round(stage["height"])) == (1920, 1080)
    # Nothing spills below the screen: the last panel ends inside the stage.
    bottom = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.ck-panel')]"
        ".map(e => e.getBoundingClientRect().bottom))"
    )
    assert bottom <= 1080
    # No two panels overlap, and no panel's content spills out of it.
    rects = page.evaluate(
        "[...document.querySelectorAll('.ck-panel')].map(e => {"
        "const r = e.getBoundingClientRect();"
        "return [r.left, r.top, r.right, r.bottom, e.scrollHeight - e.clientHeight]; })"
    )
    for i, a in enumerate(rects):
        assert a[4] <= 1, a  # nothing clipped inside the panel
        for b in rects[i + 1 :]:
            apart = a[2] <= b[0] + 1 or b[2] <= a[0] + 1 or a[3] <= b[1] + 1 or b[3] <= a[1] + 1
            assert apart, (a, b)
    page.screenshot(path=str(ARTIFACTS / "cockpit-1920.png"))
    assert errors == []

    phone, errors = _open(browser, live_server.url, {"width": 390, "height": 844})
    boxes = phone.evaluate(
        "[...document.querySelectorAll('.ck-panel')].map(e => {"
        "const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.width]; })"
    )
    assert all(w <= 390 for _t, _b, w in boxes)
    ordered = sorted(boxes)
    assert all(a[1] <= b[0] + 1 for a, b in pairwise(ordered))  # no overlap
    phone.screenshot(path=str(ARTIFACTS / "cockpit-phone.png"), full_page=True)
    assert errors == []
