"""The inspection form's position search (红色家园): the form lists no positions until one is
searched for, the search answers only positions in the user's scope, both with a fixed number
of queries, and a position outside the scope cannot be posted."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridlight.evaluation.models import Inspection, StandardItem
from gridlight.evaluation.selectors import POSITION_MATCHES
from tests.conftest import CANARY, World, login
from tests.factories import PositionFactory

pytestmark = pytest.mark.django_db

FORM = "/evaluation/positions/inspect/"
SEARCH = "/evaluation/positions/search/"


def _grow(world: World, n: int) -> None:
    for i in range(n):
        PositionFactory(region=world.open_community, name=f"增长驿站{n}-{i}", code=f"GR-{n}-{i}")


def _queries(client, url: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response.content.decode()


def test_the_form_lists_no_positions_and_the_search_a_fixed_number(world: World) -> None:
    admin = login(world.users["district_admin"])
    _grow(world, 3)
    small_form, body = _queries(admin, FORM)
    small_search, _found = _queries(admin, f"{SEARCH}?position_q=增长")
    _grow(world, 30)
    large_form, body = _queries(admin, FORM)
    large_search, found = _queries(admin, f"{SEARCH}?position_q=增长")
    assert (large_form, large_search) == (small_form, small_search)
    assert "增长驿站" not in body
    assert f"{CANARY}驿站" not in body
    assert 'data-testid="position-search"' in body
    assert found.count('<option value="') - found.count('<option value=""') == POSITION_MATCHES
    assert "增长驿站30-0" in found  # region order, then name
    assert "disabled" in found  # "only the first 20": type more


def test_the_search_answers_only_positions_in_scope(world: World) -> None:
    admin = login(world.users["district_admin"])
    found = admin.get(f"{SEARCH}?position_q={CANARY}").content.decode()
    assert f"{CANARY}党群中心" in found
    assert f"{CANARY}驿站" in found
    assert "公开驿站" not in found
    by_code = admin.get(f"{SEARCH}?position_q=open-gs").content.decode()
    assert "公开驿站" in by_code
    twin = login(world.twins["district_admin"]).get(f"{SEARCH}?position_q=驿站").content.decode()
    assert CANARY not in twin
    assert "公开驿站" not in twin
    assert "邻区暖心驿站" in twin
    assert login(world.users["street_staff"]).get(SEARCH).status_code == 403


def test_a_position_outside_the_scope_cannot_be_inspected(world: World) -> None:
    twin = login(world.twins["district_admin"])
    body = {
        "position": world.secret_positions[0].pk,
        "inspected_on": "2026-05-10",
        "failed": [StandardItem.objects.get(code="sign").pk],
        "deadline_workdays": "10",
    }
    response = twin.post(FORM, body)
    assert response.status_code == 400
    assert CANARY not in response.content.decode()
    assert not Inspection.objects.exists()
    # In scope, the chosen position is the one option the form shows again with an error.
    admin = login(world.users["district_admin"])
    again = admin.post(FORM, body | {"deadline_workdays": "0"})
    assert again.status_code == 400
    assert again.content.decode().count(f"{CANARY}党群中心") == 1
    assert admin.post(FORM, body).status_code == 302
    assert Inspection.objects.get().position == world.secret_positions[0]
