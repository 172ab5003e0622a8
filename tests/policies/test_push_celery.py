"""Pushes through Celery against a real Redis: a worker killed in the middle of queueing pushes,
or in the middle of sending them (its SMS out, its batch not yet committed), and restarted sends
no push twice and loses none (the unique key per subject and version, and
the outbox's unique notice keys). Skipped without Redis unless GRIDLIGHT_REQUIRE_REDIS=1, as
the tickets' Celery tests (whose harness this reuses)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from gridlight.core.crypto import encrypt
from gridlight.policies import matching
from gridlight.policies.models import Match, Policy, PolicyVersion, Push
from gridlight.tickets import notify
from gridlight.tickets.models import Message, Notice, NoticeStatus
from tests.policies.conftest import make_talent
from tests.tickets.test_celery import SEND, Harness, harness, redis_url  # noqa: F401

QUEUE = "gridlight.policies.queue_pushes"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _matched(world: Any, n: int) -> list[int]:
    policy = Policy.objects.create(
        code="push_test",
        title="推送测试政策",
        issuer="区人才办",
        subject_type="talent",
        mode="push",
        region=world.district,
        region_path=world.district.path,
    )
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        status="published",
        definition={"when": {"field_in": {"field": "level", "values": ["C"]}}},
        effective_from=date(2020, 1, 1),
    )
    phone = encrypt("13900000077")
    ids = [make_talent(world.open_street, level="C", phone_enc=phone).pk for _ in range(n)]
    matching.match_all("talent", push=False)
    return ids


def test_a_worker_killed_while_queueing_pushes(world: Any, harness: Harness) -> None:  # noqa: F811
    ids = _matched(world, 12)
    met = Match.objects.filter(subject_id__in=ids, state="met")
    assert met.count() == 12
    # Two matches a chunk, each chunk's transaction held open for a second before it commits.
    first = harness.start(**{matching.PUSH_PAUSE_ENV: "1"})
    harness.send(QUEUE, subject_type="talent", chunk=2)
    deadline = time.monotonic() + 120
    while Push.objects.count() < 4:  # two chunks committed
        assert time.monotonic() < deadline, harness.log_text()
        assert first.proc.poll() is None, harness.log_text()
        time.sleep(0.1)
    first.kill()
    # Whole chunks only: each push has its notice, each pushed match is marked.
    pushed = Push.objects.count()
    assert 4 <= pushed < 12
    assert pushed % 2 == 0
    assert Notice.objects.filter(kind="policy_push").count() == pushed
    assert met.filter(pushed_at__isnull=False).count() == pushed

    # A new worker finishes (and may run the killed task again: harmless), then sends.
    harness.start()
    harness.run(QUEUE, subject_type="talent", chunk=2)
    assert harness.run(QUEUE, subject_type="talent", chunk=2) == 0
    harness.run(SEND, batch=5)

    assert Push.objects.count() == 12
    assert set(Push.objects.values_list("match_id", flat=True)) == set(
        met.values_list("pk", flat=True)
    )
    notices = Notice.objects.filter(kind="policy_push")
    assert notices.count() == 12
    assert not notices.exclude(status=NoticeStatus.SENT).exists()
    keys = harness.sms_keys()
    assert len(keys) == len(set(keys)), "an SMS was sent twice"
    assert set(keys) == set(notices.values_list("key", flat=True))


def test_a_worker_killed_while_sending_pushes(world: Any, harness: Harness) -> None:  # noqa: F811
    ids = _matched(world, 12)
    assert matching.queue_pushes("talent") == 12  # queued (committed): 12 pending notices
    notices = Notice.objects.filter(kind="policy_push")
    assert notices.filter(status=NoticeStatus.PENDING).count() == 12
    # Two notices a batch; each batch waits a second after its SMS left, before it commits.
    first = harness.start(**{notify.SEND_PAUSE_ENV: "1"})
    harness.send(SEND, batch=2)
    deadline = time.monotonic() + 120

    def texted_not_committed() -> set[str]:
        sent = set(notices.filter(status=NoticeStatus.SENT).values_list("key", flat=True))
        return set(harness.sms_keys()) - sent

    # Killed once a batch is committed and the next one's SMS are out but not yet committed.
    while not (notices.filter(status=NoticeStatus.SENT).exists() and texted_not_committed()):
        assert time.monotonic() < deadline, harness.log_text()
        assert first.proc.poll() is None, harness.log_text()
        time.sleep(0.05)
    first.kill()
    window = texted_not_committed()
    assert window, "the worker was killed after texting a batch it had not committed"
    # That batch rolled back: its notices still pending, no in-app message kept for them.
    assert set(notices.filter(key__in=window).values_list("status", flat=True)) == {
        NoticeStatus.PENDING
    }
    assert not Message.objects.filter(notice__key__in=window).exists()
    done = notices.filter(status=NoticeStatus.SENT).count()
    assert 1 <= done < 12  # a batch may hold other pending notices of the world

    # A new worker sends the rest (the window's notices again, with the same keys; the
    # killed task may run again too: harmless).
    harness.start()
    harness.run(SEND, batch=5)
    assert harness.run(SEND, batch=5) == 0

    assert notices.count() == 12
    assert not notices.exclude(status=NoticeStatus.SENT).exists()
    keys = harness.sms_keys()
    assert len(keys) == len(set(keys)), "an SMS was sent twice"
    assert set(keys) == set(notices.values_list("key", flat=True)), "an SMS was lost"
    assert Push.objects.filter(subject_id__in=ids).count() == 12
