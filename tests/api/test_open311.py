"""Open311 GeoReport v2: the service catalogue, posting and reading requests with an api_key,
scoping, locating a report by the nearest grid station, and errors in the spec's format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from gridlight.core.models import ServicePosition, User
from gridlight.core.services import token_create
from gridlight.tickets.models import Category, Source, Ticket
from tests.conftest import CANARY, SECRET_PHONE, World
from tests.factories import PositionFactory

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def english() -> Client:
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def key(user: User) -> str:
    return token_create(actor=user, name="open311")[1]


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own answer


def errors(response: Any, status: int) -> list[dict[str, Any]]:
    """The spec's error list, checked for shape and code; JSON or XML by the response."""
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("application/json"):
        data: list[dict[str, Any]] = response.json()
    else:
        root = xml(response)
        assert root.tag == "errors"
        data = [
            {"code": int(e.findtext("code") or 0), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
    assert data
    assert all(set(e) == {"code", "description"} for e in data)
    assert all(e["code"] == status and e["description"] for e in data)
    return data


# --- services ---------------------------------------------------------------------------------


def test_service_list_json(world: World) -> None:
    response = english().get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = response.json()
    codes = {s["service_code"] for s in services}
    assert {"noise", "school_enrolment", "street_light"} <= codes
    assert "welfare" not in codes  # a group, not a service
    noise = next(s for s in services if s["service_code"] == "noise")
    assert set(noise) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert noise["service_name"] == "Noise"
    assert noise["group"] == "Environment"
    assert noise["metadata"] is True  # its definition lists the region attribute
    assert noise["type"] == "realtime"


def test_service_list_leaves_out_inactive_and_non_public_categories(world: World) -> None:
    Category.objects.filter(code="noise").update(public=False)
    Category.objects.filter(code="fumes").update(active=False)
    codes = {s["service_code"] for s in Client().get(f"{BASE}/services.json").json()}
    assert "noise" not in codes
    assert "fumes" not in codes
    assert "lift" in codes


def test_service_list_xml_in_chinese_by_default(world: World) -> None:
    root = xml(Client().get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    noise = next(s for s in root.findall("service") if s.findtext("service_code") == "noise")
    assert noise.findtext("service_name") == "噪音扰民"
    assert noise.findtext("group") == "生态环境"
    assert noise.findtext("metadata") == "true"
    assert noise.findtext("type") == "realtime"


def test_service_definition_json_and_xml(world: World) -> None:
    data = english().get(f"{BASE}/services/noise.json").json()
    assert data["service_code"] == "noise"
    (attribute,) = data["attributes"]
    assert attribute["code"] == "region"
    assert attribute["required"] is False
    assert set(attribute) >= {"variable", "code", "datatype", "required", "order", "description"}
    root = xml(english().get(f"{BASE}/services/noise.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "noise"
    assert root.find("attributes/attribute/code") is not None
    assert root.findtext("attributes/attribute/datatype") == "string"


def test_unknown_service_and_format_errors(world: World) -> None:
    errors(english().get(f"{BASE}/services/nope.json"), 404)
    errors(english().get(f"{BASE}/services/nope.xml"), 404)
    (e,) = errors(english().get(f"{BASE}/services.csv"), 400)
    assert "xml or json" in e["description"]
    errors(english().get(f"{BASE}/requests/1.yaml"), 400)
    errors(english().delete(f"{BASE}/services.json"), 405)


def test_discovery(world: World) -> None:
    data = Client().get(f"{BASE}/discovery.json").json()
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    root = xml(Client().get(f"{BASE}/discovery.xml"))
    assert root.findtext("endpoints/endpoint/formats/format") == "text/xml"


# --- posting requests -------------------------------------------------------------------------


def _post(fmt: str = "json", **fields: Any) -> Any:
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.post(f"{BASE}/requests.{fmt}", fields)


def test_resident_posts_with_a_region_attribute(world: World) -> None:
    resident = world.users["resident"]
    response = _post(
        api_key=key(resident),
        service_code="noise",
        description="楼下夜间施工噪音\n每天到凌晨",
        address_string="公开路1号",
        first_name="三",
        last_name="张",
        phone="13812345678",
        email="someone@example.com",
        **{"attribute[region]": world.open_grid.code},
    )
    assert response.status_code == 201, response.content
    (created,) = response.json()
    ticket = Ticket.objects.get(pk=int(created["service_request_id"]))
    assert ticket.number in created["service_notice"]
    assert ticket.requester == resident
    assert ticket.source == Source.RESIDENT
    assert ticket.region == world.open_grid
    assert ticket.title == "楼下夜间施工噪音"
    assert ticket.requester_name == "张三"
    assert ticket.requester_phone_enc
    assert "13812345678" not in ticket.requester_phone_enc
    assert ticket.address == "公开路1号"


def test_staff_post_located_by_the_nearest_grid_station_in_xml(world: World) -> None:
    PositionFactory(
        region=world.open_grid,
        kind="grid_station",
        latitude=Decimal("36.700000"),
        longitude=Decimal("117.100000"),
    )
    worker = world.twins["grid_worker"]  # scope: the open grid
    response = _post(
        "xml",
        api_key=key(worker),
        service_code="street_light",
        description="路灯不亮",
        lat="36.7050",
        long="117.1010",
        media_url="https://example.com/photo.jpg",
    )
    assert response.status_code == 201, response.content
    root = xml(response)
    assert root.tag == "service_requests"
    pk = int(root.findtext("request/service_request_id") or 0)
    ticket = Ticket.objects.get(pk=pk)
    assert ticket.region == world.open_grid
    assert ticket.source == Source.OPEN311
    assert ticket.requester is None
    assert ticket.latitude == pytest.approx(36.705)
    assert "https://example.com/photo.jpg" in ticket.description


def test_post_without_a_usable_location_is_refused(world: World) -> None:
    api_key = key(world.users["resident"])
    (e,) = errors(
        _post(api_key=api_key, service_code="noise", description="x", lat="10", long="10"), 400
    )
    assert "location" in e["description"]
    errors(_post(api_key=api_key, service_code="noise", description="x"), 400)
    errors(_post(api_key=api_key, service_code="noise", description="x", lat="north"), 400)
    assert not Ticket.objects.filter(description="x").exists()


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "nope"}, 400, "service_code not found"),
        ({"service_code": "welfare"}, 400, "service_code not found"),
        ({"description": ""}, 400, "description"),
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "glt_forged"}, 403, "api_key"),
        ({"phone": "12"}, 400, "mobile"),
    ],
)
def test_post_errors(world: World, fields: dict[str, str], status: int, words: str) -> None:
    body = {
        "api_key": key(world.users["resident"]),
        "service_code": "noise",
        "description": "噪音",
        "attribute[region]": world.open_grid.code,
        **fields,
    }
    for fmt in ("json", "xml"):
        (e,) = errors(_post(fmt, **body), status)
        assert words in e["description"]
    assert Ticket.objects.count() == 2


