"""Household services: validation of personal numbers, encryption, audit of reveals, departures,
moves, overrides and visits — each reclassifying the household at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from gridlight.core.crypto import blind_index
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent
from gridlight.households import services
from gridlight.households.models import AttributeValue, Household, LightChange, Resident, Visit
from gridlight.households.services import MemberInput
from tests.conftest import SECRET_ID, SECRET_PHONE, World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_registration_encrypts_numbers_and_classifies(world: World) -> None:
    h = world.secret_household
    r = world.secret_resident
    assert SECRET_ID not in r.id_number_enc
    assert SECRET_PHONE not in r.phone_enc
    assert r.id_number_index == blind_index(SECRET_ID, purpose="id_number")
    assert (r.sex, r.birth_date.year) == ("M", 1940)
    h.refresh_from_db()
    # 86 years old, living alone, grade-2 disability: red for two reasons.
    assert h.light == "red"
    assert {"aged_80_alone", "severe_disability"} <= set(h.reasons)
    assert LightChange.objects.filter(household=h, to_light="red").exists()


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010119400101001X", "should be 2"),
        ("1101011940", "characters"),
        ("110101194002300012", "does not exist"),
    ],
)
def test_bad_id_numbers_are_refused(world: World, number: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        services.household_register(
            actor=world.users["district_admin"],
            grid=world.open_grid,
            code="H-BAD",
            address="测试路",
            members=[MemberInput(name="某某", id_number=number)],
        )
    assert not Household.objects.filter(code="H-BAD").exists()


def test_duplicate_id_number_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="already registered"):
        services.household_register(
            actor=world.users["district_admin"],
            grid=world.open_grid,
            code="H-DUP",
            address="测试路",
            members=[MemberInput(name="重号", id_number=SECRET_ID)],
        )


def test_full_width_and_legacy_numbers_are_accepted(world: World) -> None:
    legacy = "110101400101003"  # 15 digits → 18
    full_width = "１１０１０１１９５００１０１００２５"
    h = services.household_register(
        actor=world.users["district_admin"],
        grid=world.open_grid,
        code="H-OLD",
        address="测试路",
        members=[
            MemberInput(name="老号", id_number=legacy),
            MemberInput(name="全角", id_number=full_width),
        ],
    )
    births = sorted(r.birth_date.year for r in h.residents.all())
    assert births == [1940, 1950]


def test_reveal_is_audited_and_needs_permission(world: World) -> None:
    value = services.reveal(
        actor=world.users["grid_worker"], resident=world.secret_resident, what="id_number"
    )
    assert value == SECRET_ID
    event = AuditEvent.objects.get(action="reveal.id_number")
    assert event.actor == world.users["grid_worker"]
    with pytest.raises(PermissionDenied):
        services.reveal(
            actor=world.twins["grid_worker"], resident=world.secret_resident, what="phone"
        )
    with pytest.raises(PermissionDenied):
        services.reveal(
            actor=world.users["department_handler"], resident=world.secret_resident, what="phone"
        )


def test_departure_reclassifies_and_dissolves_an_empty_household(world: World) -> None:
    h = world.secret_household
    services.resident_depart(
        actor=world.users["grid_worker"],
        resident=world.secret_resident,
        status="deceased",
        on=timezone.localdate(),
    )
    h.refresh_from_db()
    assert h.status == "dissolved"
    assert not AttributeValue.objects.filter(resident=world.secret_resident).exists()


def test_adding_a_member_changes_the_light(world: World) -> None:
    h = Household.objects.get(pk=world.secret_household.pk)
    assert h.light == "red"
    services.resident_save(
        actor=world.users["grid_worker"],
        household=h,
        version=h.version,
        member=MemberInput(name="护工", relation="other"),
    )
    # Still red: the disability grade keeps it red even though "living alone" is a household
    # attribute staff must clear themselves.
    h.refresh_from_db()
    assert h.light == "red"
    with pytest.raises(ConflictError):
        services.resident_save(
            actor=world.users["grid_worker"],
            household=h,
            version=h.version - 1,
            member=MemberInput(name="迟到"),
        )


def test_override_needs_reason_and_expiry_and_is_kept_apart(world: World) -> None:
    h = Household.objects.get(pk=world.open_household.pk)
    until = timezone.localdate() + timedelta(days=10)
    with pytest.raises(DomainError, match="reason"):
        services.household_override(
            actor=world.users["district_admin"], household=h, light="red", reason=" ", until=until
        )
    with pytest.raises(DomainError, match="within the next year"):
        services.household_override(
            actor=world.users["district_admin"],
            household=h,
            light="red",
            reason="x",
            until=until + timedelta(days=400),
        )
    services.household_override(
        actor=world.users["district_admin"],
        household=h,
        light="red",
        reason="突发困难",
        until=until,
    )
    h.refresh_from_db()
    assert (h.light, h.computed_light) == ("red", "green")
    assert h.light_changes.first().cause == "override"
    services.household_override_clear(actor=world.users["district_admin"], household=h)
    h.refresh_from_db()
    assert h.light == "green"


def test_visit_schedules_the_next_by_the_light(world: World) -> None:
    h = Household.objects.get(pk=world.secret_household.pk)
    today = timezone.localdate()
    services.visit_record(
        actor=world.users["grid_worker"],
        household=h,
        method="home",
        visited_on=today,
        notes="身体尚可",
    )
    h.refresh_from_db()
    assert h.next_visit_due == today + timedelta(days=7)  # red: weekly
    assert Visit.objects.filter(household=h).count() == 1
    with pytest.raises(DomainError, match="future"):
        services.visit_record(
            actor=world.users["grid_worker"],
            household=h,
            method="home",
            visited_on=today + timedelta(days=1),
        )
    with pytest.raises(PermissionDenied):
        services.visit_record(
            actor=world.twins["grid_worker"], household=h, method="phone", visited_on=today
        )


def test_move_needs_scope_at_both_ends(world: World) -> None:
    h = Household.objects.get(pk=world.secret_household.pk)
    with pytest.raises(PermissionDenied):
        services.household_move(
            actor=world.users["grid_worker"], household=h, version=h.version, grid=world.open_grid
        )
    services.household_move(
        actor=world.users["district_admin"], household=h, version=h.version, grid=world.open_grid
    )
    assert Resident.objects.get(pk=world.secret_resident.pk).region_path == world.open_grid.path
