"""Pages as their users see them, with fixed query counts on lists."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridlight.core.models import AuditEvent, Region, ServicePosition
from tests.conftest import CANARY, World, login
from tests.factories import PositionFactory, RegionFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    cache.clear()  # the list's count is cached for a minute; measure the uncached page
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(world: World, n: int) -> None:
    for i in range(n):
        grid = RegionFactory(
            parent=world.open_community, kind="grid", code=f"G-{i}-{n}", name=f"增长网格{i}-{n}"
        )
        PositionFactory(region=grid, name=f"增长驿站{i}-{n}", code=f"GP-{i}-{n}")
        PositionFactory(
            region=world.open_community,
            kind="warm_heart_station",
            name=f"增长暖心{i}-{n}",
            code=f"WP-{i}-{n}",
        )
        AuditEvent.objects.create(action=f"test.{i}", region_path=grid.path)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/positions/",
        "/positions/map/",
        "/positions/?kind=grid_station&q=驿站",
        "/audit/",
        "/regions/{district}/",
        "/regions/{street}/",
        "/regions/{community}/",
    ],
)
def test_list_pages_use_a_fixed_number_of_queries(world: World, url: str) -> None:
    client = login(world.users["district_admin"])
    url = url.format(
        district=world.district.pk, street=world.open_street.pk, community=world.open_community.pk
    )
    _grow(world, 3)
    small = count_queries(client, url)
    _grow(world, 20)
    assert count_queries(client, url) == small


def test_drill_down_shows_counts_per_level(world: World) -> None:
    client = login(world.users["district_admin"])
    body = client.get(f"/regions/{world.district.pk}/").content.decode()
    assert "CANARY街道" in body
    assert "公开街道" in body
    row = body.split("CANARY街道")[1].split("</tr>")[0]
    # CANARY street: 1 community, 1 grid, 1 party-mass centre, 1 grid station, 0 warm-heart.
    cells = [c.split("</td>")[0].strip() for c in row.split('<td class="text-end">')[1:]]
    assert cells == ["1", "1", "1", "1", "0"]


def test_grid_worker_home_shows_own_grid(world: World) -> None:
    body = login(world.users["grid_worker"]).get("/").content.decode()
    assert "CANARY网格" in body
    assert "公开网格" not in body


def test_public_user_home_shows_own_records_only(world: World) -> None:
    # The resident raised the secret ticket: it is theirs, and their home lists it (open,
    # never "no problems reported"); the region's name is not shown with it.
    body = login(world.users["resident"]).get("/").content.decode()
    mine = body.split('data-testid="my-tickets"')[1].split("</ul>")[0]
    assert f"{CANARY}入学" in mine
    assert body.count(CANARY) == 1
    assert "no requests" not in body
    assert "还没有" not in body
    assert 'data-testid="who"' in body
    twin = login(world.twins["resident"]).get("/").content.decode()
    assert CANARY not in twin
    assert 'data-testid="my-tickets"' not in twin


def test_shell_shows_name_role_and_scope(world: World) -> None:
    body = login(world.users["street_staff"]).get("/").content.decode()
    who = body.split('data-testid="who"')[1].split("</span>\n")[0]
    assert world.users["street_staff"].display_name in who
    assert "CANARY街道" in who


def test_the_menu_groups_links_by_pillar_and_keeps_each_check(world: World) -> None:
    from gridlight.context_processors import MENU
    from gridlight.core.access import has_perm

    client = login(world.users["district_admin"])
    menu = client.get("/").context["shell_menu"]
    groups = {e["key"]: [i["name"] for i in e["links"]] for e in menu if "links" in e}
    assert {"talent:talent_list", "caseload:mine", "talent_problems:list"} <= set(groups["talent"])
    assert "households:list" in groups["governance"]
    links = [i["name"] for e in menu for i in e.get("links", [e])]
    # Every link the admin may open is there, once, and no other.
    admin = world.users["district_admin"]
    allowed = [name for name, _l, perm in MENU if perm is None or has_perm(admin, perm)]
    assert sorted(links) == sorted(allowed)
    assert len(links) == len(set(links)) > 10
    # A grid worker's links stay its own: no talent pages, nothing grouped that it may not see.
    worker = login(world.users["grid_worker"]).get("/").context["shell_menu"]
    names = [i["name"] for e in worker for i in e.get("links", [e])]
    assert "talent:talent_list" not in names
    assert "households:worklist" in names


def test_position_list_filters(world: World) -> None:
    client = login(world.users["district_admin"])
    body = client.get("/positions/?kind=warm_heart_station").content.decode()
    assert "邻区暖心驿站" not in body  # other district is outside the admin's scope
    body = client.get(f"/positions/?region={world.secret_street.code}").content.decode()
    assert "CANARY驿站" in body
    assert "公开驿站" not in body
    response = client.get("/positions/?region=nope")
    assert "region" in response.context["form"].errors
    assert not response.context["page"].object_list


def test_position_edit_page_detects_concurrent_change(world: World) -> None:
    client = login(world.users["district_admin"])
    p = world.secret_positions[1]
    data = {
        "kind": p.kind,
        "code": p.code,
        "name": "第一次",
        "region": p.region.code,
        "version": p.version,
        "services": "",
    }
    assert client.post(f"/positions/{p.pk}/edit/", data).status_code == 302
    data["name"] = "第二次"  # the same stale version
    response = client.post(f"/positions/{p.pk}/edit/", data)
    assert response.status_code == 409
    assert ServicePosition.objects.get(pk=p.pk).name == "第一次"


def test_region_edit_and_add_child_through_pages(world: World) -> None:
    client = login(world.users["district_admin"])
    street = world.open_street
    response = client.post(
        f"/regions/{street.pk}/edit/",
        {
            "code": street.code,
            "name": "改名街道",
            "kind": "street",
            "sort_order": 5,
            "version": street.version,
        },
    )
    assert response.status_code == 302
    assert Region.objects.get(pk=street.pk).name == "改名街道"
    response = client.post(
        f"/regions/{world.open_community.pk}/add/",
        {"code": "NEWGRID", "name": "新增网格", "kind": "grid", "sort_order": 2},
    )
    assert response.status_code == 302
    assert Region.objects.get(code="NEWGRID").parent_id == world.open_community.pk


def test_audit_search_filters_by_actor_action_and_region(world: World) -> None:
    client = login(world.users["district_admin"])
    client.post(
        f"/regions/{world.open_street.pk}/edit/",
        {
            "code": world.open_street.code,
            "name": "审计街道",
            "kind": "street",
            "sort_order": 0,
            "version": world.open_street.version,
        },
    )
    body = client.get("/audit/?actor=district_admin&action=region.").content.decode()
    assert "审计街道" in body
    body = client.get(f"/audit/?region={world.secret_street.code}").content.decode()
    assert "审计街道" not in body
    # Street staff see only their street's events.
    body = login(world.twins["street_staff"]).get("/audit/").content.decode()
    assert "审计街道" in body
    body = login(world.users["street_staff"]).get("/audit/").content.decode()
    assert "审计街道" not in body


def test_exports_are_scoped(world: World) -> None:
    client = login(world.twins["street_staff"])
    content = client.get("/regions/export/").content
    assert b"CANARY" not in content
    assert client.get("/positions/export/").status_code == 200


def test_token_page_shows_secret_once(world: World) -> None:
    client = login(world.users["evaluator"])
    response = client.post("/accounts/tokens/", {"name": "报表脚本", "days": 30})
    assert response.status_code == 201
    secret = response.context["secret"]
    assert secret.startswith("glt_")
    assert secret in response.content.decode()
    assert secret not in client.get("/accounts/tokens/").content.decode()
