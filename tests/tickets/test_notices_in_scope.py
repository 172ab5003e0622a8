"""Notices, inbox counts and similar-ticket suggestions reach only those who may see the ticket:
the out-of-scope twins (a department's member in the other district, a street office member from
another street, a grid worker of the next grid) learn neither a title nor a count."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridlight.core.models import Region, User
from gridlight.tickets import notify, selectors, services, sweeper
from gridlight.tickets.models import Category, Message, Notice, NoticeStatus, Ticket
from tests.conftest import CANARY, World, login
from tests.factories import RegionFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_outbox(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def _told(notice: Notice) -> set[User]:
    return {m.user for m in Message.objects.filter(notice=notice).select_related("user")}


def _inbox_page(user: User) -> str:
    client = login(user)
    page = client.get("/tickets/inbox/")
    assert page.status_code == 200
    return page.content.decode()


def test_a_unit_member_in_another_district_is_not_told_the_ticket(world: World) -> None:
    w = world
    handler, twin = w.users["department_handler"], w.twins["department_handler"]
    assert set(w.units["education"].members.all()) == {handler, twin}
    notice = Notice.objects.get(ticket=w.secret_ticket, kind="dispatched")
    assert notice.status == NoticeStatus.PENDING
    notify.send_pending()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    assert _told(notice) == {handler}
    assert not Message.objects.filter(user=twin).exists()
    assert CANARY not in _inbox_page(twin)
    assert CANARY in _inbox_page(handler)
    assert selectors.inbox(twin).filter(read_at__isnull=True).count() == 0


def test_sweeper_notices_reach_only_members_who_see_the_ticket(world: World) -> None:
    w = world
    t = Ticket.objects.get(pk=w.secret_ticket.pk)
    assert t.supervise_at is not None
    counts = sweeper.sweep(now=t.supervise_at)
    assert counts["notices"] == 2  # the red card and the supervision
    notify.send_pending()
    for notice in Notice.objects.filter(ticket=t, kind__in=sweeper.KINDS.values()):
        assert _told(notice) == {w.users["department_handler"]}, notice.kind


def test_a_street_office_member_from_another_street_is_not_told(world: World) -> None:
    """A membership that reaches outside the member's own scope (set up by mistake, or left
    from an old post) does not open the ticket to them."""
    w = world
    office = w.units[f"street-{w.secret_street.code}"]
    office.members.add(w.twins["street_staff"])
    t = services.submit(
        actor=w.users["resident"],
        intake=services.Intake(
            category=Category.objects.get(code="noise"),
            region=w.secret_grid,
            title=f"{CANARY}噪音",
            description="夜间施工",
        ),
    )
    services.dispatch(actor=w.users["district_admin"], ticket=t, version=t.version, unit=office)
    notify.send_pending()
    notice = Notice.objects.get(ticket=t, kind="dispatched")
    assert _told(notice) == {w.users["street_staff"]}
    assert CANARY not in _inbox_page(w.twins["street_staff"])


def test_the_inbox_hides_a_message_about_a_ticket_out_of_sight(world: World) -> None:
    """A message delivered before (or to someone whose post has since moved) is not shown,
    and not counted as unread on the home page."""
    w = world
    twin = w.twins["department_handler"]
    notice = Notice.objects.get(ticket=w.secret_ticket, kind="dispatched")
    Message.objects.create(
        notice=notice,
        user=twin,
        text=notice.text,
        ticket=w.secret_ticket,
        created_at=notice.created_at,
    )
    assert CANARY not in _inbox_page(twin)
    assert selectors.inbox(twin).count() == 0
    home = login(twin).get("/")
    assert CANARY not in home.content.decode()
    assert Message.objects.get(user=twin).read_at is None  # not shown, so not marked read


def test_the_requester_is_still_told(world: World) -> None:
    w = world
    own = services.submit(
        actor=w.users["resident"],
        intake=services.Intake(
            category=Category.objects.get(code="noise"),
            region=w.open_grid,
            title="我的噪音",
            description="夜间施工",
        ),
    )
    services.reject(
        actor=w.users["district_admin"], ticket=own, version=own.version, reason="已处理"
    )
    notify.send_pending()
    assert _told(Notice.objects.get(ticket=own, kind="rejected")) == {w.users["resident"]}


# --- similar tickets --------------------------------------------------------------------------


def _sibling_grid_worker(world: World) -> tuple[Region, User]:
    """A grid next to the open grid, in the same community, with its own grid worker."""
    grid = RegionFactory(parent=world.open_community, kind="grid", code="90000100200102")
    worker = UserFactory(username="grid_worker-next")
    assign(worker, "grid_worker", grid)
    return grid, worker


def test_similar_tickets_in_the_next_grid_are_neither_shown_nor_counted(world: World) -> None:
    w = world
    grid, worker = _sibling_grid_worker(w)
    noise = Category.objects.get(code="noise")
    assert w.open_ticket.category == noise  # open, in the open grid, in the same community
    found = selectors.similar_open(worker, category=noise, region_path=grid.path)
    assert found.shown == []
    assert found.others == 0
    client = login(worker)
    page = client.get("/tickets/similar/", {"category": "noise", "region": grid.code})
    assert page.status_code == 200
    assert 'data-testid="similar"' not in page.content.decode()
    # The community's secretary sees the community's tickets, this one included.
    secretary = selectors.similar_open(
        w.twins["community_secretary"], category=noise, region_path=grid.path
    )
    assert w.open_ticket in secretary.shown


def test_similar_counts_are_what_the_person_may_see_beyond_those_shown(world: World) -> None:
    w = world
    noise = Category.objects.get(code="noise")
    for i in range(6):
        services.submit(
            actor=w.users["district_admin"],
            intake=services.Intake(
                category=noise,
                region=w.open_grid,
                title=f"噪音{i}",
                description="夜间施工",
                source="hotline",
            ),
        )
    admin = selectors.similar_open(
        w.users["district_admin"], category=noise, region_path=w.open_grid.path
    )
    assert len(admin.shown) == 5
    assert admin.others == 2  # seven open in all
    for role in ("resident", "grid_worker", "street_staff", "department_handler"):
        stranger = selectors.similar_open(
            w.users[role], category=noise, region_path=w.open_grid.path
        )
        assert (stranger.shown, stranger.others) == ([], 0), role
    page = Client()
    page.force_login(w.twins["resident"])
    body = page.get(
        "/tickets/similar/", {"category": "noise", "region": w.open_grid.code}
    ).content.decode()
    assert 'data-testid="similar"' not in body
