"""The talent pages in Debian's Chromium: the lists and a talent's page on a desktop and a
phone, the audited reveal through htmx, and no script errors."""

from __future__ import annotations

from typing import Any

import pytest

from gridlight.core.models import AuditEvent
from tests.conftest import SECRET_ID, World
from tests.factories import PASSWORD
from tests.test_browser import ARTIFACTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("width", "height", "name"), [(1280, 900, "desk"), (390, 844, "phone")])
def test_talent_pages_in_chromium(
    live_server: Any,
    browser: Any,  # noqa: F811
    world: World,
    width: int,
    height: int,
    name: str,
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "talent_commissioner")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(live_server.url + "/")
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(live_server.url + "/talent/enterprises/")
    assert "CANARY科技有限公司" in page.inner_text("[data-testid=enterprises]")
    page.screenshot(path=str(ARTIFACTS / f"talent-enterprises-{name}.png"), full_page=True)
    page.goto(live_server.url + "/talent/talents/")
    assert "CANARY人才" in page.inner_text("[data-testid=talents]")
    page.screenshot(path=str(ARTIFACTS / f"talent-talents-{name}.png"), full_page=True)
    page.goto(live_server.url + f"/talent/enterprises/{world.secret_enterprise.pk}/")
    page.screenshot(path=str(ARTIFACTS / f"talent-enterprise-{name}.png"), full_page=True)

    page.goto(live_server.url + f"/talent/talents/{world.secret_talent.pk}/")
    assert SECRET_ID not in page.content()
    assert "小学" in page.inner_text("[data-testid=children]")
    page.click("#talent-id button")
    page.wait_for_selector("#talent-id .gl-revealed")
    assert page.inner_text("#talent-id") == SECRET_ID
    page.screenshot(path=str(ARTIFACTS / f"talent-detail-{name}.png"), full_page=True)
    assert AuditEvent.objects.filter(action="reveal.id_number").count() == 1
    assert errors == []
