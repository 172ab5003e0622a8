"""The Celery application: ``celery -A gridlight.celery worker`` and ``… beat``.

Configured from Django's settings (the ``CELERY_*`` names; the broker from
``GRIDLIGHT_BROKER_URL``). Beat (``CELERY_BEAT_SCHEDULE``) sweeps the tickets every
``GRIDLIGHT_SWEEP_SECONDS`` (5 minutes), sends the outbox every ``GRIDLIGHT_SEND_SECONDS``
(1 minute), removes expired export files every hour, matches policies nightly (02:30) and
recomputes the key projects' lights daily (``gridlight.development.tasks``). Without a broker
nothing here is needed: ``gridlight run_scheduler`` runs the same functions
(docs/tickets-supervision.md).
"""

from __future__ import annotations

import os

from celery import Celery  # type: ignore[import-untyped]
from celery.schedules import crontab  # type: ignore[import-untyped]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridlight.settings")

app = Celery("gridlight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    [
        "gridlight.tickets",
        "gridlight.core",
        "gridlight.policies",
        "gridlight.development",
        "gridlight.dashboard",
    ]
)
# Policies matched against every talent and enterprise at night (docs/policies-matching.md).
app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "match-policies": {
        "task": "gridlight.policies.match_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
}
