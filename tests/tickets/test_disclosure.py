"""The public (residents, talents, enterprises) see their tickets as an answer to them: no staff
names, internal notes, cards, supervision, staff filters or export — on the pages, through the
API and through Open311 alike; staff in scope still see all of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridlight.core.services import token_create
from gridlight.tickets import services
from gridlight.tickets.models import Category, Ticket
from tests.conftest import World, login

DISPATCH_NOTE = "内部派单备注甲"
START_NOTE = "内部开工备注乙"
EXTENSION_REASON = "内部延期理由丙"
RESULT = "路灯已修复"
DISPATCHER = "派单员赵甲"
HANDLER = "承办人钱乙"


@pytest.fixture
def handled(world: World) -> Ticket:
    """A resident's ticket taken through dispatch (with a note), signing, an approved extension
    and handling, then carded and put under supervision by the sweep."""
    admin, handler = world.users["district_admin"], world.users["department_handler"]
    admin.display_name, handler.display_name = DISPATCHER, HANDLER
    admin.save(update_fields=["display_name"])
    handler.save(update_fields=["display_name"])
    t = services.submit(
        actor=world.users["resident"],
        intake=services.Intake(
            category=Category.objects.get(code="school_enrolment"),
            region=world.open_grid,
            title="路灯不亮",
            description="小区门口路灯坏了",
        ),
    )
    t = services.dispatch(
        actor=admin, ticket=t, version=t.version, unit=world.units["education"], note=DISPATCH_NOTE
    )
    t = services.sign(actor=handler, ticket=t, version=t.version)
    t = services.start(actor=handler, ticket=t, version=t.version, note=START_NOTE)
    t = services.request_extension(
        actor=handler, ticket=t, version=t.version, days=2, reason=EXTENSION_REASON
    )
    t = services.decide_extension(actor=admin, ticket=t, version=t.version, approve=True)
    Ticket.objects.filter(pk=t.pk).update(card="red", supervised=True)
    t.refresh_from_db()
    return services.handle(actor=handler, ticket=t, version=t.version, result=RESULT)


INTERNAL = (DISPATCHER, HANDLER, DISPATCH_NOTE, START_NOTE, EXTENSION_REASON)


def _page(client: Client, ticket: Ticket) -> str:
    response = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_resident_sees_their_ticket_without_staff_names_or_internal_notes(
    world: World, handled: Ticket
) -> None:
    page = _page(login(world.users["resident"]), handled)
    assert RESULT in page  # what was done is the answer to them
    assert world.units["education"].name in page  # which unit acts is public
    for text in INTERNAL:
        assert text not in page, text
    assert 'data-step="request_extension"' not in page
    assert 'data-step="decide_extension"' not in page
    assert 'data-step="dispatch"' in page
    assert "text-bg-danger" not in page  # no red card
    assert "text-bg-dark" not in page  # no supervision badge


def test_staff_see_names_notes_cards_and_every_step(world: World, handled: Ticket) -> None:
    page = _page(login(world.users["district_admin"]), handled)
    for text in INTERNAL:
        assert text in page, text
    assert 'data-step="request_extension"' in page
    assert "text-bg-danger" in page
    assert "text-bg-dark" in page


def test_resident_list_has_no_staff_filters_nor_export(world: World, handled: Ticket) -> None:
    resident = login(world.users["resident"])
    page = resident.get(reverse("tickets:list")).content.decode()
    assert "路灯不亮" in page
    for name in ("card", "category", "talent"):
        assert f'name="{name}"' not in page, name
    assert 'name="q"' in page
    assert 'name="status"' in page
    assert reverse("tickets:export") not in page
    assert "text-bg-danger" not in page
    export = resident.get(reverse("tickets:export"))
    assert export.status_code == 403
    assert export["Content-Type"].startswith("text/html")
    # A staff filter typed into the address is not applied: their ticket stays listed.
    filtered = resident.get(reverse("tickets:list") + "?card=yellow").content.decode()
    assert "路灯不亮" in filtered


def test_staff_list_keeps_filters_and_export(world: World, handled: Ticket) -> None:
    admin = login(world.users["district_admin"])
    page = admin.get(reverse("tickets:list")).content.decode()
    for name in ("card", "category", "talent", "q", "status"):
        assert f'name="{name}"' in page, name
    assert reverse("tickets:export") in page
    assert admin.get(reverse("tickets:export")).status_code == 200


def _api(client: Client, ticket: Ticket) -> dict[str, Any]:
    response = client.get(f"/api/v1/tickets/{ticket.pk}")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def test_api_shows_the_public_what_the_page_shows_them(world: World, handled: Ticket) -> None:
    resident = login(world.users["resident"])
    detail = _api(resident, handled)
    text = str(detail)
    for value in INTERNAL:
        assert value not in text, value
    assert RESULT in text
    assert detail["card"] is None
    assert detail["supervised"] is None
    assert detail["extension_requested"] is None
    assert detail["return_count"] is None
    names = [t["name"] for t in detail["transitions"]]
    assert "request_extension" not in names
    assert "decide_extension" not in names
    listed = resident.get("/api/v1/tickets").json()["items"]
    row = next(r for r in listed if r["id"] == handled.pk)
    assert row["card"] is None
    assert row["supervised"] is None

    staff = _api(login(world.users["district_admin"]), handled)
    assert staff["card"] == "red"
    assert staff["supervised"] is True
    assert DISPATCH_NOTE in str(staff)
    assert DISPATCHER in str(staff)


def test_open311_status_notes_never_carry_an_internal_note(world: World) -> None:
    admin = world.users["district_admin"]
    t = services.submit(
        actor=world.users["resident"],
        intake=services.Intake(
            category=Category.objects.get(code="school_enrolment"),
            region=world.open_grid,
            title="入学咨询",
            description="孩子入学",
        ),
    )
    services.dispatch(
        actor=admin, ticket=t, version=t.version, unit=world.units["education"], note=DISPATCH_NOTE
    )

    def notes(user: Any) -> str:
        key = token_create(actor=user, name="open311")[1]
        response = Client().get(f"/open311/v2/requests/{t.pk}.json", {"api_key": key})
        assert response.status_code == 200, response.content
        note: str = response.json()[0]["status_notes"]
        return note

    assert notes(world.users["resident"]) == ""
    assert notes(admin) == DISPATCH_NOTE
