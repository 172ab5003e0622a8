"""Celery tasks: the sweep and the outbox. Both are idempotent, so they are acknowledged late
(after they return) and given back to the broker if their worker dies: a task cut off mid-way
runs again and finishes the work (docs/tickets-supervision.md)."""

from __future__ import annotations

from celery import shared_task  # type: ignore[import-untyped]

from gridlight.tickets import notify, sweeper


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.tickets.sweep_tickets", acks_late=True, reject_on_worker_lost=True
)
def sweep_tickets(batch: int = sweeper.DEFAULT_BATCH) -> dict[str, int]:
    return sweeper.sweep(batch=batch)


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.tickets.send_notices", acks_late=True, reject_on_worker_lost=True
)
def send_notices(batch: int = 500) -> int:
    return notify.send_pending(batch=batch)
