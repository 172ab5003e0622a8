"""Recompute every household's light — to be run nightly (cron, a systemd timer or Celery beat),
so that birthdays, rule versions coming into force and expiring manual lights take effect."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridlight.households.classify import recompute_all


class Command(BaseCommand):
    help = "Recompute every household's traffic light with the rule version in force today."

    def handle(self, *args: Any, **options: Any) -> None:
        result = recompute_all()
        self.stdout.write(
            f"{result.total} households, {result.changed} changed light, rules v{result.version}, "
            f"{result.seconds:.1f} s"
        )
