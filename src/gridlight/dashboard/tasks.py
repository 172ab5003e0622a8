"""Celery task: the cockpit's scheduled refresh (idempotent: a refresh that finds nothing new
changes nothing but the time the figures were read)."""

from __future__ import annotations

from typing import Any

from celery import shared_task  # type: ignore[import-untyped]

from gridlight.dashboard.refresh import refresh_quietly


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.dashboard.refresh_cockpit", acks_late=True, reject_on_worker_lost=True
)
def refresh_cockpit() -> dict[str, Any]:
    return refresh_quietly()
