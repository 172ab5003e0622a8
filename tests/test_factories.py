"""The factories make records the way the product does, through its services: personal data
parsed, encrypted and indexed as a form would store it, every write audited, tickets moved only
by workflow steps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gridlight.core.crypto import decrypt
from gridlight.core.idcard import parse_id
from gridlight.core.models import AuditEvent
from gridlight.core.personal import id_index, phone_index
from gridlight.tickets.models import Status, Transition
from tests.conftest import World
from tests.factories import (
    DispatchedTicketFactory,
    HouseholdFactory,
    MemberFactory,
    ResidentFactory,
    TicketFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def test_a_resident_is_stored_encrypted_and_indexed_with_a_valid_id_number() -> None:
    member = MemberFactory.build(birth_date=date(1944, 2, 29), sex="M")
    resident = ResidentFactory(member=member)
    info = parse_id(member.id_number)  # a valid GB 11643 number, or this raises
    assert (info.birth_date, info.sex) == (date(1944, 2, 29), "M")
    assert member.id_number not in resident.id_number_enc
    assert decrypt(resident.id_number_enc) == member.id_number
    assert resident.id_number_index == id_index(member.id_number)
    assert (resident.birth_date, resident.sex) == (info.birth_date, "M")
    assert member.phone not in resident.phone_enc
    assert decrypt(resident.phone_enc) == member.phone
    assert resident.phone_index == phone_index(member.phone)
    assert resident.household.residents.count() == 2  # the head, then this member
    actions = AuditEvent.objects.filter(region_path=resident.region_path)
    assert set(actions.values_list("action", flat=True)) == {"household.register", "resident.add"}


def test_members_never_clash_on_the_unique_id_index() -> None:
    same = {"birth_date": date(1950, 1, 1), "sex": "F"}
    h = HouseholdFactory(members=[MemberFactory.build(**same) for _ in range(5)])
    assert h.residents.values("id_number_index").distinct().count() == 5


def test_a_household_is_classified_and_a_visit_reschedules_it() -> None:
    h = HouseholdFactory(members=[MemberFactory.build(birth_date=date(1930, 1, 1))])
    h.refresh_from_db()
    assert h.light_at is not None
    assert h.light_version is not None
    visited = timezone.localdate() - timedelta(days=3)
    visit = VisitFactory(household=h, visited_on=visited)
    h.refresh_from_db()
    assert (visit.light_at_visit, h.last_visit_on) == (h.light, visited)
    gap = {"red": 7, "yellow": 30, "green": 90}[h.light]
    assert h.next_visit_due == visited + timedelta(days=gap)
    assert AuditEvent.objects.filter(action="visit.record", object_id=str(visit.pk)).exists()


def test_a_dispatched_ticket_went_through_the_workflow_steps(world: World) -> None:
    t = DispatchedTicketFactory(world=world)
    assert (t.status, t.unit) == (Status.DISPATCHED, world.units["education"])
    steps = Transition.objects.filter(ticket=t).order_by("id").values_list("name", flat=True)
    assert list(steps) == ["submit", "accept", "dispatch"]
    assert t.sign_due is not None


def test_a_ticket_needs_someone_to_raise_it_and_a_place(world: World) -> None:
    with pytest.raises(TypeError, match="needs an actor and a region"):
        TicketFactory(region=world.open_grid)
    with pytest.raises(TypeError, match="needs a unit and a dispatcher"):
        DispatchedTicketFactory(actor=world.users["resident"], region=world.open_grid)
