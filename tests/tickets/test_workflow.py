"""The ticket lifecycle: every step, who may take it, what it refuses, and the log it leaves."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent
from gridlight.tickets import selectors, services
from gridlight.tickets.models import Category, DispatchFact, Status, Ticket, Transition
from tests.conftest import World
from tests.factories import DispatchedTicketFactory, TicketFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_end_to_end_school_enrolment(world: World) -> None:
    w = world
    admin, handler, resident = (
        w.users["district_admin"],
        w.users["department_handler"],
        w.users["resident"],
    )
    t = TicketFactory(world=w)
    assert t.status == Status.SUBMITTED
    assert t.requester == resident
    assert t.talent
    t = services.dispatch(actor=admin, ticket=t, version=t.version, unit=w.units["education"])
    assert t.status == Status.DISPATCHED
    assert t.round == 1
    assert t.due_at
    assert t.sign_due
    assert t.yellow_at < t.due_at < t.supervise_at
    t = services.sign(actor=handler, ticket=t, version=t.version)
    t = services.start(actor=handler, ticket=t, version=t.version)
    t = services.handle(actor=handler, ticket=t, version=t.version, result="已协调入学")
    assert t.status == Status.FOLLOW_UP
    t = services.rate(
        actor=resident, ticket=t, version=t.version, resolved=True, satisfaction="satisfied"
    )
    assert t.status == Status.CLOSED
    assert t.close_reason == "resolved"
    names = list(Transition.objects.filter(ticket=t).values_list("name", flat=True))
    assert names == ["submit", "accept", "dispatch", "sign", "start", "handle", "rate", "close"]
    # Every step is an audit event too, by whoever took it, in the ticket's place.
    events = AuditEvent.objects.filter(object_type="tickets.ticket", object_id=str(t.pk))
    logged = {e.action: (e.actor, e.region_path) for e in events.order_by("at", "id")}
    assert set(logged) >= {f"ticket.{n}" for n in names if n != "close"}
    assert logged["ticket.submit"] == (resident, t.region_path)
    assert logged["ticket.dispatch"] == (admin, t.region_path)
    assert logged["ticket.handle"] == (handler, t.region_path)
    fact = DispatchFact.objects.get(ticket=t)
    assert fact.responded_on_time
    assert fact.handled_on_time
    assert fact.resolved
    assert fact.satisfied
    assert not fact.overdue
    assert not fact.returned
    assert not fact.reopened


def test_rating_twice_is_refused(world: World, english: None) -> None:
    w = world
    admin, handler = w.users["district_admin"], w.users["department_handler"]
    t = TicketFactory(world=w)
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
    assert t.status == Status.DISPATCHED
    assert t.round == 2
    assert t.reopen_count == 1
    assert DispatchFact.objects.get(ticket=t, round=1).reopened


def test_closing_a_ticket_never_dispatched_as_resolved_is_refused(
    world: World, english: None
) -> None:
    t = TicketFactory(world=world)
    with pytest.raises(DomainError, match="only after it has been handled"):
        services.close(
            actor=world.users["district_admin"], ticket=t, version=t.version, reason="resolved"
        )


def test_stale_version_is_a_conflict(world: World) -> None:
    w = world
    t = TicketFactory(world=w)
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


def test_deadlines_count_working_days_across_national_day(world: World) -> None:
    # Dispatched on Tuesday 30 September 2025. 1–8 October are holidays; Saturday 11 October is
    # a make-up working day. Working days after the dispatch: 9, 10, 11, 13, 14 October.
    at = datetime(2025, 9, 30, 15, 0, tzinfo=SHANGHAI)
    t = DispatchedTicketFactory(world=world, at=at)
    assert t.sign_due == datetime(2025, 10, 10, tzinfo=SHANGHAI)  # end of 9 October
    assert t.return_due == datetime(2025, 10, 11, tzinfo=SHANGHAI)  # end of 10 October
    assert t.due_at == datetime(2025, 10, 15, tzinfo=SHANGHAI)  # end of 14 October
    assert t.yellow_at == datetime(2025, 10, 14, tzinfo=SHANGHAI)  # end of 13 October
    assert t.supervise_at == datetime(2025, 10, 17, tzinfo=SHANGHAI)  # end of 16 October


def test_extension_is_limited_and_moves_the_deadline(world: World, english: None) -> None:
    w = world
    admin, handler = w.users["district_admin"], w.users["department_handler"]
    t = DispatchedTicketFactory(world=w, at=datetime(2025, 9, 30, 15, 0, tzinfo=SHANGHAI))
    t = services.sign(actor=handler, ticket=t, version=t.version)
    with pytest.raises(DomainError, match="limited to 10 working days"):
        services.request_extension(actor=handler, ticket=t, version=t.version, days=11, reason="x")
    t = services.request_extension(
        actor=handler, ticket=t, version=t.version, days=3, reason="需协调学位"
    )
    with pytest.raises(DomainError, match="already waiting"):
        services.request_extension(actor=handler, ticket=t, version=t.version, days=1, reason="x")
    t = services.decide_extension(actor=admin, ticket=t, version=t.version, approve=True)
    # 14 October + 3 working days = 17 October (15, 16, 17).
    assert t.due_at == datetime(2025, 10, 18, tzinfo=SHANGHAI)
    assert t.extension_days == 3
    assert t.extension_requested == 0
    t = services.request_extension(actor=handler, ticket=t, version=t.version, days=7, reason="y")
    t = services.decide_extension(actor=admin, ticket=t, version=t.version, approve=False)
    assert t.extension_days == 3
    assert t.due_at == datetime(2025, 10, 18, tzinfo=SHANGHAI)
    with pytest.raises(DomainError, match="limited to 10"):
        services.request_extension(actor=handler, ticket=t, version=t.version, days=8, reason="z")


def test_return_within_the_window_goes_back_to_the_dispatcher(world: World, english: None) -> None:
    w = world
    handler = w.users["department_handler"]
    t = DispatchedTicketFactory(world=w)
    t = services.send_back(actor=handler, ticket=t, version=t.version, reason="不属于本单位职责")
    assert t.status == Status.ACCEPTED
    assert t.return_count == 1
    fact = DispatchFact.objects.get(ticket=t, round=1)
    assert fact.returned
    assert fact.responded
    assert fact.responded_on_time
    # A ticket dispatched long ago can no longer be returned.
    old = DispatchedTicketFactory(world=w, at=datetime(2025, 9, 30, 15, 0, tzinfo=SHANGHAI))
    with pytest.raises(DomainError, match="return window ended"):
        services.send_back(actor=handler, ticket=old, version=old.version, reason="x")


def test_on_site_verification_sends_failed_work_back(world: World) -> None:
    w = world
    admin, secretary = w.users["district_admin"], w.users["community_secretary"]
    street_unit = w.units[f"street-{w.secret_street.code}"]
    t = services.submit(
        actor=secretary,
        intake=services.Intake(
            category=Category.objects.get(code="sanitation"),  # verified on site
            region=w.secret_grid,
            title="垃圾堆放",
            description="楼道堆放杂物",
            source="grid",
        ),
    )
    t = services.dispatch(actor=admin, ticket=t, version=t.version, unit=street_unit)
    staff = w.users["street_staff"]
    t = services.sign(actor=staff, ticket=t, version=t.version)
    t = services.handle(actor=staff, ticket=t, version=t.version, result="已清理")
    assert t.status == Status.HANDLED
    t = services.verify(actor=secretary, ticket=t, version=t.version, passed=False, note="未清理完")
    assert t.status == Status.IN_PROGRESS
    t = services.handle(actor=staff, ticket=t, version=t.version, result="已全部清理")
    t = services.verify(actor=secretary, ticket=t, version=t.version, passed=True)
    assert t.status == Status.FOLLOW_UP


def test_requester_withdraws_and_duplicates_are_closed(world: World, english: None) -> None:
    w = world
    t = TicketFactory(world=w)
    t = services.withdraw(actor=w.users["resident"], ticket=t, version=t.version)
    assert t.status == Status.CLOSED
    assert t.close_reason == "withdrawn"
    other = TicketFactory(world=w)
    with pytest.raises(DomainError):  # another resident may not
        services.withdraw(actor=w.twins["resident"], ticket=other, version=other.version)
    first, second = TicketFactory(world=w), TicketFactory(world=w)
    with pytest.raises(DomainError, match="Name the ticket"):
        services.close(
            actor=w.users["district_admin"],
            ticket=second,
            version=second.version,
            reason="duplicate",
        )
    second = services.close(
        actor=w.users["district_admin"],
        ticket=second,
        version=second.version,
        reason="duplicate",
        duplicate_of=first,
    )
    assert second.duplicate_of == first


def test_similar_open_tickets_are_suggested(world: World) -> None:
    w = world
    t = TicketFactory(world=w)
    found = selectors.similar_open(
        w.users["resident"], category=t.category, region_path=w.open_grid.path, title="孩子 入学"
    )
    assert t in found.shown
    assert w.secret_ticket not in found.shown  # another community
    assert found.others == 0
    noise = Category.objects.get(code="noise")
    assert (
        t
        not in selectors.similar_open(
            w.users["resident"], category=noise, region_path=w.open_grid.path
        ).shown
    )
    # Staff who see the community see it; another resident learns nothing of it, not even
    # that it exists.
    staff = selectors.similar_open(
        w.users["district_admin"], category=t.category, region_path=w.open_grid.path
    )
    assert t in staff.shown
    stranger = selectors.similar_open(
        w.twins["resident"], category=t.category, region_path=w.open_grid.path
    )
    assert stranger.shown == []
    assert stranger.others == 0


def test_similar_suggestions_never_show_what_is_not_yours(world: World, client: Any) -> None:
    w = world
    secret = w.secret_ticket
    params = {"category": secret.category.code, "region": secret.region.code}
    for role in ("resident", "grid_worker", "street_staff", "department_handler"):
        client.force_login(w.twins[role])
        page = client.get("/tickets/similar/", params)
        assert page.status_code == 200
        body = page.content.decode()
        assert secret.title not in body
        assert "CANARY" not in body
        # Nobody out of scope even learns that tickets are there.
        assert 'data-testid="similar"' not in body
    client.force_login(w.users["district_admin"])
    assert secret.title in client.get("/tickets/similar/", params).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_at_once_one_wins_one_is_told(world: World) -> None:
    """Two threads, two database connections, the same ticket at the same version."""
    w = world
    t = TicketFactory(world=w)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(unit_code: str) -> None:
        try:
            mine = Ticket.objects.select_related("category__policy").get(pk=t.pk)
            barrier.wait(timeout=10)
            services.dispatch(
                actor=w.users["district_admin"],
                ticket=mine,
                version=mine.version,
                unit=w.units[unit_code],
            )
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(code,)) for code in ("education", "hr")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    t.refresh_from_db()
    assert t.round == 1
    assert Transition.objects.filter(ticket=t, name="dispatch").count() == 1


def test_work_failing_verification_and_then_overdue_counts_as_overdue(world: World) -> None:
    """The sweep's red card and the fold of the log agree on the facts (incremental = rebuilt)."""
    from gridlight.tickets import facts, sweeper

    w = world
    admin, secretary, staff = (
        w.users["district_admin"],
        w.users["community_secretary"],
        w.users["street_staff"],
    )
    t = services.submit(
        actor=secretary,
        intake=services.Intake(
            category=Category.objects.get(code="sanitation"),
            region=w.secret_grid,
            title="垃圾堆放",
            description="楼道堆放杂物",
            source="grid",
        ),
    )
    t = services.dispatch(
        actor=admin,
        ticket=t,
        version=t.version,
        unit=w.units[f"street-{w.secret_street.code}"],
        at=datetime(2025, 9, 30, 15, 0, tzinfo=SHANGHAI),
    )
    t = services.sign(actor=staff, ticket=t, version=t.version)
    t = services.handle(actor=staff, ticket=t, version=t.version, result="已清理")
    t = services.verify(actor=secretary, ticket=t, version=t.version, passed=False, note="未完")
    sweeper.sweep(now=datetime(2025, 10, 20, 9, 0, tzinfo=SHANGHAI))
    incremental = list(DispatchFact.objects.filter(ticket=t).values())
    assert incremental[0]["overdue"] is True
    facts.rebuild()
    assert list(DispatchFact.objects.filter(ticket=t).values()) == [
        {**incremental[0], "id": DispatchFact.objects.get(ticket=t).pk}
    ]
