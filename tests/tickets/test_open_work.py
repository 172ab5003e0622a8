"""Open work — the dispatch console, the worklist, the supervision board, the home page's tiles —
is read through the partial index of open tickets, with a number of queries that does not grow
with the tickets listed."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gridlight.core.access import Perm
from gridlight.core.models import Region
from gridlight.tickets import selectors, services
from gridlight.tickets.models import Card, Category, Status, Ticket, Unit
from tests.conftest import World, login
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(world: World, n: int) -> None:
    """``n`` more tickets in each dispatch section, in new streets (each with its office, so
    street categories suggest a different unit per ticket), held by units, carded."""
    from gridlight.tickets.catalogue import ensure_units

    admin = world.users["district_admin"]
    for i in range(n):
        street = RegionFactory(
            parent=world.district, kind="street", code=f"ST-{n}-{i}", name=f"增长街道{n}-{i}"
        )
        community = RegionFactory(
            parent=street, kind="community", code=f"SC-{n}-{i}", name=f"增长社区{n}-{i}"
        )
        for code, then in (("sanitation", ""), ("neighbours", "accept"), ("noise", "dispatch")):
            t = services.submit(
                actor=admin,
                intake=services.Intake(
                    category=Category.objects.get(code=code),
                    region=community,
                    title=f"增长{code}{n}-{i}",
                    description="增长",
                ),
            )
            if then:
                t = services.accept(actor=admin, ticket=t, version=t.version)
            if then == "dispatch":
                services.dispatch(
                    actor=admin, ticket=t, version=t.version, unit=world.units["education"]
                )
    ensure_units(world.district)  # the new streets' offices
    Ticket.objects.filter(status=Status.DISPATCHED).update(card=Card.RED)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("district_admin", "/tickets/dispatch/"),
        ("district_admin", "/tickets/supervision/"),
        ("district_admin", "/"),
        ("department_handler", "/tickets/work/"),
        ("department_handler", "/"),
        ("street_staff", "/tickets/dispatch/"),
    ],
)
def test_open_work_pages_use_a_fixed_number_of_queries(world: World, role: str, url: str) -> None:
    client = login(world.users[role])
    _grow(world, 2)
    small = _queries(client, url)
    _grow(world, 6)
    assert Ticket.objects.filter(status=Status.SUBMITTED).count() >= 8
    assert _queries(client, url) == small


def test_the_console_suggests_each_tickets_street_office(world: World) -> None:
    _grow(world, 2)
    body = login(world.users["district_admin"]).get("/tickets/dispatch/").content.decode()
    for i in range(2):
        street = Region.objects.get(code=f"ST-2-{i}")
        office = Unit.objects.get(code=f"street-{street.code}")
        # The sanitation ticket of that street is offered to that street's office.
        row = body.split(f"增长sanitation2-{i}")[1].split("</tr>")[0]
        assert f'value="{office.pk}" selected' in row


def test_open_work_is_read_through_the_partial_index(world: World) -> None:
    """SQLite uses a partial index only when the query repeats its condition term for term with
    the same constants; open_work() writes them so. PostgreSQL proves the implication itself but
    chooses by cost, and a test's few rows make any index as cheap: there the other indexes are
    dropped (inside the test's transaction) and sequential scans made dear, so the plan shows
    whether the partial index can serve the query at all."""
    mine = selectors.open_work_for(world.users["district_admin"], Perm.TICKET_DISPATCH)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'tickets_ticket' "
                "AND indexname <> 'ticket_open_path' AND indexdef NOT LIKE '%%UNIQUE%%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SET LOCAL enable_seqscan = off")
    plans = [
        mine.filter(status=Status.SUBMITTED).explain(),
        mine.filter(status__in=[Status.DISPATCHED, Status.SIGNED]).explain(),
        mine.values("unit_id").order_by().explain(),
    ]
    for plan in plans:
        assert "ticket_open_path" in plan, plan
