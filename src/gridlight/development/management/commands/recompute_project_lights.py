"""Recompute every key project's progress and light and keep the month's snapshot — run daily
(Celery beat's ``recompute-project-lights``, cron or a systemd timer). Idempotent: projects are
assessed on the end of the last full month, so a second run that day, or any day of the same
month with no new approved report, writes the same figures (unchanged rows are not rewritten,
the month's snapshot is replaced by an identical one); on the first of a month it assesses the
month just ended and keeps its snapshot."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gridlight.development.services import lights_recompute


class Command(BaseCommand):
    help = "Recompute the key projects' progress, lights and monthly snapshot."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--as-of",
            default="",
            help="Assess on this day (YYYY-MM-DD); default the end of the last full month.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"Not a date: {options['as_of']}") from exc
        counts = lights_recompute(actor=None, as_of=as_of)
        self.stdout.write(
            f"{sum(counts.values())} projects: {counts['red']} red, {counts['yellow']} yellow, "
            f"{counts['green']} green"
        )
