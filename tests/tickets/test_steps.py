"""The one table of steps (tickets/steps.py): every step in it is taken through the page and
through the API with the same parameter names, and a name not in it is 404 on both."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gridlight.api.routers.tickets import ActionIn
from gridlight.core.models import User
from gridlight.core.services import token_create
from gridlight.tickets import services
from gridlight.tickets.access import ACTORS
from gridlight.tickets.forms import ActionForm
from gridlight.tickets.models import Category, CloseReason, Status, Ticket, Transition
from gridlight.tickets.steps import INPUTS, STEPS, Kind
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


@dataclass
class Page:
    """Takes a step as the ticket page's form posts it."""

    world: World

    def take(self, user: User, ticket: Ticket, name: str, values: dict[str, Any]) -> int:
        body: dict[str, Any] = {f"{name}-version": ticket.version}
        for param in STEPS[name].params:
            if param.field in values:
                body[f"{name}-{param.field}"] = self._form_value(param.kind, values[param.field])
        client = login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.post(reverse("tickets:action", args=[ticket.pk, name]), body)
        return 200 if response.status_code == 302 else response.status_code

    def _form_value(self, kind: Kind, value: Any) -> Any:
        if kind is Kind.BOOL:
            return "yes" if value else "no"
        if kind is Kind.UNIT:
            return self.world.units[value].pk
        return value

    def status(self, user: User, ticket: Ticket, name: str) -> int:
        client = login(user)
        return client.post(
            reverse("tickets:action", args=[ticket.pk, name]), {f"{name}-version": ticket.version}
        ).status_code


@dataclass
class Api:
    """Takes a step as an API client posts it."""

    world: World

    def take(self, user: User, ticket: Ticket, name: str, values: dict[str, Any]) -> int:
        _token, secret = token_create(actor=user, name="test")
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}")
        body = {"version": ticket.version, **values}  # a unit by its code, booleans as JSON
        response = client.post(
            f"/api/v1/tickets/{ticket.pk}/actions/{name}",
            json.dumps(body),
            content_type="application/json",
        )
        return int(response.status_code)


def _raise(world: World, title: str) -> Ticket:
    return services.submit(
        actor=world.users["resident"],
        intake=services.Intake(
            category=Category.objects.get(code="school_enrolment"),
            region=world.open_grid,
            title=title,
            description=title,
        ),
    )


