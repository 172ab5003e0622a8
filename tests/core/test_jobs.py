"""Background jobs in a thread of the server: the job runs after the commit, and the thread's
database connection is closed when it ends (not left open for CONN_MAX_AGE by a dead thread).
On PostgreSQL, where connections are kept for CONN_MAX_AGE, a thread that leaves its own open
fails this; on SQLite (no CONN_MAX_AGE) it only shows that the job runs."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections, transaction

from gridlight.core import jobs
from gridlight.core.models import Job, JobStatus

seen: list[Any] = []


@jobs.register("test-thread-connection")
def _remember_connection(job: Job, progress: Any) -> dict[str, Any]:
    wrapper = connections["default"]  # this thread's own DatabaseWrapper
    wrapper.ensure_connection()
    seen.append((wrapper, threading.current_thread()))
    return {"ok": True}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_thread_closes_its_connection(settings: Any) -> None:
    settings.GRIDLIGHT_JOBS_EAGER = False
    seen.clear()
    with transaction.atomic():
        job = jobs.start("test-thread-connection", actor=None)
    deadline = time.monotonic() + 30
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen, "the job did not run"
    wrapper, thread = seen[0]
    thread.join(timeout=30)
    assert not thread.is_alive()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert len(seen) == 1
    assert wrapper is not connections["default"]  # not the test's own
    assert wrapper.connection is None  # closed when the thread ended
