"""Build the Shizhong demo district (idempotent) and print the demo sign-ins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridlight.core.demo.build import build_demo, demo_password, demo_users
from gridlight.dashboard.refresh import refresh as refresh_cockpit
from gridlight.development.demo import build_development
from gridlight.evaluation.demo import build_evaluation
from gridlight.households.classify import recompute_all
from gridlight.households.demo import build_households, spread_visits
from gridlight.policies.demo import build_policies
from gridlight.talent.demo import build_talent
from gridlight.tickets.demo import build_tickets, link_demo_users


class Command(BaseCommand):
    help = "Build the Shizhong demo district and print the demo users' passwords."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo sign-ins."
        )
        parser.add_argument(
            "--households",
            type=int,
            default=300_000,
            help="Synthetic households to build (the district has about 300,000).",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=1_000_000,
            help="Synthetic tickets to build: three years of history and the open recent ones "
            "(about 1,000,000; 0 for none).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        created = build_demo()

        def progress(pct: int, message: str) -> None:
            self.stdout.write(f"  households {pct:3d}%  {message}")
            self.stdout.flush()

        target = options["households"]
        added = build_households(target, progress=progress) if target else 0
        if added:
            result = recompute_all()
            spread_visits()
            self.stdout.write(
                f"  traffic light: {result.total} households classified in {result.seconds:.1f} s"
            )
        tickets = options["tickets"]
        made = 0
        if tickets:

            def ticket_progress(pct: int, message: str) -> None:
                self.stdout.write(f"  tickets {pct:3d}%  {message}")
                self.stdout.flush()

            made = build_tickets(tickets, progress=ticket_progress)
            link_demo_users()
        made += build_talent()
        made += build_policies()
        years = build_evaluation()
        self.stdout.write(f"  evaluation: {years} year(s) of the street evaluation cycle built")
        made += build_development()
        cockpit = refresh_cockpit()
        self.stdout.write(f"  cockpit: {cockpit.tiles} tiles computed in {cockpit.seconds:.1f} s")
        self.stdout.write(f"Demo district ready ({created + added + made} records created).")
        if not options["quiet_logins"]:
            print_logins(self.stdout.write)


def print_logins(write: Any) -> None:
    write("Demo sign-ins (user / password / role):")
    for u in demo_users():
        scope = u.region_code or "-"
        twin = f"  (out-of-scope twin of {u.twin_of})" if u.twin_of else ""
        write(f"  {u.username:<20} {demo_password(u.username):<16} {u.role:<20} {scope}{twin}")
