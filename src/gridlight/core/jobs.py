"""Running long work in the background and reporting its progress.

The embedded default runs each job in a thread of the web process (no external service needed);
``GRIDLIGHT_JOBS_EAGER`` runs it at once, inline (tests, console commands). Periodic work (the
ticket sweeper and notices) has its own scheduling: Celery in production, a thread otherwise.
A job's function receives the job and a ``progress(percent, message)`` callback, and returns a
JSON-safe result; an exception marks the job failed with its message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.utils import timezone

from gridlight.core.errors import DomainError, ImportRejected
from gridlight.core.models import Job, JobStatus, User

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
JobFunction = Callable[[Job, Progress], dict[str, Any]]
_REGISTRY: dict[str, JobFunction] = {}


def register(kind: str) -> Callable[[JobFunction], JobFunction]:
    def decorate(fn: JobFunction) -> JobFunction:
        _REGISTRY[kind] = fn
        return fn

    return decorate


def start(
    kind: str, *, actor: User, region_path: str = "", params: dict[str, Any] | None = None
) -> Job:
    """Queue a job; it starts once the surrounding transaction commits."""
    if kind not in _REGISTRY:
        raise LookupError(kind)
    job = Job.objects.create(
        kind=kind,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        region_path=region_path,
        params=params or {},
    )
    if getattr(settings, "GRIDLIGHT_JOBS_EAGER", False):
        run(job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(
            lambda: threading.Thread(
                target=_in_thread, args=(job.pk,), name=f"job-{job.pk}", daemon=True
            ).start()
        )
    return job


def starter(job: Job) -> User:
    """The user who started ``job``, whose scope it works in; a job whose starter's account
    has since been deleted is refused, as an anonymous caller would be."""
    if job.created_by is None:
        raise PermissionDenied
    return job.created_by


def _in_thread(pk: int) -> None:
    try:
        run(pk)
    finally:
        # The thread ends here: its connections end with it (close_old_connections would keep a
        # healthy one open for CONN_MAX_AGE, held by a thread that no longer exists).
        connections.close_all()


def run(pk: int) -> None:
    """Run a queued job to its end, recording progress, result or failure."""
    job = Job.objects.get(pk=pk)
    Job.objects.filter(pk=pk).update(status=JobStatus.RUNNING, started_at=timezone.now())

    def progress(percent: int, message: str) -> None:
        Job.objects.filter(pk=pk).update(
            progress=max(0, min(100, percent)), message=str(message)[:200]
        )

    try:
        result = _REGISTRY[job.kind](job, progress)
    except ImportRejected as exc:
        Job.objects.filter(pk=pk).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=str(exc)[:200],
            result={"errors": [[e.row, e.column, e.message] for e in exc.errors]},
        )
    except DomainError as exc:
        Job.objects.filter(pk=pk).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), message=exc.message[:200]
        )
    except Exception as exc:  # a job must end in a recorded state, whatever went wrong
        log.exception("job %s failed", pk)
        Job.objects.filter(pk=pk).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}"[:200],
        )
    else:
        Job.objects.filter(pk=pk).update(
            status=JobStatus.DONE, finished_at=timezone.now(), progress=100, result=result
        )
