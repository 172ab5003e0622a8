"""``gridlight refresh_cockpit``: recompute the cockpit's figures from the records now (cron,
or after a bulk import); the scheduler does it every GRIDLIGHT_COCKPIT_SECONDS anyway."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gridlight.core.models import Region
from gridlight.dashboard.refresh import refresh


class Command(BaseCommand):
    help = "Recompute the cockpit's pre-aggregated figures from the records."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--district", default="", help="Only this district (its code).")

    def handle(self, *args: Any, **options: Any) -> None:
        root = None
        if options["district"]:
            root = Region.objects.filter(code=options["district"], level=0).first()
            if root is None:
                raise CommandError(f"No district with code {options['district']}.")
        result = refresh(root)
        self.stdout.write(
            f"Cockpit refreshed: {result.tiles} tiles, {result.changed} changed, "
            f"{result.seconds:.2f} s."
        )