def test_staff_without_ticket_create_and_out_of_scope_staff_are_refused(world: World) -> None:
    body = {"service_code": "noise", "description": "噪音", "attribute[region]": ""}
    evaluator = key(world.users["evaluator"])
    errors(_post(api_key=evaluator, **{**body, "attribute[region]": world.open_grid.code}), 403)
    worker_twin = key(world.twins["grid_worker"])
    errors(_post(api_key=worker_twin, **{**body, "attribute[region]": world.secret_grid.code}), 400)
    assert Ticket.objects.count() == 2


# --- reading requests -------------------------------------------------------------------------


def _get(path: str, user: User | None, **params: str) -> Any:
    if user is not None:
        params["api_key"] = key(user)
    return english().get(f"{BASE}/{path}", params)


def test_a_wrong_api_key_is_refused_even_where_anonymous_reads_are_allowed(world: World) -> None:
    errors(_get("requests.xml", None, api_key="glt_forged"), 403)
    errors(_get("requests.json", None, api_key=""), 403)
    errors(_get(f"requests/{world.open_ticket.pk}.json", None, api_key="glt_forged"), 403)


def test_without_public_reads_every_read_needs_an_api_key(world: World, settings: Any) -> None:
    settings.OPEN311_PUBLIC_READS = False
    (e,) = errors(_get("requests.json", None), 403)
    assert "api_key" in e["description"]
    errors(_get("requests.xml", None), 403)
    errors(_get(f"requests/{world.open_ticket.pk}.json", None), 403)
    errors(_get(f"requests/{world.open_ticket.pk}.xml", None), 403)
    # The pages' session does not authenticate Open311.
    client = Client()
    client.force_login(world.users["district_admin"])
    assert client.get(f"{BASE}/requests.json").status_code == 403
    # The catalogue stays public, and keys read as before.
    assert _get("services.json", None).status_code == 200
    assert _get("requests.json", world.users["district_admin"]).status_code == 200


