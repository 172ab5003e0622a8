"""The enterprise and talent API: the same services and scope as the pages, 4xx with reasons,
and a talent or enterprise user reaching its own record only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gridlight.core.models import AuditEvent
from gridlight.talent.models import Enterprise, Talent
from tests.conftest import CANARY, SECRET_ID, World, login


def _post(client: Client, url: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


ENTERPRISE = {
    "name": "接口企业",
    "credit_code": "91350100M000100Y43",
    "industry": "commerce",
    "street_code": "900001002",
    "headcount": 12,
    "tags": [{"kind": "srdi", "level": "national", "year": 2024}],
    "platforms": [{"name": "重点实验室", "kind": "key_lab", "level": "provincial", "year": 2023}],
}


@pytest.mark.django_db
def test_enterprise_create_read_update_and_conflict(world: World) -> None:
    client = login(world.users["district_admin"])
    response = _post(client, "/api/v1/enterprises", ENTERPRISE)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tags"][0]["level"] == "national"
    assert body["platforms"][0]["name"] == "重点实验室"
    pk, version = body["id"], body["version"]
    changed = {**ENTERPRISE, "name": "接口企业改", "version": version}
    response = _post(client, f"/api/v1/enterprises/{pk}", changed, "put")
    assert response.status_code == 200
    assert response.json()["name"] == "接口企业改"
    response = _post(client, f"/api/v1/enterprises/{pk}", changed, "put")
    assert response.status_code == 409
    listed = client.get("/api/v1/enterprises?tag=srdi&tag_level=national").json()
    assert [e["name"] for e in listed["items"]] == ["接口企业改"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"credit_code": "91350100M000100Y4I"}, "第18位"),
        ({"headcount": -3}, "不能为负数"),
        ({"street_code": "nowhere"}, "没有此编码的街道"),
        ({"industry": "mining"}, "请从列表中选择"),
    ],
)
def test_a_bad_enterprise_is_a_400_with_the_reason(
    world: World, changes: dict[str, Any], words: str
) -> None:
    client = login(world.users["district_admin"])
    response = _post(client, "/api/v1/enterprises", {**ENTERPRISE, **changes})
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert not Enterprise.objects.filter(name="接口企业").exists()


@pytest.mark.django_db
def test_talent_create_with_children_masked_detail_and_audited_reveal(world: World) -> None:
    client = login(world.users["district_admin"])
    payload = {
        "name": "接口人才",
        "id_number": "370103198802140027",
        "phone": "13900000222",
        "street_code": world.open_street.code,
        "level": "A",
        "employer_code": world.open_enterprise.credit_code,
        "children": [{"name": "小接", "birth_date": "2018-03-01"}],
        "commissioner_id": world.users["talent_commissioner"].pk,
    }
    response = _post(client, "/api/v1/talents", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_number_masked"] == "3701**************"
    assert "1988" not in json.dumps(body)
    assert body["children"][0]["school_stage"] == "primary"
    assert body["employer_id"] == world.open_enterprise.pk
    reveal = client.post(f"/api/v1/talents/{body['id']}/reveal?what=phone")
    assert reveal.json() == {"value": "13900000222"}
    assert AuditEvent.objects.filter(action="reveal.phone", object_id=str(body["id"])).exists()

    bad = {**payload, "id_number": "370103198802140028", "children": []}
    response = _post(client, "/api/v1/talents", bad)
    assert response.status_code == 400
    assert "身份证号" in response.json()["detail"]
    future = {**payload, "id_number": "", "children": [{"birth_date": "2999-01-01"}]}
    response = _post(client, "/api/v1/talents", future)
    assert response.status_code == 400
    assert "出生日期" in response.json()["detail"]
    unknown = {**payload, "id_number": "", "employer_code": "91350100M000100Y43"}
    response = _post(client, "/api/v1/talents", unknown)
    assert response.status_code == 400
    assert "没有此统一社会信用代码的企业" in response.json()["detail"]
    outside = {**payload, "id_number": "", "commissioner_id": world.twins["talent_commissioner"].pk}
    response = _post(client, "/api/v1/talents", outside)
    assert response.status_code == 400
    assert "人才专员" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "kind"), [("talent", "talents"), ("enterprise", "enterprises")])
def test_a_public_user_sees_only_its_own_record(world: World, role: str, kind: str) -> None:
    own = {"talents": world.secret_talent, "enterprises": world.secret_enterprise}[kind]
    other = {"talents": world.open_talent, "enterprises": world.open_enterprise}[kind]
    client = login(world.users[role])
    listed = client.get(f"/api/v1/{kind}").json()
    assert [item["id"] for item in listed["items"]] == [own.pk]
    assert client.get(f"/api/v1/{kind}/{own.pk}").status_code == 200
    assert client.get(f"/api/v1/{kind}/{other.pk}").status_code == 404
    twin = login(world.twins[role])
    listed = twin.get(f"/api/v1/{kind}").json()
    assert [item["id"] for item in listed["items"]] == [other.pk]
    response = twin.get(f"/api/v1/{kind}/{own.pk}")
    assert response.status_code == 404
    assert CANARY not in response.content.decode()
    # Neither reads another's record through the other kind, nor writes or reveals anything.
    assert twin.get(f"/api/v1/talents/{world.secret_talent.pk}").status_code == 404
    assert twin.get(f"/api/v1/enterprises/{world.secret_enterprise.pk}").status_code == 404
    response = twin.post(f"/api/v1/talents/{world.secret_talent.pk}/reveal?what=id_number")
    assert response.status_code == 403
    assert SECRET_ID not in response.content.decode()
    response = _post(twin, "/api/v1/enterprises", ENTERPRISE)
    assert response.status_code == 403
    assert Talent.objects.count() == 2
