"""The supervision sweeper and the outbox sender: cards and supervision at the right moments,
idempotent sweeps, deadlines moved by an extension, and each notice delivered once."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from gridlight.core.workdays import district_calendar
from gridlight.tickets import deadlines, notify, services, sweeper
from gridlight.tickets.models import (
    Category,
    DispatchFact,
    Message,
    Notice,
    NoticeStatus,
    Ticket,
    Transition,
    Unit,
)
from tests.conftest import SECRET_PHONE, World
from tests.factories import DispatchedTicketFactory

SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def sms_outbox(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path / notify.SMS_OUTBOX


def _monday() -> datetime:
    return timezone.make_aware(datetime(2025, 3, 3, 10, 0))


def _cards(t: Ticket) -> list[Any]:
    return list(
        Transition.objects.filter(ticket=t, name__in=["card", "supervise"])
        .order_by("id")
        .values_list("name", "data", "actor_id", "round", "source", "target")
    )


def _notices(t: Ticket) -> list[str]:
    return list(
        Notice.objects.filter(ticket=t, unit__isnull=False)
        .order_by("id")
        .values_list("key", flat=True)
    )


def test_cards_and_supervision_at_their_moments(world: World) -> None:
    t = DispatchedTicketFactory(world=world, at=_monday())
    assert t.yellow_at
    assert t.due_at
    assert t.supervise_at
    assert t.yellow_at < t.due_at < t.supervise_at
    version = t.version
    base = Notice.objects.count()

    sweeper.sweep(now=t.yellow_at - SECOND)
    t.refresh_from_db()
    assert (t.card, t.supervised, t.version) == ("", False, version)

    counts = sweeper.sweep(now=t.yellow_at)
    t.refresh_from_db()
    assert counts["yellow"] == 1
    assert counts["red"] == 0
    assert counts["notices"] == 1
    assert t.card == "yellow"
    assert t.version == version + 1
    assert _cards(t) == [("card", {"card": "yellow"}, None, 1, "dispatched", "dispatched")]
    assert _notices(t)[-1] == sweeper.notice_key(t.pk, "card-yellow", 1, t.due_at)
    notice = Notice.objects.get(key=_notices(t)[-1])
    assert notice.unit_id == t.unit_id
    assert notice.kind == "yellow_card"
    assert t.number in notice.text
    assert t.title in notice.text
    # The deadline as its last day (built in SQL, the same words as deadlines.deadline_label).
    assert deadlines.deadline_label(t.due_at) in notice.text
    assert f"{deadlines.due_day(t.due_at):%Y-%m-%d} 当日" in notice.text
    assert ":00" not in notice.text
    assert not DispatchFact.objects.get(ticket=t).overdue

    sweeper.sweep(now=t.due_at - SECOND)
    t.refresh_from_db()
    assert t.card == "yellow"
    assert t.version == version + 1

    counts = sweeper.sweep(now=t.due_at)
    t.refresh_from_db()
    assert counts["red"] == 1
    assert t.card == "red"
    assert t.version == version + 2
    assert DispatchFact.objects.get(ticket=t).overdue
    assert _notices(t)[-1] == sweeper.notice_key(t.pk, "card-red", 1, t.due_at)

    counts = sweeper.sweep(now=t.supervise_at)
    t.refresh_from_db()
    assert counts["supervised"] == 1
    assert t.supervised
    assert t.version == version + 3
    assert _cards(t)[-1][:2] == ("supervise", {})
    assert _notices(t)[-1] == sweeper.notice_key(t.pk, "supervise", 1, t.due_at)
    assert Notice.objects.count() == base + 3

    # Idempotent: the same moment again, or later, changes nothing and queues nothing.
    for moment in (t.supervise_at, t.supervise_at + timedelta(days=30)):
        again = sweeper.sweep(now=moment)
        assert again == {"yellow": 0, "red": 0, "supervised": 0, "notices": 0, "batches": 0}
    t.refresh_from_db()
    assert t.version == version + 3
    assert len(_cards(t)) == 3
    assert Notice.objects.count() == base + 3


def test_a_ticket_found_overdue_goes_straight_to_red(world: World) -> None:
    t = DispatchedTicketFactory(world=world, at=_monday())
    assert t.supervise_at is not None
    counts = sweeper.sweep(now=t.supervise_at + timedelta(days=1))
    t.refresh_from_db()
    assert counts["yellow"] == 0
    assert counts["red"] == 1
    assert counts["supervised"] == 1
    assert (t.card, t.supervised) == ("red", True)
    # One version step for both changes; the card is logged before the supervision.
    assert [c[0] for c in _cards(t)] == ["card", "supervise"]
    assert [k.split(":")[1] for k in _notices(t)[-2:]] == ["card-red", "supervise"]


def test_handled_tickets_and_other_statuses_are_not_swept(world: World) -> None:
    w = world
    handler = w.users["department_handler"]
    t = DispatchedTicketFactory(world=w, at=_monday())
    t = services.sign(actor=handler, ticket=t, version=t.version)
    t = services.handle(actor=handler, ticket=t, version=t.version, result="已协调")
    waiting = services.submit(
        actor=w.users["resident"],
        intake=services.Intake(
            category=Category.objects.get(code="school_enrolment"),
            region=w.open_grid,
            title="未派单",
            description="未派单",
        ),
    )
    before = {x.pk: x.version for x in (t, waiting)}
    assert t.supervise_at is not None
    sweeper.sweep(now=t.supervise_at + timedelta(days=1))
    for x in (t, waiting):
        x.refresh_from_db()
        assert x.card == ""
        assert not x.supervised
        assert x.version == before[x.pk]
    assert _cards(t) == []
    assert _cards(waiting) == []


def test_many_tickets_in_small_batches(world: World) -> None:
    tickets = [DispatchedTicketFactory(world=world, at=_monday()) for _ in range(7)]
    moment = tickets[0].supervise_at
    assert moment is not None
    counts = sweeper.sweep(now=moment, batch=3)
    assert counts["red"] == 7
    assert counts["supervised"] == 7
    assert counts["notices"] == 14
    assert counts["batches"] == 3
    assert sweeper.sweep(now=moment, batch=3)["batches"] == 0
    assert all(t.card == "red" for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]))


def _recently_overdue(w: World) -> Ticket:
    """A ticket whose deadline passed a moment ago (not yet its supervision)."""
    now = timezone.now()
    policy = Category.objects.get(code="school_enrolment").policy
    for days in range(5, 40):
        at = now - timedelta(days=days)
        if deadlines.for_dispatch(district_calendar(), policy, at).due_at < now:
            return DispatchedTicketFactory(world=w, at=at)
    raise AssertionError("no dispatch moment found")


def test_an_extension_moves_the_deadline_and_the_cards_start_again(world: World) -> None:
    w = world
    handler, admin = w.users["department_handler"], w.users["district_admin"]
    t = _recently_overdue(w)
    sweeper.sweep(now=timezone.now())
    t.refresh_from_db()
    assert t.card == "red"
    assert t.due_at is not None
    first_red = sweeper.notice_key(t.pk, "card-red", 1, t.due_at)
    assert Notice.objects.filter(key=first_red).exists()

    t = services.sign(actor=handler, ticket=t, version=t.version)
    t = services.request_extension(
        actor=handler, ticket=t, version=t.version, days=10, reason="协调"
    )
    t = services.decide_extension(actor=admin, ticket=t, version=t.version, approve=True)
    t.refresh_from_db()
    assert t.card == ""
    assert not t.supervised
    assert t.yellow_at
    assert t.due_at
    assert t.yellow_at > timezone.now()

    assert sweeper.sweep(now=timezone.now())["batches"] == 0
    sweeper.sweep(now=t.yellow_at)
    t.refresh_from_db()
    assert t.card == "yellow"
    sweeper.sweep(now=t.due_at)
    t.refresh_from_db()
    assert t.card == "red"
    second_red = sweeper.notice_key(t.pk, "card-red", 1, t.due_at)
    assert second_red != first_red
    assert Notice.objects.filter(ticket=t, kind="red_card").count() == 2


def test_management_commands(
    world: World, capsys: pytest.CaptureFixture[str], settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path  # the sweep also expires old export files: not the real ones
    t = _recently_overdue(world)
    call_command("sweep_tickets")
    out = capsys.readouterr().out
    assert "red 1" in out
    assert "sent" in out
    t.refresh_from_db()
    assert t.card == "red"
    assert not Notice.objects.filter(status=NoticeStatus.PENDING).exists()
    call_command("run_scheduler", "--once")
    out = capsys.readouterr().out
    assert "red 0" in out
    assert "exports expired 0" in out


# --- the sender -------------------------------------------------------------------------------


def _members(unit: Unit) -> set[int]:
    return set(unit.members.values_list("pk", flat=True))


def test_send_pending_delivers_each_notice_once_to_the_unit(world: World) -> None:
    w = world
    t = DispatchedTicketFactory(world=w, at=_monday())
    assert t.supervise_at is not None
    sweeper.sweep(now=t.supervise_at)
    pending = list(Notice.objects.filter(status=NoticeStatus.PENDING))
    assert len(pending) >= 3
    assert _members(w.units["education"]) == {
        w.users["department_handler"].pk,
        w.twins["department_handler"].pk,
    }
    # The twin, a member of the unit in the other district, may not see the ticket.
    members = {w.users["department_handler"].pk}

    assert notify.send_pending(batch=2) == len(pending)
    for n in pending:
        n.refresh_from_db()
        assert n.status == NoticeStatus.SENT
        assert n.sent_at
        assert n.attempts == 1
        users = set(Message.objects.filter(notice=n).values_list("user_id", flat=True))
        assert users == ({n.recipient_id} if n.recipient_id else members)
    sweep_notices = Notice.objects.filter(ticket=t, kind__in=sweeper.KINDS.values())
    assert sweep_notices.count() == 2  # red card and supervision
    assert Message.objects.filter(notice__in=sweep_notices).count() == 2 * len(members)
    messages = Message.objects.count()

    assert notify.send_pending() == 0
    # Even a notice put back to pending (a sender that died after delivering) adds no message.
    Notice.objects.filter(pk__in=[n.pk for n in pending]).update(status=NoticeStatus.PENDING)
    assert notify.send_pending() == len(pending)
    assert Message.objects.count() == messages


def test_the_requester_gets_an_sms_once(world: World, sms_outbox: Path) -> None:
    w = world
    t = DispatchedTicketFactory(world=w, at=timezone.now(), requester_phone=SECRET_PHONE)
    t = services.sign(actor=w.users["department_handler"], ticket=t, version=t.version)
    t = services.handle(
        actor=w.users["department_handler"], ticket=t, version=t.version, result="好"
    )
    notice = Notice.objects.get(ticket=t, kind="handled")
    assert notice.recipient_id == w.users["resident"].pk
    notify.send_pending()
    lines = [json.loads(x) for x in sms_outbox.read_text(encoding="utf-8").splitlines()]
    mine = [x for x in lines if x["key"] == notice.key]
    assert len(mine) == 1
    assert mine[0]["phone_masked"] == "139****0001"
    assert SECRET_PHONE not in sms_outbox.read_text()
    assert Message.objects.filter(notice=notice, user=w.users["resident"]).count() == 1
    # A sender that died after the provider took the SMS, before its commit, sends it again
    # with the same idempotency key: the provider drops the repeat.
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.PENDING)
    notify.send_pending()
    lines = [json.loads(x) for x in sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert [x["key"] for x in lines].count(notice.key) == 1
    assert Message.objects.filter(notice=notice).count() == 1


class _Broken:
    def send_many(self, messages: Any) -> set[str]:
        raise ConnectionError("gateway down")


def test_a_failed_sms_is_tried_again_later(world: World, sms_outbox: Path) -> None:
    w = world
    t = DispatchedTicketFactory(world=w, at=timezone.now(), requester_phone=SECRET_PHONE)
    t = services.sign(actor=w.users["department_handler"], ticket=t, version=t.version)
    t = services.handle(
        actor=w.users["department_handler"], ticket=t, version=t.version, result="好"
    )
    notice = Notice.objects.get(ticket=t, kind="handled")
    notify.send_pending(sms=_Broken())
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PENDING
    assert notice.attempts == 1
    assert Message.objects.filter(notice=notice).count() == 1  # in-app delivered already
    notify.send_pending()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    assert notice.attempts == 2
    assert Message.objects.filter(notice=notice).count() == 1
    for _ in range(notify.MAX_ATTEMPTS):
        Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.PENDING)
        notify.send_pending(sms=_Broken())
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_senders_at_once_deliver_each_notice_once(world: World) -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name):
        pytest.skip("two threads need a database file, not SQLite in memory")
    unit = world.units["education"]
    now = timezone.now()
    already = Notice.objects.filter(status=NoticeStatus.PENDING).count()  # the world's dispatch
    Notice.objects.bulk_create(
        Notice(key=f"test:{i}", kind="test", unit=unit, text=f"notice {i}", created_at=now)
        for i in range(300)
    )
    members = _members(unit)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            barrier.wait()
            results.append(notify.send_pending(batch=7))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    assert sum(results) == 300 + already
    assert (
        not Notice.objects.filter(key__startswith="test:")
        .exclude(status=NoticeStatus.SENT)
        .exists()
    )
    assert Message.objects.filter(notice__key__startswith="test:").count() == 300 * len(members)


class _Refuses(notify.FakeSmsGateway):
    """The fake gateway, refusing some numbers (as a provider refuses a barred phone) and
    counting its calls."""

    def __init__(self, path: Path, refused: set[str]) -> None:
        super().__init__(path)
        self.refused = refused
        self.calls = 0

    def send_many(self, messages: Any) -> set[str]:
        self.calls += 1
        super().send_many([m for m in messages if m.phone not in self.refused])
        return {m.key for m in messages if m.phone in self.refused}


def _phone_notices(n: int, phones: list[str]) -> list[Notice]:
    from gridlight.core.crypto import encrypt

    now = timezone.now()
    return Notice.objects.bulk_create(
        Notice(
            key=f"phone:{i}",
            kind="policy_push",
            text=f"notice {i}",
            phone_enc=encrypt(phones[i % len(phones)]),
            created_at=now,
        )
        for i in range(n)
    )


def test_a_batch_is_texted_in_one_call_and_a_refused_sms_alone_is_tried_again(
    world: World, sms_outbox: Path
) -> None:
    notices = _phone_notices(10, ["13900000001", "13900000002"])
    gateway = _Refuses(sms_outbox, refused={"13900000002"})
    pending = Notice.objects.filter(status=NoticeStatus.PENDING).count()
    assert notify.send_pending(batch=500, sms=gateway) == pending - 5
    assert gateway.calls == 1  # one batch, one call: one lock and one append
    refused = {n.key for n in notices[1::2]}
    for n in Notice.objects.filter(key__startswith="phone:"):
        assert (n.status, n.attempts) == (
            (NoticeStatus.PENDING, 1) if n.key in refused else (NoticeStatus.SENT, 1)
        )
    lines = [json.loads(x) for x in sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert sorted(x["key"] for x in lines) == sorted(n.key for n in notices[::2])
    assert {x["phone_masked"] for x in lines} == {"139****0001"}

    # The number is unbarred: the five are sent, each once; the others are not sent again.
    gateway.refused.clear()
    assert notify.send_pending(sms=gateway) == 5
    assert not Notice.objects.filter(key__startswith="phone:", status=NoticeStatus.PENDING).exists()
    keys = [json.loads(x)["key"] for x in sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert sorted(keys) == sorted(n.key for n in notices)


def test_the_fake_gateway_drops_a_repeated_key_in_a_batch_and_across_senders(
    sms_outbox: Path,
) -> None:
    first, second = notify.FakeSmsGateway(sms_outbox), notify.FakeSmsGateway(sms_outbox)
    a, b, c = (notify.Sms(f"k{i}", "13900000001", f"text {i}") for i in range(3))
    assert first.send_many([a, b]) == set()
    # Another sender (its own process, its own memory of keys) repeats one: dropped.
    assert second.send_many([b, c]) == set()
    assert first.send_many([a, b, c]) == set()
    keys = [json.loads(x)["key"] for x in sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert keys == ["k0", "k1", "k2"]
