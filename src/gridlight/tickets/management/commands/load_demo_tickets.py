"""Build the demo district's synthetic ticket history (idempotent: tops up to ``--count``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Add synthetic tickets (three years of history and the open recent ones) until the "
        "demo district has --count of them; running it again adds nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--count",
            type=int,
            default=1_000_000,
            help="Tickets the demo district should have (default 1,000,000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from gridlight.core.demo.build import build_demo
        from gridlight.tickets.demo import build_tickets, link_demo_users, ticket_demo_summary

        build_demo()

        def progress(pct: int, message: str) -> None:
            self.stdout.write(f"  tickets {pct:3d}%  {message}")
            self.stdout.flush()

        start = time.perf_counter()
        added = build_tickets(options["count"], progress=progress) if options["count"] else 0
        link_demo_users()
        summary = ticket_demo_summary()
        self.stdout.write(
            f"Demo tickets ready: {added} added in {time.perf_counter() - start:.0f} s; "
            f"{summary['tickets']} in all, {summary['open']} open, "
            f"{summary['talent_resolved']} talent problems resolved."
        )
