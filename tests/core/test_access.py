"""The access layer: scope arithmetic (pure) and role permissions (on the database)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from gridlight.core.access import ROLE_PERMS, Perm, Scope, get_scoped, has_perm, scope_for
from gridlight.core.models import Region, Role
from tests.conftest import World


def test_scope_keeps_only_outermost_roots() -> None:
    scope = Scope.of(["0001.0002", "0001", "0001.0002.0003", "0002.0001"])
    assert scope.paths == ("0001", "0002.0001")


def test_scope_contains_subtree_but_not_siblings_sharing_a_prefix() -> None:
    scope = Scope.of(["0001.0003"])
    assert scope.contains("0001.0003")
    assert scope.contains("0001.0003.0001.0009")
    assert not scope.contains("0001.0030")
    assert not scope.contains("0001")


def test_empty_scope_matches_nothing() -> None:
    assert Scope.of([]).empty
    assert not Scope.of([]).contains("0001")


def test_every_role_has_a_permission_entry() -> None:
    assert set(ROLE_PERMS) == set(Role.values)


def test_public_roles_hold_no_region_permission() -> None:
    for role in (Role.RESIDENT, Role.TALENT, Role.ENTERPRISE):
        assert ROLE_PERMS[role] == frozenset()


@pytest.mark.django_db
def test_grid_worker_views_own_grid_only(world: World) -> None:
    worker = world.users["grid_worker"]
    visible = set(
        Region.objects.filter(scope_for(worker, Perm.REGION_VIEW).q("path")).values_list(
            "code", flat=True
        )
    )
    assert visible == {world.secret_grid.code}


@pytest.mark.django_db
def test_view_and_write_scope_are_separate(world: World) -> None:
    handler = world.users["department_handler"]
    assert has_perm(handler, Perm.POSITION_VIEW)
    assert not has_perm(handler, Perm.POSITION_CHANGE)


@pytest.mark.django_db
def test_out_of_scope_object_is_404_and_missing_permission_is_403(world: World) -> None:
    twin = world.twins["street_staff"]
    with pytest.raises(Http404):
        get_scoped(Region.objects.all(), twin, Perm.REGION_VIEW, "path", pk=world.secret_street.pk)
    with pytest.raises(PermissionDenied):
        get_scoped(
            Region.objects.all(),
            world.users["resident"],
            Perm.REGION_VIEW,
            "path",
            pk=world.secret_street.pk,
        )


@pytest.mark.django_db
def test_inactive_assignment_grants_nothing(world: World) -> None:
    admin = world.users["district_admin"]
    admin.assignments.update(active=False)
    fresh = type(admin).objects.get(pk=admin.pk)  # as the next request would load it
    assert not has_perm(fresh, Perm.REGION_VIEW)
