"""Pushes through Celery against a real Redis: a worker killed in the middle of queueing pushes
and restarted sends no push twice and loses none (the unique key per subject and version, and
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
from gridlight.tickets.models import Notice, NoticeStatus
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
