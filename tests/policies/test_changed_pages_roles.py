"""The pages this round changed, rendered for each role that meets them — the talent
commissioner, the department handler leading a policy, the district administrator and the
talent — in Chinese, with what each may do and nothing it may not: the policy's edit page and
lead department, the KPI pages with their charts and exports, an application of a benefit in
kind in the review queue and in the talent's portal."""

from __future__ import annotations

from typing import Any

import pytest

from gridlight.policies import applications as apps
from gridlight.policies import matching
from gridlight.policies.services import policy_update
from tests.conftest import login
from tests.policies.grant_world import uploads
from tests.policies.test_in_kind import in_kind_policy

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def led(world: Any) -> Any:
    """An apartment policy (in kind) led by the education department, with one application
    from the talent accepted and through its first review."""
    policy, _v = in_kind_policy(world, "apartment_roles", "apply")
    policy = policy_update(
        actor=world.users["district_admin"],
        policy=policy,
        version=policy.version,
        lead_unit=world.units["education"],
    )
    app = apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    staff = world.users["street_staff"]
    app = apps.accept(actor=staff, application=app, edit_version=1)
    app = apps.first_review(actor=staff, application=app, edit_version=2)
    matching.match_all("talent")
    return policy, app


def _get(user: Any, url: str) -> tuple[int, str]:
    response = login(user).get(url)
    return response.status_code, response.content.decode()


def test_commissioner_sees_policy_and_kpis_but_cannot_edit(world: Any, led: Any) -> None:
    policy, _app = led
    user = world.users["talent_commissioner"]
    status, body = _get(user, f"/policies/{policy.pk}/")
    assert status == 200
    assert "牵头部门" in body
    assert world.units["education"].name in body
    assert 'data-testid="edit-policy"' not in body
    assert _get(user, f"/policies/{policy.pk}/edit/")[0] == 403
    status, body = _get(user, "/policies/pushes/")
    assert status == 200
    assert 'data-testid="push-kpi-export"' in body
    assert login(user).get("/policies/pushes/export/").status_code == 200
    status, body = _get(user, "/policies/kpi/")
    assert status == 200
    assert 'id="policy-kpi-data"' in body


def test_department_handler_reviews_the_place_it_leads(world: Any, led: Any) -> None:
    _policy, app = led
    handler = world.users["department_handler"]
    status, body = _get(handler, f"/policies/applications/{app.pk}/")
    assert status == 200
    assert "非资金类待遇" in body
    assert 'data-testid="step-approve"' in body
    response = login(handler).post(
        f"/policies/applications/{app.pk}/approve/", {"edit_version": app.edit_version}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.amount_fen) == ("approved", 0)
    # The twin department (not leading it) finds no such application.
    assert _get(world.twins["department_handler"], f"/policies/applications/{app.pk}/")[0] == 404


def test_administrator_edits_the_policy(world: Any, led: Any) -> None:
    policy, _app = led
    admin = world.users["district_admin"]
    status, body = _get(admin, f"/policies/{policy.pk}/")
    assert 'data-testid="edit-policy"' in body
    status, body = _get(admin, f"/policies/{policy.pk}/edit/")
    assert status == 200
    assert "编辑政策" in body
    assert "牵头部门" in body
    assert f'<option value="{world.units["education"].pk}" selected>' in body


def test_talent_sees_the_place_in_its_portal_and_no_staff_page(world: Any, led: Any) -> None:
    policy, app = led
    talent = world.users["talent"]
    status, body = _get(talent, f"/me/talent/policies/applications/{app.pk}/")
    assert status == 200
    for url in (
        f"/policies/{policy.pk}/edit/",
        "/policies/pushes/",
        "/policies/pushes/export/",
        "/policies/kpi/",
    ):
        assert _get(talent, url)[0] in (403, 404), url
    # The apply page of another in-kind policy shows the benefit as a place, not 0 yuan.
    other, _v = in_kind_policy(world, "school_roles", "apply")
    status, body = _get(talent, f"/me/talent/policies/apply/{other.pk}/")
    assert status == 200
    assert "非资金类待遇" in body
    assert "0.00 元" not in body
