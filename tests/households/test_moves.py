"""Moving households: one service moves a household with every row that carries its region, in
one transaction, audited, set-based for many; the page and the API call it (the import too:
tests/core/test_route_walk.py walks the routes after all three)."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import ForeignKey
from django.test.utils import CaptureQueriesContext

from gridlight.core.errors import DomainError
from gridlight.core.models import AuditEvent, Region
from gridlight.households import services
from gridlight.households.models import Household, LightChange, Resident, Visit
from gridlight.households.services import CARRIED_BY_HOUSEHOLD
from gridlight.policies.models import Match
from gridlight.tickets.models import Ticket
from tests.conftest import World, login
from tests.factories import HouseholdFactory, MemberFactory, VisitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# Rows that point at a household's record and carry a region of their own on purpose: a ticket
# raised from a visit stays where it was raised.
# Policy matches take the subject's path from the next matching run of that subject (which
# rewrites a moved subject's rows); households are not matched yet.
KEEP_THEIR_OWN_REGION = {Ticket, Match}


def test_every_row_carrying_a_households_region_moves_with_it() -> None:
    """A model added later with a region path and a link to a household must be moved with it
    (or say here why not)."""
    household_models = {Household, Resident, Visit}
    carriers = set()
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        links = {
            f.related_model
            for f in model._meta.get_fields()
            if isinstance(f, ForeignKey) and f.related_model in household_models
        }
        if "region_path" in names and links and model is not Household:
            carriers.add(model)
    assert carriers - KEEP_THEIR_OWN_REGION == set(CARRIED_BY_HOUSEHOLD)


def _households(world: World, n: int, grid: Region, prefix: str) -> list[Household]:
    admin = world.users["district_admin"]
    made = []
    for i in range(n):
        h = HouseholdFactory(
            actor=admin,
            grid=grid,
            code=f"{prefix}-{i}",
            members=[MemberFactory.build(relation="head"), MemberFactory.build()],
        )
        VisitFactory(actor=admin, household=h, method="phone", visited_on=h.registered_on)
        made.append(h)
    return made


def test_moving_many_households_takes_the_same_statements_for_two_or_twenty(world: World) -> None:
    admin = world.users["district_admin"]
    few = _households(world, 2, world.open_grid, "FEW")
    many = _households(world, 20, world.open_grid, "MANY")
    ids = [h.pk for h in few + many]
    before = dict(Household.objects.filter(pk__in=ids).values_list("pk", "version"))
    counts = []
    for group in (few, many):
        with CaptureQueriesContext(connection) as queries:
            moved = services.household_move_many(
                actor=admin, moves={h.pk: world.secret_grid for h in group}
            )
        assert moved == len(group)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    for model in CARRIED_BY_HOUSEHOLD:
        rows = model.objects.filter(household_id__in=ids)
        assert set(rows.values_list("region_path", flat=True)) == {world.secret_grid.path}
    after = dict(Household.objects.filter(pk__in=ids).values_list("pk", "version"))
    assert after == {pk: v + 1 for pk, v in before.items()}  # a page opened before is stale
    events = AuditEvent.objects.filter(action="household.move")
    assert events.count() == 22
    assert set(events.values_list("region_path", flat=True)) == {world.secret_grid.path}
    first = events.get(object_id=str(few[0].pk))
    assert first.object_label == str(few[0])
    assert first.changes == {"grid": [world.open_grid.path, world.secret_grid.path]}


def test_a_move_outside_the_write_scope_changes_nothing(world: World) -> None:
    h = Household.objects.get(pk=world.secret_household.pk)
    with pytest.raises(PermissionDenied):
        services.household_move_many(
            actor=world.users["grid_worker"], moves={h.pk: world.open_grid}
        )
    with pytest.raises(DomainError, match="already in this grid"):
        services.household_move_many(
            actor=world.users["district_admin"], moves={h.pk: world.secret_grid}
        )
    with pytest.raises(DomainError, match="belongs to a grid"):
        services.household_move_many(
            actor=world.users["district_admin"], moves={h.pk: world.open_street}
        )
    assert Household.objects.get(pk=h.pk).region_path == world.secret_grid.path
    assert not AuditEvent.objects.filter(action="household.move").exists()


def test_the_page_moves_a_household_with_its_light_history(world: World) -> None:
    h = Household.objects.get(pk=world.secret_household.pk)
    response = login(world.users["district_admin"]).post(
        f"/households/{h.pk}/move/", {"grid": world.open_grid.code, "version": h.version}
    )
    assert response.status_code == 302
    assert set(LightChange.objects.filter(household=h).values_list("region_path", flat=True)) == {
        world.open_grid.path
    }


def test_the_api_moves_a_household_and_refuses_a_stale_version(world: World) -> None:
    h = Household.objects.get(pk=world.secret_household.pk)
    client = login(world.users["district_admin"])
    url = f"/api/v1/households/{h.pk}/move"

    def move(grid_code: str, version: int) -> tuple[int, dict[str, object]]:
        response = client.post(
            url,
            data=json.dumps({"grid_code": grid_code, "version": version}),
            content_type="application/json",
        )
        return response.status_code, response.json()

    status, body = move(world.open_grid.code, h.version)
    assert status == 200
    assert body["grid_code"] == world.open_grid.code
    assert move(world.secret_grid.code, h.version)[0] == 409
    assert move(world.open_street.code, h.version + 1)[0] == 400
    assert Resident.objects.get(pk=world.secret_resident.pk).region_path == world.open_grid.path
    # The grid worker of the household's old grid may not move it back into their own grid.
    worker = login(world.users["grid_worker"])
    refused = worker.post(
        url,
        data=json.dumps({"grid_code": world.secret_grid.code, "version": h.version + 1}),
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert AuditEvent.objects.filter(action="household.move").count() == 1
