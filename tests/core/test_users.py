"""Appointing staff: who may grant which role where, and the audit of it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from gridlight.core import services
from gridlight.core.access import Perm, has_perm
from gridlight.core.errors import DomainError
from gridlight.core.models import Assignment, AuditEvent, User
from tests.conftest import World, login
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_street_staff_appoints_a_grid_worker_in_its_street(world: World) -> None:
    staff = world.users["street_staff"]
    user = services.user_create(
        actor=staff,
        username="new-worker",
        display_name="新网格员",
        password="a-long-enough-passphrase",
        role="grid_worker",
        region=world.secret_grid,
        write_region=world.secret_grid,
    )
    assert has_perm(user, Perm.REGION_VIEW)
    actions = list(
        AuditEvent.objects.filter(action__regex=r"^(user|assignment)\.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["user.create", "assignment.grant"]


def test_street_staff_cannot_appoint_outside_its_street(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=world.users["street_staff"],
            username="x",
            display_name="x",
            password="a-long-enough-passphrase",
            role="grid_worker",
            region=world.open_grid,
            write_region=world.open_grid,
        )
    assert not User.objects.filter(username="x").exists()


def test_role_must_fit_the_level(world: World) -> None:
    with pytest.raises(DomainError, match="is held at"):
        services.assignment_grant(
            actor=world.users["district_admin"],
            user=world.users["evaluator"],
            role="grid_worker",
            region=world.secret_street,
            write_region=None,
        )


def test_weak_password_is_refused_with_reasons(world: World) -> None:
    with pytest.raises(DomainError, match=r"too short|too common|entirely numeric"):
        services.user_create(
            actor=world.users["district_admin"],
            username="weak",
            display_name="弱",
            password="123",
            role="evaluator",
            region=world.district,
            write_region=None,
        )


def test_write_scope_must_lie_inside_view_scope(world: World) -> None:
    with pytest.raises(DomainError, match="inside the view scope"):
        services.assignment_grant(
            actor=world.users["district_admin"],
            user=world.users["evaluator"],
            role="street_staff",
            region=world.open_street,
            write_region=world.secret_street,
        )


def test_revoking_ends_the_role(world: World) -> None:
    worker = world.users["grid_worker"]
    assignment = worker.assignments.get()
    services.assignment_revoke(actor=world.users["street_staff"], assignment=assignment)
    worker = User.objects.get(pk=worker.pk)
    assert not has_perm(worker, Perm.REGION_VIEW)
    assert AuditEvent.objects.filter(action="assignment.revoke").count() == 1


def test_admin_cannot_remove_own_admin_role(world: World) -> None:
    admin = world.users["district_admin"]
    with pytest.raises(DomainError):
        services.assignment_revoke(actor=admin, assignment=admin.assignments.get())


def test_user_pages(world: World) -> None:
    client = login(world.users["street_staff"])
    table = client.get("/users/").content.decode().split('data-testid="users"')[1]
    assert ">grid_worker<" in table
    assert ">district_admin<" not in table
    response = client.post(
        "/users/new/",
        {
            "username": "page-worker",
            "display_name": "页面网格员",
            "password": "a-long-enough-passphrase",
            "role": "grid_worker",
            "region": world.secret_grid.code,
            "write_region": "",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="page-worker")
    assignment = created.assignments.get()
    assert assignment.write_region_id == world.secret_grid.pk
    response = client.post(
        "/users/new/",
        {
            "username": "page-worker-2",
            "display_name": "越权",
            "password": "a-long-enough-passphrase",
            "role": "grid_worker",
            "region": world.open_grid.code,
            "write_region": "",
        },
    )
    assert response.status_code == 400
    assert "region" in response.context["form"].errors


def test_grant_role_command_appoints_the_first_administrator(world: World) -> None:
    UserFactory(username="ops")
    call_command("grant_role", "ops", "district_admin", world.district.code)
    ops = User.objects.get(username="ops")
    assert has_perm(ops, Perm.USER_MANAGE)
    event = AuditEvent.objects.get(action="assignment.grant")
    assert event.actor is None
    assert event.actor_label == "system"
    with pytest.raises(CommandError):
        call_command("grant_role", "ops", "grid_worker", world.district.code)
    assert Assignment.objects.filter(user=ops).count() == 1