def _located_noise_ticket(world: World) -> Ticket:
    """A public-service request with everything the public view must leave out: a precise
    point, a street address, a name, a description and a status note."""
    from gridlight.tickets import services as ticket_services

    for lat, lon in (
        (Decimal("36.6400"), Decimal("116.9900")),
        (Decimal("36.6500"), Decimal("117.0100")),
    ):
        PositionFactory(region=world.open_grid, kind="grid_station", latitude=lat, longitude=lon)
    ticket = ticket_services.submit(
        actor=world.users["resident"],
        intake=ticket_services.Intake(
            category=Category.objects.get(code="noise"),
            region=world.open_grid,
            title="三号楼噪音",
            description="王小明家每晚装修",
            address="公开路88号3单元",
            latitude=36.641234,
            longitude=116.987654,
            requester_name="李四",
            requester_phone="13812345678",
        ),
    )
    return ticket_services.reject(
        actor=world.users["district_admin"],
        ticket=ticket,
        version=ticket.version,
        reason="与李四电话核实不属实",
    )


def test_anonymous_reads_get_a_redacted_public_view(world: World) -> None:
    t = _located_noise_ticket(world)
    response = _get("requests.json", None)
    assert response.status_code == 200, response.content
    rows = {r["service_request_id"]: r for r in response.json()}
    r = rows[str(t.pk)]
    assert r["service_code"] == "noise"
    assert r["status"] == "closed"
    assert r["requested_datetime"].endswith("+08:00")
    assert r["description"] == ""
    assert r["status_notes"] == ""
    assert r["address"] == "公开街道 公开社区"
    # The community's centroid (mean of its grid stations), never the reported point.
    stations = ServicePosition.objects.filter(
        kind="grid_station", region_path__startswith=world.open_community.path
    )
    assert stations.count() == 3
    lat = sum(float(p.latitude) for p in stations) / 3
    lon = sum(float(p.longitude) for p in stations) / 3
    assert (r["lat"], r["long"]) == (round(lat, 4), round(lon, 4))
    body = response.content.decode()
    for private in (
        "王小明",
        "李四",
        "公开路88号",
        "三号楼",
        "不属实",
        "36.641234",
        "116.987654",
        "13812345678",
        "公开网格",
    ):
        assert private not in body, private
    # One request, in XML too: the same redaction.
    detail = _get(f"requests/{t.pk}.xml", None)
    root = xml(detail)
    assert root.findtext("request/service_request_id") == str(t.pk)
    assert root.findtext("request/description") == ""
    assert root.findtext("request/address") == "公开街道 公开社区"
    text = detail.content.decode()
    assert not any(p in text for p in ("王小明", "李四", "公开路88号", "36.641234"))


def test_anonymous_reads_leave_out_talent_services(world: World) -> None:
    secret = world.secret_ticket  # a talent's school enrolment request
    listed = {r["service_request_id"] for r in _get("requests.json", None).json()}
    assert str(world.open_ticket.pk) in listed
    assert str(secret.pk) not in listed
    errors(_get(f"requests/{secret.pk}.json", None), 404)
    assert _get("requests.json", None, service_request_id=str(secret.pk)).json() == []
    assert CANARY not in _get("requests.xml", None).content.decode()


def test_api_key_reads_keep_the_full_request(world: World) -> None:
    t = _located_noise_ticket(world)
    (r,) = _get(f"requests/{t.pk}.json", world.users["district_admin"]).json()
    assert r["description"] == "王小明家每晚装修"
    assert r["address"] == "公开路88号3单元"
    assert (r["lat"], r["long"]) == (36.641234, 116.987654)
    assert r["status_notes"] == "与李四电话核实不属实"


def test_requests_are_scoped(world: World) -> None:
    secret, open_ = world.secret_ticket.pk, world.open_ticket.pk

    def ids(user: User, **params: str) -> set[int]:
        response = _get("requests.json", user, **params)
        assert response.status_code == 200, response.content
        return {int(r["service_request_id"]) for r in response.json()}

    assert ids(world.users["district_admin"]) == {secret, open_}
    assert ids(world.users["resident"]) == {secret}  # they raised it
    assert ids(world.twins["resident"]) == set()
    assert ids(world.twins["street_staff"]) == {open_}
    assert ids(world.users["department_handler"]) == {secret}
    response = _get("requests.json", world.twins["street_staff"])
    assert CANARY not in response.content.decode()
    assert errors(_get(f"requests/{secret}.json", world.twins["street_staff"]), 404)
    assert errors(_get(f"requests/{secret}.xml", world.twins["resident"]), 404)


