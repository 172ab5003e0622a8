"""The policy pages and API, in scope: the catalogue with filters and a fixed number of
queries, a draft edited as YAML (refused with the reason, nothing written), simulation,
publishing, and the policies for one talent with what is missing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridlight.policies.demo import load_policies
from gridlight.policies.models import Policy, PolicyVersion, VersionStatus
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(world: Any) -> Any:
    load_policies(actor=world.users["district_admin"], region=world.district)
    return world


def test_catalogue_lists_and_filters(loaded: Any) -> None:
    client = login(loaded.users["talent_commissioner"])
    body = client.get("/policies/").content.decode()
    assert "人才安家补贴" in body
    assert "14,000,000.00" in body  # the city's 14 million yuan, from the budget in fen
    only = client.get("/policies/?subject_type=enterprise&q=上市").content.decode()
    assert "企业上市分阶段奖励" in only
    assert "人才安家补贴" not in only


def test_catalogue_query_count_does_not_grow_with_policies(loaded: Any) -> None:
    client = login(loaded.users["district_admin"])
    client.get("/policies/")
    with CaptureQueriesContext(connection) as few:
        client.get("/policies/")
    for i in range(10):
        Policy.objects.create(
            code=f"extra_{i}",
            title=f"额外{i}",
            issuer="区",
            subject_type="talent",
            mode="push",
            region=loaded.district,
            region_path=loaded.district.path,
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/policies/")
    assert len(many) == len(few)


def test_draft_edit_refused_with_reason_then_saved_simulated_published(loaded: Any) -> None:
    client = login(loaded.users["district_admin"])
    policy = Policy.objects.get(code="srdi_award")
    response = client.post(f"/policies/{policy.pk}/draft/")
    draft = PolicyVersion.objects.get(policy=policy, status=VersionStatus.DRAFT)
    assert response.status_code == 302
    bad = (
        "when: {field_in: {field: srdi_level, values: [national]}}\n"
        "benefit: {fixed: 5, cap: 1, floor: 3}\n"
    )
    response = client.post(
        f"/policies/versions/{draft.pk}/", {"definition": bad, "edit_version": 1, "note": ""}
    )
    assert response.status_code == 400
    assert "低于下限" in response.content.decode()  # Chinese first
    draft.refresh_from_db()
    assert draft.edit_version == 1
    good = (
        "when: {field_in: {field: srdi_level, values: [national]}}\n"
        "benefit: {fixed: 5}\n"
        "tests:\n- {name: n, values: {srdi_level: national}, expect: met, amount: 5}\n"
    )
    response = client.post(
        f"/policies/versions/{draft.pk}/", {"definition": good, "edit_version": 1, "note": "x"}
    )
    assert response.status_code == 302
    sim = client.get(f"/policies/versions/{draft.pk}/simulate/")
    assert sim.status_code == 200
    response = client.post(
        f"/policies/versions/{draft.pk}/publish/", {"effective_from": "2026-07-01"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED


def test_policies_for_a_talent_page_and_api(loaded: Any, people: dict[str, Any]) -> None:
    client = login(loaded.users["talent_commissioner"])
    talent = people["unknown"]
    body = client.get(f"/policies/talents/{talent.pk}/").content.decode()
    assert 'data-testid="missing"' in body
    assert 'data-testid="result-unknown"' in body
    data = client.get(f"/api/v1/talents/{talent.pk}/policies").json()
    states = {r["code"]: r["state"] for r in data["results"]}
    assert states["talent_apartment"] == "unknown"
    assert data["missing"][0]["decides"] >= 1
    doctor = client.get(f"/api/v1/talents/{people['doctor'].pk}/policies").json()
    amounts = {r["code"]: r["amount_fen"] for r in doctor["results"]}
    assert amounts["settlement_subsidy"] == 100_000_000


def test_api_bad_input_is_a_4xx_with_nothing_written(loaded: Any) -> None:
    client = login(loaded.users["district_admin"])
    policy = Policy.objects.get(code="district_car_topup")
    draft = client.post(f"/api/v1/policies/{policy.pk}/drafts").json()
    city = Policy.objects.get(code="city_car_voucher")
    city_draft = client.post(f"/api/v1/policies/{city.pk}/drafts").json()
    cycle = {
        "edit_version": city_draft["edit_version"],
        "definition": {
            "when": {"field_in": {"field": "industry", "values": ["commerce"]}},
            "benefit": {"formula": "benefit.district_car_topup * 5"},
        },
    }
    response = client.put(
        f"/api/v1/policies/versions/{city_draft['id']}",
        data=json.dumps(cycle),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "循环引用" in response.json()["detail"]
    unknown = {
        "edit_version": 1,
        "definition": {"when": {"field_in": {"field": "wealth", "values": ["x"]}}},
    }
    response = client.put(
        f"/api/v1/policies/versions/{draft['id']}",
        data=json.dumps(unknown),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "wealth" in response.json()["detail"]
    assert PolicyVersion.objects.get(pk=draft["id"]).edit_version == 1
    listed = client.get("/api/v1/policies?subject_type=enterprise").json()
    assert listed["count"] == 5
    created = client.post(
        "/api/v1/policies",
        data=json.dumps(
            {
                "code": "new_one",
                "region_code": loaded.district.code,
                "subject_type": "talent",
                "title": "新政策",
                "issuer": "区人才办",
                "mode": "push",
                "budget_fen": 100,
                "period_start": "2026-02-01",
                "period_end": "2026-01-01",
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 400
    assert not Policy.objects.filter(code="new_one").exists()
