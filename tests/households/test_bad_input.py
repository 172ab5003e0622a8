"""Values outside their lists and bounds are refused with a reason where they come in — the pages,
the API and the services behind both — and what reads them (the export, the dashboard) keeps
working for everyone in scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gridlight.core.errors import DomainError
from gridlight.core.models import AuditEvent
from gridlight.households import services
from gridlight.households.models import Attribute, AttributeValue, Household, Resident
from gridlight.households.services import MemberInput
from tests.conftest import World, login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _register_by_api(client: Client, world: World, member: dict[str, Any]) -> Any:
    body = {
        "grid_code": world.secret_grid.code,
        "code": "API-BAD",
        "address": "接口路2号",
        "members": [member],
    }
    return client.post(
        "/api/v1/households",
        json.dumps(body),
        content_type="application/json",
    )


def _reads_still_work(world: World) -> None:
    """The export and the dashboard answer, for the worker and the street above them."""
    for role in ("grid_worker", "street_staff"):
        client = login(world.users[role])
        export = client.get("/households/export/")
        assert export.status_code == 200
        assert export["Content-Type"].startswith("application/vnd.openxmlformats")
        assert client.get("/households/dashboard/").status_code == 200
        assert client.get("/households/").status_code == 200


def test_api_refuses_a_relation_outside_the_list_and_the_export_keeps_working(
    world: World,
) -> None:
    client = login(world.users["grid_worker"])
    before = AuditEvent.objects.count()
    response = _register_by_api(client, world, {"name": "关系外", "relation": "boss"})
    assert response.status_code == 422
    assert "relation" in json.dumps(response.json())
    assert not Household.objects.filter(code="API-BAD").exists()
    assert not Resident.objects.filter(name="关系外").exists()
    assert AuditEvent.objects.count() == before
    _reads_still_work(world)


def test_page_refuses_a_relation_outside_the_list(world: World) -> None:
    h = world.secret_household
    response = login(world.users["grid_worker"]).post(
        f"/households/{h.pk}/members/new/",
        {"name": "关系外", "relation": "boss", "version": h.version},
    )
    assert response.status_code == 400
    assert not Resident.objects.filter(name="关系外").exists()
    _reads_still_work(world)


def test_service_refuses_a_relation_outside_the_list(world: World) -> None:
    h = world.secret_household
    with pytest.raises(DomainError, match="relation to the head of household"):
        services.resident_save(
            actor=world.users["grid_worker"],
            household=h,
            version=h.version,
            member=MemberInput(name="关系外", relation="boss"),
        )
    with pytest.raises(DomainError, match="relation to the head of household"):
        services.household_register(
            actor=world.users["grid_worker"],
            grid=world.secret_grid,
            code="SVC-BAD",
            address="服务路1号",
            members=[MemberInput(name="关系外", relation="boss")],
        )
    assert not Resident.objects.filter(name="关系外").exists()
    assert not Household.objects.filter(code="SVC-BAD").exists()


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"serious_illness": -1}, "takes no grade"),  # ungraded: a negative grade
        ({"serious_illness": 3}, "takes no grade"),  # ungraded: any grade
        ({"disability": -1}, "must be 1 to 4"),
        ({"disability": 0}, "must be 1 to 4"),
        ({"disability": 5}, "must be 1 to 4"),
        ({"disability": 40000}, "must be 1 to 4"),  # past a small integer
    ],
)
def test_api_refuses_grades_out_of_bounds_with_a_reason(
    world: World, attributes: dict[str, int], message: str
) -> None:
    client = login(world.users["grid_worker"])
    client.cookies["django_language"] = "en"
    response = _register_by_api(client, world, {"name": "等级外", "attributes": attributes})
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Household.objects.filter(code="API-BAD").exists()
    _reads_still_work(world)


def test_api_takes_a_grade_in_bounds_and_none_for_an_ungraded_attribute(world: World) -> None:
    client = login(world.users["grid_worker"])
    response = _register_by_api(
        client,
        world,
        {
            "name": "等级内",
            "relation": "head",
            "attributes": {"disability": 1, "serious_illness": None},
        },
    )
    assert response.status_code == 201, response.content
    resident = Resident.objects.get(name="等级内")
    assert resident.relation == "head"
    grades = dict(
        AttributeValue.objects.filter(resident=resident).values_list("attribute_id", "grade")
    )
    assert grades == {"disability": 1, "serious_illness": None}
    _reads_still_work(world)


def test_page_refuses_a_disability_grade_out_of_bounds(world: World) -> None:
    h = world.secret_household
    response = login(world.users["grid_worker"]).post(
        f"/households/{h.pk}/members/new/",
        {
            "name": "等级外",
            "relation": "child",
            "attributes": ["disability"],
            "disability_grade": "-1",
            "version": h.version,
        },
    )
    assert response.status_code == 400
    assert not Resident.objects.filter(name="等级外").exists()


def test_service_refuses_a_grade_on_an_ungraded_attribute(world: World) -> None:
    h = world.secret_household
    with pytest.raises(DomainError, match="takes no grade"):
        services.resident_save(
            actor=world.users["grid_worker"],
            household=h,
            version=h.version,
            member=MemberInput(name="等级外", attributes={"serious_illness": -1}),
        )
    assert not Resident.objects.filter(name="等级外").exists()


def test_the_shared_checks_say_what_is_wrong() -> None:
    """The import asks the same two questions (``relation_problem``, ``grade_problem``)."""
    graded = Attribute(code="g", name="G", graded=True)
    plain = Attribute(code="p", name="P", graded=False)
    assert services.relation_problem("spouse") is None
    assert services.relation_problem("boss")
    assert services.grade_problem(graded, None) is None
    assert services.grade_problem(graded, 4) is None
    assert services.grade_problem(graded, 0) == "The grade of G must be 1 to 4."
    assert services.grade_problem(graded, True) == "The grade of G must be 1 to 4."
    assert services.grade_problem(plain, None) is None
    assert services.grade_problem(plain, 1) == "P takes no grade."


def test_members_stored_with_a_relation_outside_the_list_are_mended(world: World) -> None:
    """The migration that gives "other" to relations the API let through before."""
    from importlib import import_module

    from django.apps import apps

    Resident.objects.filter(pk=world.secret_resident.pk).update(relation="boss")
    migration = import_module("gridlight.households.migrations.0005_inputs_relations_in_list")
    migration.forward(apps, None)
    assert Resident.objects.get(pk=world.secret_resident.pk).relation == "other"
    assert Resident.objects.get(pk=world.open_household.residents.get().pk).relation == "head"
    _reads_still_work(world)
