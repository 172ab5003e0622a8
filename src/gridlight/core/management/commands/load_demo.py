"""Build the Shizhong demo district (idempotent) and print the demo sign-ins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridlight.core.demo.build import build_demo, demo_password, demo_users


class Command(BaseCommand):
    help = "Build the Shizhong demo district and print the demo users' passwords."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo sign-ins."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        created = build_demo()
        self.stdout.write(f"Demo district ready ({created} records created).")
        if not options["quiet_logins"]:
            print_logins(self.stdout.write)


def print_logins(write: Any) -> None:
    write("Demo sign-ins (user / password / role):")
    for u in demo_users():
        scope = u.region_code or "-"
        twin = f"  (out-of-scope twin of {u.twin_of})" if u.twin_of else ""
        write(f"  {u.username:<20} {demo_password(u.username):<16} {u.role:<20} {scope}{twin}")
