"""A talent's school-enrolment problem, followed end to end through every role in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from gridlight.core.demo.build import build_demo, demo_password
from gridlight.core.models import Region
from tests.test_browser import ARTIFACTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _sign_in(browser: Any, base: str, username: str, *, phone: bool = False) -> Any:  # noqa: F811
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    page = browser.new_context(viewport=size, is_mobile=phone, locale="zh-CN").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password(username))
    page.click("[data-testid=login-submit]")
    page.wait_for_url(base + "/")
    page.errors = errors
    return page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_talent_school_enrolment_end_to_end(live_server: Any, browser: Any) -> None:  # noqa: F811
    from gridlight.tickets.catalogue import ensure_units
    from gridlight.tickets.demo import link_demo_users
    from gridlight.tickets.models import DispatchFact, Ticket

    build_demo()
    district = Region.objects.get(code="370103")
    ensure_units(district)
    link_demo_users()
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    # The talent reports the problem from a phone.
    talent = _sign_in(browser, base, "talent", phone=True)
    talent.goto(base + "/tickets/new/")
    talent.select_option("#id_category", "school_enrolment")
    talent.select_option("#id_region", label="建新社区")
    talent.fill("#id_title", "孩子转学入学")
    talent.fill("#id_description", "新引进人才，孩子需在就近小学办理转学入学。")
    talent.screenshot(path=str(ARTIFACTS / "ticket-intake-phone.png"), full_page=True)
    talent.click("[data-testid=intake-submit]")
    talent.wait_for_selector("[data-testid=status]")
    assert "已提交" in talent.inner_text("[data-testid=status]")
    ticket = Ticket.objects.get(title="孩子转学入学")
    assert ticket.talent
    assert ticket.requester is not None

    # The district dispatcher sends it to the education bureau suggested for the category.
    admin = _sign_in(browser, base, "admin")
    admin.goto(base + "/tickets/dispatch/")
    row = admin.locator("tr", has_text="孩子转学入学")
    assert "区教育和体育局" in row.locator("select option:checked").inner_text()
    admin.screenshot(path=str(ARTIFACTS / "ticket-dispatch.png"), full_page=True)
    row.locator("button[type=submit]").click()
    admin.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"
    assert ticket.unit is not None

    # The department handler signs for it, works on it and reports it handled.
    handler = _sign_in(browser, base, "handler")
    handler.goto(base + "/tickets/work/")
    handler.locator("[data-testid=section-sign]").get_by_text(ticket.number).click()
    handler.click("form[data-step=sign] button")
    handler.click("form[data-step=start] button")
    handler.fill("form[data-step=handle] textarea", "已协调实验小学，下周一入学。")
    handler.click("form[data-step=handle] button")
    handler.wait_for_selector("[data-testid=status]")
    assert "待回访" in handler.inner_text("[data-testid=status]")
    handler.screenshot(path=str(ARTIFACTS / "ticket-handled.png"), full_page=True)

    # The talent commissioner follows it from the district's ticket list.
    commissioner = _sign_in(browser, base, "commissioner")
    commissioner.goto(base + "/tickets/?talent=on")
    commissioner.get_by_text("孩子转学入学").first.click()
    assert "已协调实验小学" in commissioner.inner_text("[data-testid=timeline]")

    # The talent sees it handled and rates it; that closes it as resolved.
    talent.goto(base + f"/tickets/{ticket.pk}/")
    talent.select_option("form[data-step=rate] select[name=rate-resolved]", "yes")
    talent.select_option("form[data-step=rate] select[name=rate-satisfaction]", "satisfied")
    talent.click("form[data-step=rate] button")
    talent.wait_for_selector("[data-testid=status]")
    assert "已结案" in talent.inner_text("[data-testid=status]")
    talent.screenshot(path=str(ARTIFACTS / "ticket-closed-phone.png"), full_page=True)
    ticket.refresh_from_db()
    assert (ticket.close_reason, ticket.satisfaction) == ("resolved", "satisfied")
    fact = DispatchFact.objects.get(ticket=ticket)
    assert fact.responded_on_time
    assert fact.handled_on_time
    assert fact.resolved
    assert fact.satisfied

    # The dispatcher's board and the KPI page show it.
    admin.goto(base + "/tickets/kpi/")
    admin.screenshot(path=str(ARTIFACTS / "ticket-kpi.png"), full_page=True)
    # This month's table lists the unit that handled it (the default period ends this month).
    assert ticket.unit is not None
    assert ticket.unit.name in admin.locator("[data-testid=kpi-table]").inner_text()
    for page in (talent, admin, handler, commissioner):
        assert page.errors == []
