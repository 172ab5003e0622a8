"""The talent portal on a phone, in Chromium: from the home page to the portal, raising a
problem, following it, and correcting one's own details."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gridlight.core.crypto import blind_index, encrypt
from gridlight.core.demo.build import build_demo, demo_password
from gridlight.core.models import Region, User
from gridlight.talent.models import CommissionerProfile, Enterprise, EnterpriseAccount, Talent
from tests.test_browser import ARTIFACTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _records() -> None:
    """The demo talent's profile and the demo enterprise user's enterprise, both followed by the
    demo commissioner (the talent app's demo data is built elsewhere)."""
    from gridlight.tickets.catalogue import ensure_units

    district = Region.objects.get(code="370103")
    ensure_units(district)
    street = Region.objects.filter(parent=district).order_by("path").first()
    assert street is not None
    commissioner = User.objects.get(username="commissioner")
    CommissionerProfile.objects.create(user=commissioner, office_phone="0531-86001234")
    e = Enterprise.objects.create(
        name="济南海右数智科技有限公司",
        credit_code="91370103MA3C00001W",
        industry="digital",
        street=street,
        region_path=street.path,
        address="经十路100号",
        headcount=86,
        commissioner=commissioner,
    )
    EnterpriseAccount.objects.create(user=User.objects.get(username="enterprise"), enterprise=e)
    Talent.objects.create(
        name="周博文",
        id_number_enc=encrypt("110101198001010010"),
        id_number_index=blind_index("110101198001010010", purpose="id_number"),
        phone_enc=encrypt("13900000011"),
        phone_index=blind_index("13900000011", purpose="phone"),
        birth_date=date(1980, 1, 1),
        street=street,
        region_path=street.path,
        level="B",
        employer=e,
        commissioner=commissioner,
        user=User.objects.get(username="talent"),
    )


def _sign_in(browser: Any, base: str, username: str) -> tuple[Any, list[str]]:  # noqa: F811
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password(username))
    page.click("[data-testid=login-submit]")
    page.wait_for_url(base + "/")
    return page, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_talent_uses_the_portal_on_a_phone(live_server: Any, browser: Any) -> None:  # noqa: F811
    build_demo()
    _records()
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = _sign_in(browser, base, "talent")
    page.click("[data-testid=go-portal]")
    page.wait_for_url(base + "/me/talent/")
    assert "杨帆" in page.inner_text("[data-testid=my-commissioner]")
    assert "0531-86001234" in page.inner_text("[data-testid=office-phone]")
    # Phone-first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "portal-home-phone.png"), full_page=True)

    page.click("[data-testid=raise]")
    page.select_option("#id_category", "school")
    page.fill("#id_title", "孩子入学")
    page.fill("#id_description", "孩子明年九月上小学，希望协调就近入学。")
    page.screenshot(path=str(ARTIFACTS / "portal-raise-phone.png"), full_page=True)
    page.click("[data-testid=raise-form] button[type=submit]")
    page.wait_for_selector("[data-testid=timeline]")
    assert "已提交" in page.inner_text("[data-testid=status]")
    page.screenshot(path=str(ARTIFACTS / "portal-problem-phone.png"), full_page=True)

    page.goto(base + "/me/talent/problems/")
    assert "孩子入学" in page.inner_text("[data-testid=my-problems]")
    page.screenshot(path=str(ARTIFACTS / "portal-problems-phone.png"), full_page=True)

    page.goto(base + "/me/talent/profile/")
    assert "139****0011" in page.inner_text("[data-testid=phone]")
    page.click("[data-testid=correct]")
    page.select_option("#id_housing", "apartment")
    page.fill("#id_child-0-name", "周小满")
    page.fill("#id_child-0-birth_date", "2019-09-01")
    page.screenshot(path=str(ARTIFACTS / "portal-correct-phone.png"), full_page=True)
    page.click("[data-testid=correct-form] button[type=submit]")
    page.wait_for_url(base + "/me/talent/profile/")
    assert "人才公寓" in page.inner_text("[data-testid=housing]")
    assert "周小满" in page.inner_text("[data-testid=children]")
    page.screenshot(path=str(ARTIFACTS / "portal-profile-phone.png"), full_page=True)
    assert errors == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_enterprise_portal_and_the_solved_chart(live_server: Any, browser: Any) -> None:  # noqa: F811
    build_demo()
    _records()
    base = live_server.url
    page, errors = _sign_in(browser, base, "enterprise")
    page.goto(base + "/me/talent/profile/")
    assert "经十路100号" in page.inner_text("[data-testid=address]")
    page.screenshot(path=str(ARTIFACTS / "portal-enterprise-phone.png"), full_page=True)
    staff, staff_errors = _sign_in(browser, base, "commissioner")
    staff.goto(base + "/talent/problems/solved/")
    staff.wait_for_selector("#solved-trend canvas")
    staff.screenshot(path=str(ARTIFACTS / "talent-solved-phone.png"), full_page=True)
    assert errors == []
    assert staff_errors == []
