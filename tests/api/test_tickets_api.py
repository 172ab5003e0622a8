"""The tickets API: intake, the lifecycle through the actions endpoint, optimistic versions,
refusals with a reason, and scoping (a ticket out of sight is 404 and missing from lists)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from gridlight.core.crypto import mask_name
from gridlight.core.models import User
from gridlight.core.services import token_create
from gridlight.tickets.models import Status, Ticket, Transition
from tests.conftest import CANARY, SECRET_PHONE, World

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    """A client with the user's bearer token, in English (the language switch's cookie), so the
    tests can match the messages whatever the Chinese catalogue says."""
    _token, secret = token_create(actor=user, name="test")
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def act(client: Client, ticket_id: int, name: str, **body: Any) -> Any:
    return post(client, f"/api/v1/tickets/{ticket_id}/actions/{name}", body)


def submit(client: Client, world: World, **extra: Any) -> Any:
    body = {
        "category": "school_enrolment",
        "region": world.open_grid.code,
        "title": "孩子入学",
        "description": "需要协调入学",
        **extra,
    }
    return post(client, "/api/v1/tickets", body)


def test_full_lifecycle_through_the_actions_endpoint(world: World) -> None:
    resident = client_for(world.users["resident"])
    admin = client_for(world.users["district_admin"])
    handler = client_for(world.users["department_handler"])

    created = submit(resident, world, requester_phone="13812345678", requester_name="张三丰")
    assert created.status_code == 201, created.content
    data = created.json()
    assert set(data) == {"id", "number", "status", "version"}
    assert data["status"] == "submitted"
    assert data["version"] == 1
    tid = data["id"]

    steps: list[tuple[Client, str, dict[str, Any], str]] = [
        (admin, "accept", {}, "accepted"),
        (admin, "dispatch", {"unit": "education", "note": "请办理"}, "dispatched"),
        (handler, "sign", {}, "signed"),
        (handler, "start", {"note": "开始"}, "in_progress"),
        (handler, "request_extension", {"days": 2, "reason": "需协调"}, "in_progress"),
        (admin, "decide_extension", {"approve": True}, "in_progress"),
        (handler, "handle", {"result": "已协调入学"}, "follow_up"),
        (resident, "rate", {"resolved": True, "satisfaction": "satisfied"}, "closed"),
    ]
    version = 1
    for client, name, body, status in steps:
        response = act(client, tid, name, version=version, **body)
        assert response.status_code == 200, (name, response.content)
        detail = response.json()
        assert detail["status"] == status, name
        assert detail["version"] > version
        version = detail["version"]

    detail = admin.get(f"/api/v1/tickets/{tid}").json()
    assert detail["close_reason"] == "resolved"
    assert detail["extension_days"] == 2
    assert detail["unit"] == "education"
    assert detail["unit_name"]
    assert detail["due_at"]
    assert detail["sign_due"]
    assert detail["supervise_at"]
    assert [t["name"] for t in detail["transitions"]] == [
        "submit",
        "accept",
        "dispatch",
        "sign",
        "start",
        "request_extension",
        "decide_extension",
        "handle",
        "rate",
        "close",
    ]
    assert detail["transitions"][1]["actor"] == str(world.users["district_admin"])
    assert detail["transitions"][2]["reason"] == "请办理"
    # Personal data: the phone never, the name masked (also as the actor of their own steps).
    text = json.dumps(detail, ensure_ascii=False)
    assert "13812345678" not in text
    assert "张三丰" not in text
    assert detail["requester_name"] == "张**"
    assert detail["transitions"][0]["actor"] == mask_name(str(world.users["resident"]))

    # The resident reads the same ticket as the public do: the steps that concern them, what
    # was done, and neither staff names nor internal notes, extensions or supervision dates.
    detail = resident.get(f"/api/v1/tickets/{tid}").json()
    assert detail["close_reason"] == "resolved"
    assert detail["due_at"]
    assert detail["supervise_at"] is None
    assert detail["extension_reason"] is None
    assert detail["return_count"] is None
    assert [t["name"] for t in detail["transitions"]] == [
        "submit",
        "accept",
        "dispatch",
        "sign",
        "start",
        "handle",
        "rate",
        "close",
    ]
    text = json.dumps(detail, ensure_ascii=False)
    assert str(world.users["district_admin"]) not in text
    assert str(world.users["department_handler"]) not in text
    assert "请办理" not in text
    assert "需协调" not in text
    assert "已协调入学" in text
    assert "13812345678" not in text
    assert detail["actions"] == []


def test_detail_lists_the_steps_the_caller_may_take(world: World) -> None:
    admin = client_for(world.users["district_admin"])
    handler = client_for(world.users["department_handler"])
    tid = world.secret_ticket.pk
    assert "sign" in handler.get(f"/api/v1/tickets/{tid}").json()["actions"]
    assert "sign" not in admin.get(f"/api/v1/tickets/{tid}").json()["actions"]


def test_stale_version_is_409(world: World) -> None:
    admin = client_for(world.users["district_admin"])
    t = world.open_ticket
    assert act(admin, t.pk, "accept", version=t.version).status_code == 200
    stale = act(admin, t.pk, "dispatch", version=t.version, unit="ecology")
    assert stale.status_code == 409
    assert stale.json()["detail"]
    assert Ticket.objects.get(pk=t.pk).status == Status.ACCEPTED


def test_illegal_transitions_are_400_with_a_reason(world: World, english: None) -> None:
    admin = client_for(world.users["district_admin"])
    t = world.open_ticket
    never_dispatched = act(admin, t.pk, "close", version=t.version, reason="resolved")
    assert never_dispatched.status_code == 400
    assert "only after it has been handled" in never_dispatched.json()["detail"]
    sign = act(admin, t.pk, "sign", version=t.version)
    assert sign.status_code == 400
    assert sign.json()["detail"] == "You may not do this to this ticket."
    assert Ticket.objects.get(pk=t.pk).version == t.version


def test_rating_twice_is_refused(world: World, english: None) -> None:
    admin = client_for(world.users["district_admin"])
    handler = client_for(world.users["department_handler"])
    tid = world.secret_ticket.pk
    version = world.secret_ticket.version
    steps: list[tuple[Client, str, dict[str, Any]]] = [
        (handler, "sign", {}),
        (handler, "handle", {"result": "done"}),
        (admin, "rate", {"resolved": False, "satisfaction": "unsatisfied"}),
    ]
    for client, name, body in steps:
        response = act(client, tid, name, version=version, **body)
        assert response.status_code == 200, response.content
        version = response.json()["version"]
    again = act(admin, tid, "rate", version=version, resolved=True, satisfaction="satisfied")
    assert again.status_code == 400
    assert again.json()["detail"] == "This ticket has already been rated."


def test_missing_action_fields_and_unknown_names(world: World, english: None) -> None:
    admin = client_for(world.users["district_admin"])
    t = world.open_ticket
    response = act(admin, t.pk, "dispatch", version=t.version)
    assert response.status_code == 400
    assert "unit" in response.json()["detail"]
    unknown = act(admin, t.pk, "explode", version=t.version)
    assert unknown.status_code == 404
    assert unknown["Content-Type"].startswith("application/json")
    assert act(admin, t.pk, "dispatch", version=t.version, unit="nope").status_code == 400
    assert post(admin, f"/api/v1/tickets/{t.pk}/actions/accept", {}).status_code == 422


def test_out_of_scope_twin_gets_404_and_an_empty_list(world: World) -> None:
    tid = world.secret_ticket.pk
    for role in ("district_admin", "street_staff", "department_handler", "resident"):
        twin = client_for(world.twins[role])
        assert twin.get(f"/api/v1/tickets/{tid}").status_code == 404, role
        listed = twin.get("/api/v1/tickets?limit=100").json()
        assert tid not in [t["id"] for t in listed["items"]], role
        response = act(twin, tid, "withdraw", version=world.secret_ticket.version)
        assert response.status_code == 404, role
    assert Ticket.objects.get(pk=tid).status == Status.DISPATCHED


def test_in_scope_users_see_it_and_the_list_masks_personal_data(world: World) -> None:
    tid = world.secret_ticket.pk
    for role in ("district_admin", "department_handler", "resident", "street_staff"):
        listed = client_for(world.users[role]).get("/api/v1/tickets?limit=100")
        assert listed.status_code == 200
        items = listed.json()["items"]
        (row,) = [t for t in items if t["id"] == tid]
        assert row["requester_name"] == mask_name(str(world.users["resident"])), role
        assert "requester_phone" not in json.dumps(items)
        assert SECRET_PHONE not in listed.content.decode()
    # A grid worker of the open grid sees only the open ticket.
    twin = client_for(world.twins["grid_worker"]).get("/api/v1/tickets").json()
    assert [t["id"] for t in twin["items"]] == [world.open_ticket.pk]
    assert CANARY not in json.dumps(twin, ensure_ascii=False)


def test_list_filters(world: World) -> None:
    admin = client_for(world.users["district_admin"])

    def ids(query: str) -> set[int]:
        response = admin.get(f"/api/v1/tickets?{query}")
        assert response.status_code == 200, response.content
        return {t["id"] for t in response.json()["items"]}

    secret, open_ = world.secret_ticket.pk, world.open_ticket.pk
    assert ids("") == {secret, open_}
    assert ids("status=dispatched") == {secret}
    assert ids("category=noise") == {open_}
    assert ids("category=talent_service") == {secret}
    assert ids("unit=education") == {secret}
    assert ids("talent=true") == {secret}
    assert ids("talent=false") == {open_}
    assert ids("q=噪音") == {open_}
    assert ids("card=red") == set()
    assert admin.get("/api/v1/tickets?status=lost").status_code == 422


def test_submit_checks_category_region_and_scope(world: World, english: None) -> None:
    resident = client_for(world.users["resident"])
    assert submit(resident, world, category="nope").status_code == 400
    group = submit(resident, world, category="welfare")
    assert group.status_code == 400
    assert "specific" in group.json()["detail"]
    assert submit(resident, world, region="nowhere").status_code == 400
    assert submit(resident, world, requester_phone="12").status_code == 400
    # Staff raise tickets only in their own scope.
    worker_twin = client_for(world.twins["grid_worker"])
    assert submit(worker_twin, world, region=world.secret_grid.code).status_code == 400
    ok = submit(worker_twin, world, category="noise", source="grid")
    assert ok.status_code == 201
    assert Ticket.objects.get(pk=ok.json()["id"]).source == "grid"
    # Evaluators hold no ticket permission at all.
    assert submit(client_for(world.users["evaluator"]), world).status_code == 403
    assert Transition.objects.filter(ticket_id=ok.json()["id"], name="submit").exists()


def test_anonymous_is_401(world: World) -> None:
    client = Client()
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.get(f"/api/v1/tickets/{world.secret_ticket.pk}").status_code == 401


def test_categories_tree_with_policies(world: World) -> None:
    data = client_for(world.users["resident"]).get("/api/v1/tickets/categories").json()
    talent = next(g for g in data if g["code"] == "talent_service")
    codes = [c["code"] for c in talent["children"]]
    assert "school_enrolment" in codes
    assert talent["children"][0]["policy"]["handle_days"] == 5


def test_a_retried_submission_with_the_same_idempotency_key_is_stored_once(world: World) -> None:
    resident = client_for(world.users["resident"])
    before = Ticket.objects.count()
    body = json.dumps(
        {
            "category": "noise",
            "region": world.open_grid.code,
            "title": "夜间施工",
            "description": "凌晨施工噪音",
        }
    )
    first = resident.post(
        "/api/v1/tickets", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = resident.post(
        "/api/v1/tickets", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    other = resident.post(
        "/api/v1/tickets", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert first.status_code == again.status_code == other.status_code == 201
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    assert Ticket.objects.count() == before + 2
    # Another user's key of the same value is their own.
    talent = client_for(world.users["talent"])
    third = talent.post(
        "/api/v1/tickets", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert third.json()["id"] != first.json()["id"]


def test_the_same_idempotency_key_for_a_different_ticket_is_422(
    world: World, english: None
) -> None:
    resident = client_for(world.users["resident"])
    body = {"category": "noise", "region": world.open_grid.code, "description": "凌晨施工噪音"}
    first = resident.post(
        "/api/v1/tickets",
        json.dumps({**body, "title": "夜间施工"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-9",
    )
    assert first.status_code == 201
    changed = resident.post(
        "/api/v1/tickets",
        json.dumps({**body, "title": "白天施工"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-9",
    )
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()["detail"]
    assert not Ticket.objects.filter(title="白天施工").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/tickets?offset=99999999999999999999",
        "/api/v1/tickets?limit=99999999999999999999",
        "/api/v1/tickets/99999999999999999999",
        "/api/v1/regions?offset=99999999999999999999",
        "/api/v1/households?offset=99999999999999999999",
        "/api/v1/tickets?q=%00",
    ],
)
def test_numbers_beyond_the_database_and_nul_characters_are_4xx(world: World, url: str) -> None:
    response = client_for(world.users["district_admin"]).get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    assert response.json()["detail"]


def test_a_nul_character_in_json_is_refused_before_anything_is_stored(
    world: World, english: None
) -> None:
    before = Ticket.objects.count()
    response = submit(client_for(world.users["resident"]), world, title="孩子\u0000入学")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert Ticket.objects.count() == before
    # The same text without it goes through.
    assert submit(client_for(world.users["resident"]), world, title="孩子入学").status_code == 201


def test_an_overlong_idempotency_key_is_refused_not_cut(world: World, english: None) -> None:
    response = client_for(world.users["resident"]).post(
        "/api/v1/tickets",
        json.dumps(
            {"category": "noise", "region": world.open_grid.code, "title": "t", "description": "d"}
        ),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k" * 65,
    )
    assert response.status_code == 400
    assert "at most 64" in response.json()["detail"]


def test_a_nul_character_is_refused_whatever_the_declared_type(world: World) -> None:
    body = {"category": "noise", "region": world.open_grid.code, "description": "d"}
    client = client_for(world.users["resident"])
    for content_type in ("text/plain", "application/octet-stream"):
        response = client.post(
            "/api/v1/tickets", json.dumps({**body, "title": "a\u0000b"}), content_type=content_type
        )
        assert response.status_code == 400, content_type
    # A backslash followed by u0000 is text, not a NUL character.
    ok = post(client, "/api/v1/tickets", {**body, "title": "路径 C:\\u0000"})
    assert ok.status_code == 201
    assert Ticket.objects.get(pk=ok.json()["id"]).title == "路径 C:\\u0000"
