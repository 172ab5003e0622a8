"""The synthetic ticket history: consistent with the lifecycle and with the facts folded from its
log, and idempotent."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from gridlight.tickets import facts
from gridlight.tickets.demo import build_tickets
from gridlight.tickets.models import (
    OPEN_STATUSES,
    CloseReason,
    DispatchFact,
    Status,
    Ticket,
    Transition,
)
from tests.conftest import World

COUNT = 2000
FIELDS = ("category_id", "region_path", "street_id", "talent", *facts.FACT_FIELDS)


def _facts() -> dict[tuple[int, int], tuple[object, ...]]:
    return {
        (f.ticket_id, f.round): tuple(getattr(f, name) for name in FIELDS)
        for f in DispatchFact.objects.all()
    }


@pytest.fixture
def built(world: World) -> World:
    before = Ticket.objects.count()
    added = build_tickets(COUNT, district=world.district, seed=7)
    assert added == COUNT - before
    return world


def test_every_ticket_folds_to_its_stored_facts(built: World) -> None:
    logs: dict[int, list[Transition]] = defaultdict(list)
    for t in Transition.objects.order_by("ticket_id", "at", "id"):
        logs[t.ticket_id].append(t)
    stored = _facts()
    expected = {}
    for ticket in Ticket.objects.all():
        for r in facts.fold(logs[ticket.pk]).values():
            expected[(ticket.pk, r.round)] = (
                ticket.category_id,
                ticket.region_path,
                ticket.street_id,
                ticket.talent,
                *(getattr(r, name) for name in facts.FACT_FIELDS),
            )
    assert stored == expected
    # And the facts are what rebuilding them from the log makes.
    facts.rebuild()
    assert _facts() == stored


def test_status_and_fields_follow_the_log(built: World) -> None:
    logs: dict[int, list[Transition]] = defaultdict(list)
    for t in Transition.objects.order_by("ticket_id", "at", "id"):
        logs[t.ticket_id].append(t)
    for ticket in Ticket.objects.filter(pk__gt=built.open_ticket.pk):
        log = logs[ticket.pk]
        assert log[0].name == "submit"
        assert ticket.status == log[-1].target, ticket.pk
        assert ticket.version == len(log), ticket.pk
        assert all(a.target == b.source for a, b in itertools.pairwise(log)), ticket.pk
        assert all(a.at < b.at for a, b in itertools.pairwise(log)), ticket.pk
        dispatches = [t for t in log if t.name in ("dispatch", "reopen")]
        assert ticket.round == len(dispatches)
        assert [t.round for t in dispatches] == list(range(1, ticket.round + 1))
        assert ticket.return_count == sum(t.name == "send_back" for t in log)
        assert ticket.reopen_count == sum(t.name == "reopen" for t in log)
        if dispatches:
            assert ticket.unit_id == dispatches[-1].data["unit"]
            assert ticket.dispatched_at == dispatches[-1].at
        if ticket.status == Status.CLOSED:
            assert ticket.closed_at == log[-1].at
            assert ticket.close_reason == (log[-1].data.get("reason") or "withdrawn")
        assert ticket.created_at <= timezone.now()
        assert ticket.street_id is not None
        assert ticket.region_path.startswith(built.district.path + ".")


def test_the_mix_is_realistic(built: World) -> None:
    tickets = Ticket.objects.filter(pk__gt=built.open_ticket.pk)
    statuses = Counter(tickets.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > COUNT * 0.9
    assert sum(statuses[s] for s in OPEN_STATUSES) >= 1
    first = DispatchFact.objects.filter(round=1, handled=True)
    late = first.filter(handled_on_time=False).count() / first.count()
    assert 0.02 < late < 0.15
    rated = DispatchFact.objects.filter(rated=True)
    assert rated.filter(satisfied=True).count() / rated.count() > 0.85
    assert tickets.filter(return_count__gt=0).exists()
    assert tickets.filter(reopen_count__gt=0).exists()
    assert Transition.objects.filter(name="card", data__card="red").exists()
    oldest = tickets.order_by("created_at").first()
    assert oldest is not None
    assert oldest.created_at < timezone.now() - timedelta(days=365 * 2)
    talent = tickets.filter(talent=True)
    resolved = talent.filter(status=Status.CLOSED, close_reason=CloseReason.RESOLVED)
    assert resolved.count() >= talent.count() * 0.7 > 0
    # At the demo's size (1,000,000 tickets) this share is the district's 500+ solved problems.
    assert resolved.count() / tickets.count() * 1_000_000 >= 500
    assert set(resolved.values_list("satisfaction", flat=True)) <= {"satisfied", "basic", ""}


def test_building_again_adds_nothing(built: World) -> None:
    counts = (Ticket.objects.count(), Transition.objects.count(), DispatchFact.objects.count())
    assert build_tickets(COUNT, district=built.district, seed=7) == 0
    assert (
        Ticket.objects.count(),
        Transition.objects.count(),
        DispatchFact.objects.count(),
    ) == counts
    # A larger target tops up; ids continue after the existing ones.
    assert build_tickets(COUNT + 50, district=built.district, seed=7) == 50
    assert Ticket.objects.count() == COUNT + 50


def test_the_sweeper_finds_the_open_overdue_tickets_and_facts_stay_folded(built: World) -> None:
    from gridlight.tickets.sweeper import sweep

    sweep(now=timezone.now())
    assert sweep(now=timezone.now())["red"] == 0  # a second pass changes nothing
    logs: dict[int, list[Transition]] = defaultdict(list)
    for t in Transition.objects.order_by("ticket_id", "at", "id"):
        logs[t.ticket_id].append(t)
    for f in DispatchFact.objects.all():
        r = facts.fold(logs[f.ticket_id])[f.round]
        assert f.overdue == r.overdue, f.ticket_id
