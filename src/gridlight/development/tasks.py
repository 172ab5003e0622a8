"""Celery task: the daily recompute of the key projects' lights and monthly snapshot.
Idempotent (see the ``recompute_project_lights`` command), so acknowledged late and given back
to the broker if its worker dies."""

from __future__ import annotations

from celery import shared_task  # type: ignore[import-untyped]

from gridlight.development.services import lights_recompute


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.development.recompute_project_lights",
    acks_late=True,
    reject_on_worker_lost=True,
)
def recompute_project_lights() -> dict[str, int]:
    return lights_recompute(actor=None)
