"""Load the shipped demo policies (idempotent): ``gridlight load_policies``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridlight.policies.demo import build_policies


class Command(BaseCommand):
    help = "Create and publish the demo district's policies (those not loaded yet)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = build_policies()
        self.stdout.write(f"Policies loaded: {created} created.")
