"""Appoint a role from the operator's console — how the first district administrator is made."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gridlight.core import services
from gridlight.core.errors import DomainError
from gridlight.core.models import Region, User


class Command(BaseCommand):
    help = "Give an existing user a role at a region (e.g. grant_role admin district_admin 370103)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("role")
        parser.add_argument("region_code", nargs="?", default="")
        parser.add_argument(
            "--write-region",
            default=None,
            help="code of the write-scope region ('-' for read-only)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"No user {opts['username']!r}; create it with createsuperuser.")
        region = self._region(opts["region_code"])
        write_code = opts["write_region"]
        write = None if write_code == "-" else (self._region(write_code) if write_code else region)
        try:
            services.assignment_grant(
                actor=None,
                user=user,
                role=opts["role"],
                region=region,
                write_region=write,
                as_system=True,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.username} is now {opts['role']} at {region or '-'}.")

    def _region(self, code: str) -> Region | None:
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"No region with code {code!r}.")
        return region
