"""The Celery path against a real Redis: a real worker process runs the sweep and the sender, and
survives being killed mid-sweep without losing or doubling anything.

The worker is ``python -m celery -A gridlight.celery worker --pool=solo`` on a queue of its own
(Redis database 14 unless GRIDLIGHT_TEST_REDIS_URL says otherwise), reading the test database:
PostgreSQL through DATABASE_URL, SQLite through GRIDLIGHT_DATA_DIR pointing at the folder of the
test database file (tests/conftest.py keeps it in a file, not in memory). The tests are skipped
when Redis cannot be reached, unless GRIDLIGHT_REQUIRE_REDIS=1 (CI), which makes that a failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from gridlight.tickets import notify, services, sweeper
from gridlight.tickets.models import (
    Message,
    Notice,
    NoticeStatus,
    Ticket,
    Transition,
    Unit,
)
from tests.conftest import SECRET_PHONE, World
from tests.factories import DispatchedTicketFactory

REDIS_URL = os.environ.get("GRIDLIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
REPO = Path(__file__).resolve().parents[2]
SWEEP = "gridlight.tickets.sweep_tickets"
SEND = "gridlight.tickets.send_notices"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("GRIDLIGHT_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is required (GRIDLIGHT_REQUIRE_REDIS=1): {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({exc}); the Celery tests need it")
    return REDIS_URL


class Worker:
    """A Celery worker process of our own, on a queue of its own."""

    def __init__(self, env: dict[str, str], queue: str, log: Path) -> None:
        self.queue = queue
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "gridlight.celery",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    queue,
                    "-n",
                    f"{queue}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class Harness:
    def __init__(self, redis_url: str, data_dir: Path, env: dict[str, str], tmp: Path) -> None:
        from celery import Celery  # type: ignore[import-untyped]

        self.data_dir = data_dir
        self.env = env
        self.tmp = tmp
        self.queue = f"gridlight-test-{uuid.uuid4().hex[:12]}"
        self.client = Celery("gridlight-test-client", broker=redis_url, backend=redis_url)
        self.workers: list[Worker] = []

    def start(self, **extra: str) -> Worker:
        worker = Worker({**self.env, **extra}, self.queue, self.tmp / "worker.log")
        self.workers.append(worker)
        return worker

    def send(self, name: str, **kwargs: Any) -> Any:
        return self.client.send_task(name, kwargs=kwargs, queue=self.queue)

    def run(self, name: str, timeout: float = 120, **kwargs: Any) -> Any:
        try:
            return self.send(name, **kwargs).get(timeout=timeout)
        except Exception:
            print(self.log_text())  # the worker's side of the story
            raise

    def log_text(self) -> str:
        path = self.tmp / "worker.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def sms_file(self) -> Path:
        return self.data_dir / notify.SMS_OUTBOX

    def sms_keys(self) -> list[str]:
        if not self.sms_file.exists():
            return []
        lines = self.sms_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(x)["key"] for x in lines if x.strip()]


@pytest.fixture
def harness(redis_url: str, transactional_db: None, tmp_path: Path) -> Iterator[Harness]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gridlight.settings",
        "GRIDLIGHT_BROKER_URL": redis_url,
        "GRIDLIGHT_RESULT_BACKEND": redis_url,
        # A task whose worker was killed is handed out again after 5 s, not an hour.
        "GRIDLIGHT_BROKER_VISIBILITY_TIMEOUT": "5",
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop(sweeper.PAUSE_ENV, None)
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "127.0.0.1"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
        data_dir = tmp_path
    else:
        path = Path(str(db["NAME"]))
        if path.name != "gridlight.sqlite3":
            pytest.fail("the SQLite test database must be a file named gridlight.sqlite3")
        env.pop("DATABASE_URL", None)
        data_dir = path.parent
    env["GRIDLIGHT_DATA_DIR"] = str(data_dir)
    h = Harness(redis_url, data_dir, env, tmp_path)
    h.sms_file.unlink(missing_ok=True)
    try:
        yield h
    finally:
        for w in h.workers:
            w.stop()
        h.client.close()


def _handled(w: World) -> Ticket:
    """A ticket handled just now: its requester (with a phone) is notified, also by SMS."""
    handler = w.users["department_handler"]
    t = DispatchedTicketFactory(world=w, at=timezone.now(), requester_phone=SECRET_PHONE)
    t = services.sign(actor=handler, ticket=t, version=t.version)
    return services.handle(actor=handler, ticket=t, version=t.version, result="已协调")


def _long_ago() -> datetime:
    return timezone.make_aware(datetime(2025, 3, 3, 10, 0))


def _recipients(n: Notice) -> set[int]:
    """The requester, or the unit's members who may see the ticket: the department's member
    in the other district (the department handler's twin) is not told."""
    if n.recipient_id:
        return {n.recipient_id}
    members = Unit.members.through.objects.filter(unit_id=n.unit_id or 0).exclude(
        user__username="department_handler-twin"
    )
    return set(members.values_list("user_id", flat=True))


def _assert_delivered_once(h: Harness) -> None:
    assert not Notice.objects.exclude(status=NoticeStatus.SENT).exists()
    for n in Notice.objects.all():
        users = list(Message.objects.filter(notice=n).values_list("user_id", flat=True))
        assert sorted(users) == sorted(_recipients(n)), n.key
    keys = h.sms_keys()
    assert len(keys) == len(set(keys)), "an SMS was sent twice"
    requester_notices = Notice.objects.filter(ticket__requester_phone_enc__gt="").exclude(
        recipient=None
    )
    assert set(keys) == set(requester_notices.values_list("key", flat=True))


def test_a_worker_sweeps_and_sends(world: World, harness: Harness) -> None:
    overdue = DispatchedTicketFactory(world=world, at=_long_ago())
    handled = _handled(world)
    harness.start()
    counts = harness.run(SWEEP)
    assert counts["red"] == 1
    assert counts["supervised"] == 1
    assert counts["notices"] == 2
    overdue.refresh_from_db()
    assert overdue.card == "red"
    assert overdue.supervised
    pending = Notice.objects.filter(status=NoticeStatus.PENDING).count()
    assert harness.run(SEND) == pending
    _assert_delivered_once(harness)
    assert Notice.objects.get(ticket=handled, kind="handled").key in harness.sms_keys()
    # Again: nothing more to do.
    assert harness.run(SWEEP)["batches"] == 0
    assert harness.run(SEND) == 0


def test_a_worker_killed_mid_sweep(world: World, harness: Harness) -> None:
    tickets = [
        DispatchedTicketFactory(world=world, at=_long_ago(), requester_phone=SECRET_PHONE)
        for _ in range(24)
    ]
    handled = [_handled(world) for _ in range(3)]
    versions = {t.pk: t.version for t in tickets}

    # Four tickets a batch, each batch held open for a second before it commits.
    first = harness.start(**{sweeper.PAUSE_ENV: "1"})
    harness.send(SWEEP, batch=4)
    cards = Transition.objects.filter(name="card", ticket__in=tickets)
    deadline = time.monotonic() + 120
    while cards.count() < 8:  # two batches committed
        assert time.monotonic() < deadline, harness.log_text()
        assert first.proc.poll() is None, harness.log_text()
        time.sleep(0.1)
    first.kill()

    # What the kill left is consistent: whole batches, each ticket swept fully or not at all.
    swept = set(cards.values_list("ticket_id", flat=True))
    assert 8 <= len(swept) < len(tickets)
    assert len(swept) % 4 == 0
    for t in Ticket.objects.filter(pk__in=versions):
        done = t.pk in swept
        assert (t.card == "red", t.supervised, t.version == versions[t.pk] + 1) == (
            done,
            done,
            done,
        )
        assert Notice.objects.filter(ticket=t, kind__in=sweeper.KINDS.values()).count() == (
            2 if done else 0
        )

    # A new worker finishes the sweep (and, the visibility timeout passed, may run the killed
    # task again: harmless), then sends everything.
    harness.start()
    counts = harness.run(SWEEP, batch=4)
    assert counts["red"] + len(swept) <= len(tickets)
    assert harness.run(SWEEP, batch=4)["batches"] == 0
    harness.run(SEND, batch=5)

    for t in Ticket.objects.filter(pk__in=versions):
        assert t.card == "red"
        assert t.supervised
        assert t.version == versions[t.pk] + 1
        assert Transition.objects.filter(ticket=t, name="card").count() == 1
        assert Transition.objects.filter(ticket=t, name="supervise").count() == 1
        assert t.due_at is not None
        for event in ("card-red", "supervise"):
            assert Notice.objects.filter(key=sweeper.notice_key(t.pk, event, 1, t.due_at)).exists()
    assert Notice.objects.filter(ticket__in=tickets, kind="red_card").count() == len(tickets)
    assert Notice.objects.filter(ticket__in=tickets, kind="supervised").count() == len(tickets)
    _assert_delivered_once(harness)
    assert len(harness.sms_keys()) == len(handled)
