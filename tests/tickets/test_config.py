"""The catalogue's configuration services (tickets/config.py): each write with its audit row in
one transaction, refused before anything is written when the input is wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from gridlight.core.errors import DomainError
from gridlight.core.models import AuditEvent
from gridlight.tickets import config
from gridlight.tickets.models import SlaPolicy
from tests.conftest import World, login


def _fields(policy: SlaPolicy, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {f: getattr(policy, f) for f in config.POLICY_FIELDS}
    values.update(changes)
    return values


@pytest.mark.parametrize(
    "changes",
    [{"handle_days": 0}, {"handle_days": 32000}, {"return_days": -1}, {"yellow_days": 9}],
)
def test_a_policy_with_impossible_days_is_refused_and_nothing_written(
    world: World, changes: dict[str, int]
) -> None:
    policy = SlaPolicy.objects.get(code="standard")
    before = _fields(policy)
    with pytest.raises(DomainError):
        config.policy_update(
            actor=world.users["district_admin"],
            policy=policy,
            version=policy.version,
            **_fields(policy, **changes),
        )
    policy.refresh_from_db()
    assert _fields(policy) == before
    assert not AuditEvent.objects.filter(action="ticket_policy.update").exists()


def test_a_huge_day_count_on_the_page_is_a_400_not_a_500(world: World) -> None:
    policy = SlaPolicy.objects.get(code="standard")
    admin = login(world.users["district_admin"])
    data = {**_fields(policy, handle_days=30000), "version": policy.version}
    data["verify_on_site"] = "on" if policy.verify_on_site else ""
    answer = admin.post(reverse("tickets:policy_edit", args=[policy.pk]), data)
    assert answer.status_code == 400
    policy.refresh_from_db()
    assert policy.handle_days != 30000


def test_only_the_catalogue_administrator_edits_a_policy(world: World) -> None:
    policy = SlaPolicy.objects.get(code="standard")
    with pytest.raises(PermissionDenied):
        config.policy_update(
            actor=world.users["street_staff"],
            policy=policy,
            version=policy.version,
            **_fields(policy, handle_days=6),
        )


def test_a_handler_from_another_district_cannot_join_a_unit(world: World) -> None:
    unit = world.units["education"]
    unit.members.remove(world.twins["department_handler"])
    with pytest.raises(DomainError):
        config.unit_member_add(
            actor=world.users["district_admin"],
            unit=unit,
            username=world.twins["department_handler"].username,
        )
    assert not unit.members.filter(pk=world.twins["department_handler"].pk).exists()
    assert not AuditEvent.objects.filter(action="ticket_unit.member_add").exists()


def test_a_handler_joins_and_leaves_a_unit_audited(world: World) -> None:
    unit = world.units["education"]
    handler = world.users["department_handler"]
    unit.members.remove(handler)
    admin = world.users["district_admin"]
    config.unit_member_add(actor=admin, unit=unit, username=f" {handler.username} ")
    assert unit.members.filter(pk=handler.pk).exists()
    assert config.unit_member_remove(actor=admin, unit=unit, member_id=handler.pk)
    assert not unit.members.filter(pk=handler.pk).exists()
    assert not config.unit_member_remove(actor=admin, unit=unit, member_id=handler.pk)
    actions = list(
        AuditEvent.objects.filter(action__startswith="ticket_unit.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["ticket_unit.member_add", "ticket_unit.member_remove"]