@pytest.mark.parametrize("channel", [Page, Api])
def test_every_step_in_the_table_is_taken_through_the_page_and_the_api(
    world: World, channel: type[Page] | type[Api]
) -> None:
    """The whole table through one channel, each step with its parameters under their
    canonical names; the stored ticket and its log show each parameter arrived."""
    policy = Category.objects.get(code="school_enrolment").policy
    policy.verify_on_site = True
    policy.save(update_fields=["verify_on_site"])
    via = channel(world)
    admin = world.users["district_admin"]
    handler = world.users["department_handler"]
    resident = world.users["resident"]
    main = _raise(world, "入学")
    duplicate = _raise(world, "入学（重复）")
    rejected = _raise(world, "不受理")
    withdrawn = _raise(world, "撤回")
    plan: list[tuple[User, Ticket, str, dict[str, Any], str]] = [
        (admin, main, "accept", {}, Status.ACCEPTED),
        (admin, main, "dispatch", {"unit": "education", "note": "请办理"}, Status.DISPATCHED),
        (handler, main, "send_back", {"reason": "不属本单位"}, Status.ACCEPTED),
        (admin, main, "dispatch", {"unit": "education"}, Status.DISPATCHED),
        (handler, main, "sign", {}, Status.SIGNED),
        (handler, main, "start", {"note": "开始"}, Status.IN_PROGRESS),
        (handler, main, "request_extension", {"days": 2, "reason": "需协调"}, Status.IN_PROGRESS),
        (admin, main, "decide_extension", {"approve": True, "reason": "同意"}, Status.IN_PROGRESS),
        (handler, main, "handle", {"result": "已协调入学"}, Status.HANDLED),
        (admin, main, "verify", {"passed": True, "note": "核实"}, Status.FOLLOW_UP),
        (
            resident,
            main,
            "rate",
            {"resolved": False, "satisfaction": "unsatisfied", "reason": "没解决"},
            Status.FOLLOW_UP,
        ),
        (admin, main, "reopen", {"reason": "重办"}, Status.DISPATCHED),
        (
            admin,
            duplicate,
            "close",
            {"close_reason": CloseReason.DUPLICATE, "duplicate_of": main.pk, "note": "同一诉求"},
            Status.CLOSED,
        ),
        (admin, rejected, "reject", {"reason": "不属受理范围"}, Status.REJECTED),
        (resident, withdrawn, "withdraw", {"reason": "已自行解决"}, Status.CLOSED),
    ]
    assert {name for _u, _t, name, _v, _s in plan} == set(STEPS), "a step is missing here"
    for user, ticket, name, values, status in plan:
        ticket.refresh_from_db()
        assert via.take(user, ticket, name, values) == 200, name
        ticket.refresh_from_db()
        assert ticket.status == status, name

    main.refresh_from_db()
    assert main.extension_days == 2
    log = {t.name: t for t in Transition.objects.filter(ticket=main)}
    assert log["rate"].reason == "没解决"
    assert log["rate"].data == {"resolved": False, "satisfaction": "unsatisfied"}
    assert log["decide_extension"].reason == "同意"
    assert log["send_back"].reason == "不属本单位"
    assert log["verify"].reason == "核实"
    assert log["reopen"].reason == "重办"
    duplicate.refresh_from_db()
    assert duplicate.close_reason == CloseReason.DUPLICATE
    assert duplicate.duplicate_of_id == main.pk
    rejected.refresh_from_db()
    assert Transition.objects.get(ticket=rejected, name="reject").reason == "不属受理范围"


@pytest.mark.parametrize("name", ["no_such_step", "submit", "get", "_apply"])
def test_a_step_name_not_in_the_table_is_404_on_the_page_and_the_api(
    world: World, name: str
) -> None:
    admin = world.users["district_admin"]
    ticket = world.open_ticket
    before = (ticket.status, ticket.version, ticket.transitions.count())
    assert Page(world).status(admin, ticket, name) == 404
    assert Api(world).take(admin, ticket, name, {}) == 404
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, ticket.transitions.count()) == before


def test_the_api_still_takes_the_older_names_of_close_and_rate(world: World) -> None:
    """``close_reason`` is canonical for close and ``reason`` for rate's words (the page's
    names); API clients written before the table still send ``reason`` and ``comment``."""
    admin = world.users["district_admin"]
    ticket = _raise(world, "撤回")
    assert Api(world).take(admin, ticket, "close", {"reason": CloseReason.WITHDRAWN}) == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, CloseReason.WITHDRAWN)

    rated = _raise(world, "回访")
    rated.status = Status.FOLLOW_UP
    rated.save(update_fields=["status"])
    body = {"resolved": True, "satisfaction": "satisfied", "comment": "很满意"}
    assert Api(world).take(world.users["resident"], rated, "rate", body) == 200
    assert Transition.objects.get(ticket=rated, name="rate").reason == "很满意"


def test_the_table_the_actors_the_form_and_the_payload_name_the_same_steps_and_fields() -> None:
    assert list(STEPS) == [s.name for s in STEPS.values()]
    assert set(STEPS) == set(ACTORS)
    assert {p.field for s in STEPS.values() for p in s.params} == set(INPUTS)
    for step in STEPS.values():
        for param in step.params:
            assert param.field in ActionForm.base_fields, (step.name, param.field)
            for name in param.names:
                assert name in ActionIn.model_fields, (step.name, name)
