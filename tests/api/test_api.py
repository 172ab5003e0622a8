"""The JSON API: token auth, scoping like the pages, JSON errors, and the OpenAPI docs."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gridlight.core.demo.build import build_demo
from gridlight.core.models import ApiToken, AuditEvent, Region, ServicePosition, User
from gridlight.core.services import token_create
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def bearer(user: User) -> dict[str, str]:
    _token, secret = token_create(actor=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_district_admin_lists_the_17_streets() -> None:
    build_demo()
    admin = User.objects.get(username="admin")
    response = Client().get("/api/v1/regions?level=street&limit=100", **bearer(admin))
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 17
    assert {r["name"] for r in data["items"]} >= {"二七街道", "杆石桥街道", "陡沟街道"}
    assert all(r["level"] == "street" for r in data["items"])


def test_street_staff_token_sees_only_its_street(world: World) -> None:
    client = Client()
    data = client.get("/api/v1/regions?level=street", **bearer(world.users["street_staff"])).json()
    assert [r["code"] for r in data["items"]] == [world.secret_street.code]
    data = client.get("/api/v1/positions", **bearer(world.twins["street_staff"])).json()
    assert {p["code"] for p in data["items"]} == {"OPEN-GS"}


def test_region_detail_and_children_carry_counts(world: World) -> None:
    client = login(world.users["district_admin"])
    detail = client.get(f"/api/v1/regions/{world.district.pk}").json()
    assert detail["counts"]["streets"] == 2
    assert detail["counts"]["grids"] == 2
    children = client.get(f"/api/v1/regions/{world.district.pk}/children").json()
    secret = next(c for c in children if c["code"] == world.secret_street.code)
    assert secret["counts"]["positions"] == {"party_mass_centre": 1, "grid_station": 1}


def test_revoked_and_expired_tokens_are_refused(world: World) -> None:
    headers = bearer(world.users["evaluator"])
    client = Client()
    assert client.get("/api/v1/me", **headers).status_code == 200
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    response = client.get("/api/v1/me", **headers)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_position_create_update_conflict_and_delete(world: World) -> None:
    headers = bearer(world.users["community_secretary"])
    client = Client()
    body = {
        "region_code": world.secret_grid.code,
        "kind": "warm_heart_station",
        "code": "API-WH",
        "name": "接口驿站",
        "longitude": "116.98",
        "latitude": "36.62",
        "services": ["饮水"],
    }
    created = client.post(
        "/api/v1/positions", json.dumps(body), content_type="application/json", **headers
    )
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    update = {**body, "name": "接口驿站二", "version": 1}
    ok = client.put(
        f"/api/v1/positions/{pid}", json.dumps(update), content_type="application/json", **headers
    )
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = client.put(
        f"/api/v1/positions/{pid}",
        json.dumps({**update, "name": "覆盖"}),
        content_type="application/json",
        **headers,
    )
    assert stale.status_code == 409
    assert stale.json()["detail"]
    assert ServicePosition.objects.get(pk=pid).name == "接口驿站二"
    assert client.delete(f"/api/v1/positions/{pid}", **headers).status_code == 204
    actions = set(AuditEvent.objects.filter(object_id=str(pid)).values_list("action", flat=True))
    assert actions == {"position.create", "position.update", "position.delete"}


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("get", "/api/v1/regions?level=planet", None, 422),
        ("get", "/api/v1/regions/notanumber", None, 422),
        ("get", "/api/v1/regions/999999", None, 404),
        ("post", "/api/v1/positions", "{not json", 400),
        ("post", "/api/v1/positions", json.dumps({"code": "x"}), 422),
        (
            "post",
            "/api/v1/regions",
            json.dumps({"parent_id": 1, "kind": "grid", "code": "", "name": "x"}),
            422,
        ),
    ],
)
def test_bad_requests_get_a_json_4xx(
    world: World, method: str, url: str, body: str | None, status: int
) -> None:
    client = login(world.users["district_admin"])
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")


def test_domain_errors_are_400_with_a_reason(world: World) -> None:
    client = login(world.users["district_admin"])
    body = {"parent_id": world.open_street.pk, "kind": "grid", "code": "X", "name": "错层"}
    response = client.post("/api/v1/regions", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Region.objects.filter(code="X").exists()


def test_session_writes_need_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["district_admin"])
    response = client.delete(f"/api/v1/positions/{world.secret_positions[0].pk}")
    assert response.status_code in {401, 403}
    assert ServicePosition.objects.filter(pk=world.secret_positions[0].pk).exists()


def test_openapi_schema_and_docs_are_served() -> None:
    client = Client()
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/regions" in schema["paths"]
    assert client.get("/api/docs").status_code == 200
