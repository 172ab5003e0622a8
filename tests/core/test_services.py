"""Write services: scope checks, optimistic locking and the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from gridlight.core import services
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent, Region, ServicePosition
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_region_create_allocates_next_path_and_audits(world: World) -> None:
    admin = world.users["district_admin"]
    grid = services.region_create(
        actor=admin,
        parent=world.open_community,
        kind="grid",
        code="90000100200102",
        name="公开网格二",
    )
    assert grid.path == world.open_community.path + ".0002"
    assert grid.level == 3
    event = AuditEvent.objects.get(action="region.create")
    assert event.actor == admin
    assert event.region_path == grid.path
    assert event.changes["name"] == [None, "公开网格二"]


def test_region_create_refuses_wrong_level(world: World) -> None:
    with pytest.raises(DomainError, match="cannot be placed"):
        services.region_create(
            actor=world.users["district_admin"],
            parent=world.open_street,
            kind="grid",
            code="X1",
            name="错层网格",
        )
    assert not Region.objects.filter(code="X1").exists()
    assert not AuditEvent.objects.filter(action__startswith="region.").exists()


def test_region_create_outside_write_scope_is_refused(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.region_create(
            actor=world.users["street_staff"],
            parent=world.secret_community,
            kind="grid",
            code="X2",
            name="越权网格",
        )


def test_stale_version_is_a_conflict_not_an_overwrite(world: World) -> None:
    admin = world.users["district_admin"]
    region = Region.objects.get(pk=world.open_street.pk)
    first = services.region_update(
        actor=admin,
        region=region,
        version=region.version,
        code=region.code,
        name="甲改名",
        kind="street",
        sort_order=0,
    )
    with pytest.raises(ConflictError):
        services.region_update(
            actor=admin,
            region=region,
            version=region.version - 1,
            code=region.code,
            name="乙改名",
            kind="street",
            sort_order=0,
        )
    assert Region.objects.get(pk=region.pk).name == first.name == "甲改名"
    assert AuditEvent.objects.filter(action="region.update").count() == 1


def test_duplicate_region_code_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="already in use"):
        services.region_create(
            actor=world.users["district_admin"],
            parent=world.open_community,
            kind="grid",
            code=world.secret_grid.code,
            name="重复编码",
        )


def test_position_lifecycle_is_audited(world: World) -> None:
    secretary = world.users["community_secretary"]
    p = services.position_create(
        actor=secretary,
        region=world.secret_grid,
        kind="warm_heart_station",
        code="WH-T1",
        name="测试暖心驿站",
        longitude=Decimal("116.99"),
        latitude=Decimal("36.64"),
        services=["饮水", " ", "充电"],
    )
    assert p.region_path == world.secret_grid.path
    assert p.services == ["饮水", "充电"]
    services.position_update(
        actor=secretary,
        position=p,
        version=p.version,
        region=world.secret_community,
        kind="warm_heart_station",
        code="WH-T1",
        name="改名驿站",
        longitude=None,
        latitude=None,
    )
    p.refresh_from_db()
    assert (p.region_id, p.name, p.version) == (world.secret_community.pk, "改名驿站", 2)
    services.position_delete(actor=secretary, position=p)
    assert not ServicePosition.objects.filter(code="WH-T1").exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="position.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["position.create", "position.update", "position.delete"]
    update = AuditEvent.objects.get(action="position.update")
    assert update.changes["name"] == ["测试暖心驿站", "改名驿站"]


def test_position_needs_both_coordinates(world: World) -> None:
    with pytest.raises(DomainError, match="both longitude and latitude"):
        services.position_create(
            actor=world.users["district_admin"],
            region=world.open_grid,
            kind="grid_station",
            code="GS-X",
            name="缺纬度",
            longitude=Decimal("116.9"),
        )


def test_position_move_needs_write_scope_at_destination(world: World) -> None:
    secretary = world.users["community_secretary"]
    p = world.secret_positions[0]
    with pytest.raises(PermissionDenied):
        services.position_update(
            actor=secretary,
            position=p,
            version=p.version,
            region=world.open_grid,
            kind=p.kind,
            code=p.code,
            name=p.name,
        )


def test_token_is_stored_as_digest_and_revocable(world: World) -> None:
    user = world.users["street_staff"]
    token, secret = services.token_create(actor=user, name="脚本")
    assert secret.startswith("glt_")
    assert secret not in token.digest
    assert token.digest == services.token_digest(secret)
    assert services.token_authenticate(secret) == user
    services.token_revoke(actor=user, token=token)
    assert services.token_authenticate(secret) is None
    with pytest.raises(DomainError):
        services.token_revoke(actor=world.users["district_admin"], token=token)
