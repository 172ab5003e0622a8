"""A policy's catalogue entry edited from its page and the API, its lead department (牵头部门)
among it: validated (an active unit), version-checked, audited; a bad unit id is a 4xx with the
reason and nothing written; out of scope is a 404 and without ``policy.manage`` a 403."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gridlight.core.models import AuditEvent
from gridlight.policies.models import Policy
from tests.conftest import login
from tests.policies.grant_world import make_policy

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def policy(world: Any) -> Policy:
    made, _v = make_policy(world, "lead_test", "apply", budget_fen=800000)
    return made


def _form(policy: Policy, **changes: Any) -> dict[str, Any]:
    data = {
        "title": policy.title,
        "issuer": policy.issuer,
        "doc_number": policy.doc_number,
        "source_url": policy.source_url,
        "mode": policy.mode,
        "budget_yuan": "8000.00",
        "period_start": "",
        "period_end": "",
        "materials": "\n".join(policy.materials),
        "exclusive_group": "",
        "lead_unit": "",
        "version": policy.version,
    }
    return data | changes


def test_the_lead_department_is_set_from_the_policy_page(world: Any, policy: Policy) -> None:
    unit = world.units["education"]
    client = login(world.users["district_admin"])
    page = client.get(f"/policies/{policy.pk}/edit/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="policy-form"' in body
    assert "牵头部门" in body
    assert f'<option value="{unit.pk}">{unit.name}</option>' in body
    response = client.post(f"/policies/{policy.pk}/edit/", _form(policy, lead_unit=unit.pk))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.lead_unit, policy.version, policy.budget_fen) == (unit, 2, 800000)
    event = AuditEvent.objects.filter(action="policy.update", object_id=str(policy.pk)).get()
    assert event.changes == {"lead_unit": [None, unit.name]}
    detail = client.get(f"/policies/{policy.pk}/").content.decode()
    assert unit.name in detail
    # A stale version: 409 with the reason, nothing written.
    stale = client.post(f"/policies/{policy.pk}/edit/", _form(policy, version=1, title="旧"))
    assert stale.status_code == 409
    assert "已被他人修改" in stale.content.decode()
    policy.refresh_from_db()
    assert policy.title != "旧"


def test_a_bad_unit_id_on_the_page_is_a_400_with_the_reason(world: Any, policy: Policy) -> None:
    client = login(world.users["district_admin"])
    inactive = world.units["education"]
    type(inactive).objects.filter(pk=inactive.pk).update(active=False)
    for bad in ("999999", "abc", str(inactive.pk)):
        response = client.post(f"/policies/{policy.pk}/edit/", _form(policy, lead_unit=bad))
        assert response.status_code == 400, bad
        assert "没有编号为" in response.content.decode()
    policy.refresh_from_db()
    assert (policy.lead_unit, policy.version) == (None, 1)
    assert not AuditEvent.objects.filter(action="policy.update").exists()


def test_a_unit_of_another_district_cannot_lead(world: Any, policy: Policy) -> None:
    from gridlight.tickets.models import Unit

    far = Unit.objects.create(
        code="far_office",
        name="邻区人才办",
        kind="department",
        region=world.other_district,
        region_path=world.other_district.path,
    )
    client = login(world.users["district_admin"])
    page = client.get(f"/policies/{policy.pk}/edit/").content.decode()
    assert "邻区人才办" not in page
    response = client.patch(
        f"/api/v1/policies/{policy.pk}",
        data=json.dumps({"version": 1, "lead_unit_id": far.pk}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "其他区域" in response.json()["detail"]
    policy.refresh_from_db()
    assert (policy.lead_unit, policy.version) == (None, 1)


def test_the_policy_page_is_scoped(world: Any, policy: Policy) -> None:
    url = f"/policies/{policy.pk}/edit/"
    assert login(world.twins["district_admin"]).get(url).status_code == 404
    assert login(world.users["talent_commissioner"]).get(url).status_code == 403
    assert login(world.users["talent"]).get(url).status_code in (403, 404)
    response = login(world.users["talent_commissioner"]).post(
        url, _form(policy, lead_unit=world.units["education"].pk)
    )
    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.lead_unit is None


def test_the_lead_department_through_the_api(world: Any, policy: Policy) -> None:
    unit = world.units["education"]
    client = login(world.users["district_admin"])
    url = f"/api/v1/policies/{policy.pk}"

    def patch(payload: dict[str, Any]) -> Any:
        return client.patch(url, data=json.dumps(payload), content_type="application/json")

    bad = patch({"version": 1, "lead_unit_id": 999999})
    assert bad.status_code == 400
    assert "999999" in bad.json()["detail"]
    ok = patch({"version": 1, "lead_unit_id": unit.pk})
    assert ok.status_code == 200
    assert ok.json()["lead_unit_id"] == unit.pk
    assert ok.json()["title"] == policy.title  # the fields not sent are kept
    assert client.get(url).json()["lead_unit_id"] == unit.pk
    stale = patch({"version": 1, "lead_unit_id": None})
    assert stale.status_code == 409
    cleared = patch({"version": 2, "lead_unit_id": None})
    assert cleared.status_code == 200
    assert cleared.json()["lead_unit_id"] is None
    events = AuditEvent.objects.filter(action="policy.update", object_id=str(policy.pk))
    assert sorted(json.dumps(e.changes, ensure_ascii=False) for e in events) == sorted(
        [
            json.dumps({"lead_unit": [None, unit.name]}, ensure_ascii=False),
            json.dumps({"lead_unit": [unit.name, None]}, ensure_ascii=False),
        ]
    )
    # Out of scope: the twin district's administrator finds no such policy.
    twin = login(world.twins["district_admin"])
    response = twin.patch(
        url,
        data=json.dumps({"version": 3, "lead_unit_id": unit.pk}),
        content_type="application/json",
    )
    assert response.status_code == 404
    policy.refresh_from_db()
    assert policy.lead_unit is None


def test_a_policy_is_created_with_its_lead_department(world: Any) -> None:
    client = login(world.users["district_admin"])
    payload = {
        "code": "led_policy",
        "region_code": world.district.code,
        "subject_type": "talent",
        "title": "牵头测试",
        "issuer": "区人才办",
        "mode": "apply",
    }
    bad = client.post(
        "/api/v1/policies",
        data=json.dumps(payload | {"lead_unit_id": 999999}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert not Policy.objects.filter(code="led_policy").exists()
    unit = world.units["education"]
    made = client.post(
        "/api/v1/policies",
        data=json.dumps(payload | {"lead_unit_id": unit.pk}),
        content_type="application/json",
    )
    assert made.status_code == 201
    assert Policy.objects.get(code="led_policy").lead_unit == unit
