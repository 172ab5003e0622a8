"""Saying where a problem is: picked from the region tree (community, then grid), the browser's
location, or an address alone. The service decides, so the page, the API and Open311 agree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridlight.core.models import Region
from gridlight.core.services import token_create
from gridlight.tickets.models import Ticket
from tests.conftest import World, login
from tests.factories import PositionFactory, RegionFactory

ADDRESS = "济南市公开街道公开社区幸福路8号"  # names the open street and its community


def _page(world: World, **fields: Any) -> Any:
    data = {"category": "noise", "title": "夜间噪音", "description": "楼下施工到凌晨", **fields}
    return login(world.users["resident"]).post(reverse("tickets:new"), data)


def _api(world: World, **fields: Any) -> Any:
    body = {"category": "noise", "title": "夜间噪音", "description": "楼下施工", **fields}
    return login(world.users["resident"]).post(
        "/api/v1/tickets", body, content_type="application/json"
    )


def _open311(world: World, **fields: Any) -> Any:
    key = token_create(actor=world.users["resident"], name="open311")[1]
    return Client().post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "noise", "description": "楼下施工", **fields},
    )


def _latest() -> Ticket:
    ticket = Ticket.objects.order_by("-id").first()
    assert ticket is not None
    return ticket


def test_resident_picks_a_grid_of_the_chosen_community(world: World) -> None:
    response = _page(world, region=world.open_community.code, grid=world.open_grid.code)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _latest().region == world.open_grid


def test_a_grid_of_another_community_is_refused(world: World) -> None:
    before = Ticket.objects.count()
    response = _page(world, region=world.open_community.code, grid=world.secret_grid.code)
    assert response.status_code == 400
    assert Ticket.objects.count() == before


def test_grid_select_lists_the_communitys_grids(world: World) -> None:
    second = RegionFactory(parent=world.open_community, kind="grid", code="90000100200102")
    body = (
        login(world.users["resident"])
        .get(reverse("tickets:grid_options"), {"region": world.open_community.code})
        .content.decode()
    )
    assert world.open_grid.code in body
    assert second.code in body
    assert world.secret_grid.code not in body


def test_an_address_alone_places_the_ticket_the_same_everywhere(world: World) -> None:
    assert _page(world, address=ADDRESS).status_code == 302
    page = _latest()
    assert _api(world, address=ADDRESS).status_code == 201
    api = _latest()
    assert _open311(world, address_string=ADDRESS).status_code == 201
    open311 = _latest()
    assert page.region == api.region == open311.region == world.open_community
    assert page.address == api.address == open311.address == ADDRESS


def test_a_place_nobody_can_find_is_refused_alike(world: World) -> None:
    before = Ticket.objects.count()
    page = _page(world, address="某处")
    api = _api(world, address="某处")
    open311 = _open311(world, address_string="某处")
    assert (page.status_code, api.status_code, open311.status_code) == (400, 400, 400)
    reason = "请说明问题所在位置"  # the same refusal, in Chinese first, from the service
    assert reason in page.content.decode()
    assert reason in api.json()["detail"]
    assert reason in open311.json()[0]["description"]
    assert Ticket.objects.count() == before


def test_my_location_places_the_ticket_in_the_nearest_grid(world: World) -> None:
    PositionFactory(
        region=world.open_grid,
        kind="grid_station",
        latitude=Decimal("36.700000"),
        longitude=Decimal("117.100000"),
    )
    response = _page(world, latitude="36.7010", longitude="117.1005")
    assert response.status_code == 302
    ticket = _latest()
    assert ticket.region == world.open_grid
    assert ticket.latitude == pytest.approx(36.701)


def test_form_offers_my_location_and_asks_no_raw_coordinates(world: World) -> None:
    body = login(world.users["resident"]).get(reverse("tickets:new")).content.decode()
    assert "data-locate-button" in body
    assert "gridlight/locate.js" in body
    assert 'type="hidden" name="latitude"' in body
    assert 'name="grid"' in body
    assert "//cdn" not in body
    assert "https://" not in body.split("<body")[1]


def test_staff_address_is_matched_only_within_their_scope(world: World) -> None:
    worker = login(world.twins["grid_worker"])  # scope: the open grid only
    data = {
        "category": "noise",
        "title": "噪音",
        "description": "施工",
        "address": f"{world.secret_community.name}某路",
    }
    assert worker.post(reverse("tickets:new"), data).status_code in (400, 403)
    assert not Ticket.objects.filter(region=Region.objects.get(pk=world.secret_community.pk))
