"""Celery tasks of the core: the export files' expiry (idempotent, like the tickets' sweep)."""

from __future__ import annotations

from celery import shared_task  # type: ignore[import-untyped]

from gridlight.core import exports


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.core.expire_exports", acks_late=True, reject_on_worker_lost=True
)
def expire_exports() -> int:
    return exports.expire()
