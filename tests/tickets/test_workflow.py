"""The ticket lifecycle: every step, who may take it, what it refuses, and the log it leaves."""

from __future__ import annotations

import pytest

from gridlight.core.errors import ConflictError, DomainError
from gridlight.tickets import services
from gridlight.tickets.models import Category, DispatchFact, Status, Ticket, Transition
from tests.conftest import World


def _fresh(w: World, code: str = "school_enrolment") -> Ticket:
    return services.submit(
        actor=w.users["resident"],
        intake=services.Intake(
            category=Category.objects.get(code=code),
            region=w.open_grid,
            title="孩子入学",
            description="需要协调入学",
        ),
    )


def test_end_to_end_school_enrolment(world: World) -> None:
    w = world
    admin, handler, resident = (
        w.users["district_admin"],
        w.users["department_handler"],
        w.users["resident"],
    )
    t = _fresh(w)
    assert t.status == Status.SUBMITTED and t.requester == resident and t.talent
    t = services.dispatch(actor=admin, ticket=t, version=t.version, unit=w.units["education"])
    assert t.status == Status.DISPATCHED and t.round == 1 and t.due_at and t.sign_due
    assert t.yellow_at < t.due_at < t.supervise_at
    t = services.sign(actor=handler, ticket=t, version=t.version)
    t = services.start(actor=handler, ticket=t, version=t.version)
    t = services.handle(actor=handler, ticket=t, version=t.version, result="已协调入学")
    assert t.status == Status.FOLLOW_UP
    t = services.rate(
        actor=resident, ticket=t, version=t.version, resolved=True, satisfaction="satisfied"
    )
    assert t.status == Status.CLOSED and t.close_reason == "resolved"
    names = list(Transition.objects.filter(ticket=t).values_list("name", flat=True))
    assert names == ["submit", "accept", "dispatch", "sign", "start", "handle", "rate", "close"]
    fact = DispatchFact.objects.get(ticket=t)
    assert fact.responded_on_time and fact.handled_on_time and fact.resolved and fact.satisfied
    assert not fact.overdue and not fact.returned and not fact.reopened


def test_rating_twice_is_refused(world: World, english: None) -> None:
    w = world
    admin, handler = w.users["district_admin"], w.users["department_handler"]
    t = _fresh(w)
    t = services.dispatch(actor=admin, ticket=t, version=t.version, unit=w.units["education"])
    t = services.sign(actor=handler, ticket=t, version=t.version)
    t = services.handle(actor=handler, ticket=t, version=t.version, result="done")
    t = services.rate(
        actor=admin, ticket=t, version=t.version, resolved=False, satisfaction="unsatisfied"
    )
    assert t.status == Status.FOLLOW_UP
    with pytest.raises(DomainError, match="already been rated"):
        services.rate(
            actor=admin, ticket=t, version=t.version, resolved=True, satisfaction="satisfied"
        )
    t = services.reopen(actor=admin, ticket=t, version=t.version, reason="不满意")
    assert t.status == Status.DISPATCHED and t.round == 2 and t.reopen_count == 1
    assert DispatchFact.objects.get(ticket=t, round=1).reopened


def test_closing_a_ticket_never_dispatched_as_resolved_is_refused(
    world: World, english: None
) -> None:
    t = _fresh(world)
    with pytest.raises(DomainError, match="only after it has been handled"):
        services.close(
            actor=world.users["district_admin"], ticket=t, version=t.version, reason="resolved"
        )


def test_stale_version_is_a_conflict(world: World) -> None:
    w = world
    t = _fresh(w)
    stale = Ticket.objects.get(pk=t.pk)
    services.accept(actor=w.users["district_admin"], ticket=t, version=t.version)
    with pytest.raises(ConflictError):
        services.reject(
            actor=w.users["district_admin"], ticket=stale, version=stale.version, reason="x"
        )


def test_only_the_unit_may_sign(world: World) -> None:
    w = world
    t = w.secret_ticket
    t.refresh_from_db()
    with pytest.raises(DomainError):
        services.sign(actor=w.users["street_staff"], ticket=t, version=t.version)
    with pytest.raises(DomainError):  # a member of the unit, but outside the district
        services.sign(actor=w.twins["department_handler"], ticket=t, version=t.version)
    services.sign(actor=w.users["department_handler"], ticket=t, version=t.version)