def test_request_filters(world: World) -> None:
    admin = world.users["district_admin"]
    secret, open_ = world.secret_ticket.pk, world.open_ticket.pk

    def ids(**params: str) -> set[int]:
        response = _get("requests.json", admin, **params)
        assert response.status_code == 200, response.content
        return {int(r["service_request_id"]) for r in response.json()}

    assert ids(service_code="noise") == {open_}
    assert ids(service_code="noise,school_enrolment") == {secret, open_}
    assert ids(status="open") == {secret, open_}
    assert ids(status="closed") == set()
    assert ids(status="open,closed") == {secret, open_}
    assert ids(service_request_id=f"{secret}", service_code="noise") == {secret}
    assert ids(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == set()
    errors(_get("requests.json", admin, status="pending"), 400)
    errors(_get("requests.json", admin, start_date="yesterday"), 400)
    errors(_get("requests.json", admin, start_date="2026-01-01", end_date="2026-06-01"), 400)


def test_request_shape_json_and_xml(world: World) -> None:
    admin = world.users["district_admin"]
    t = world.secret_ticket
    (r,) = _get(f"requests/{t.pk}.json", admin).json()
    assert r["service_request_id"] == str(t.pk)
    assert r["status"] == "open"
    assert r["service_code"] == "school_enrolment"
    assert r["agency_responsible"] == world.units["education"].name
    assert r["requested_datetime"].endswith("+08:00")
    assert r["expected_datetime"]
    assert r["expected_datetime"].endswith("+08:00")
    assert {"lat", "long", "address", "updated_datetime", "status_notes", "media_url"} <= set(r)
    body = json.dumps(r, ensure_ascii=False)
    assert SECRET_PHONE not in body
    root = xml(_get(f"requests/{t.pk}.xml", admin))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == str(t.pk)
    assert root.findtext("request/status") == "open"


def test_status_notes_and_closed_status(world: World) -> None:
    from gridlight.tickets import services

    admin = world.users["district_admin"]
    t = services.reject(
        actor=admin, ticket=world.open_ticket, version=world.open_ticket.version, reason="不属实"
    )
    (r,) = _get(f"requests/{t.pk}.json", admin).json()
    assert r["status"] == "closed"
    assert r["status_notes"] == "不属实"


def test_tokens_are_ticket_numbers(world: World) -> None:
    t = world.secret_ticket
    (r,) = _get(f"tokens/{t.number}.json", world.users["resident"]).json()
    assert r == {"service_request_id": str(t.pk), "token": t.number}
    errors(_get(f"tokens/{t.number}.json", world.twins["resident"]), 404)
    errors(_get("tokens/nonsense.xml", world.users["resident"]), 404)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("requests/%C2%B2.json", 404),  # "²".isdigit() is true and int("²") fails
        ("requests/99999999999999999999.json", 404),
        ("requests.json?service_request_id=%C2%B2", 200),
        ("requests.json?service_request_id=99999999999999999999,1", 200),
        ("tokens/20260101-%C2%B2.json", 404),
        ("requests.json?start_date=2026-02-30", 400),
        ("requests.json?start_date=2026-13-01T00:00:00", 400),
        ("requests.json?end_date=0001-01-01", 400),
        ("requests.json?start_date=9999-12-31", 400),
        ("requests", 404),  # no extension: not a resource of the spec
        ("nothing/here.json", 404),
    ],
)
def test_odd_input_gets_the_spec_answer_never_a_500(world: World, query: str, status: int) -> None:
    api_key = key(world.users["district_admin"])
    sep = "&" if "?" in query else "?"
    response = english().get(f"{BASE}/{query}{sep}api_key={api_key}")
    assert response.status_code == status, (query, response.content[:200])
    if status != 200:
        errors(response, status)  # the spec's list, in JSON or XML as asked (XML by default)


def test_a_nul_character_in_a_posted_request_is_refused(world: World) -> None:
    before = Ticket.objects.count()
    (e,) = errors(
        _post(
            api_key=key(world.users["resident"]),
            service_code="noise",
            description="噪音\x00扰民",
            **{"attribute[region]": world.open_grid.code},
        ),
        400,
    )
    assert "NUL" in e["description"]
    assert Ticket.objects.count() == before
