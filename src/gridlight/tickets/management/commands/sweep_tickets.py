"""One pass of the supervision sweeper, then the outbox: for cron, or by hand. The pass also
removes the export files whose days are up (``core.exports.expire``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridlight.core import exports
from gridlight.tickets import notify, sweeper


class Command(BaseCommand):
    help = "Give yellow and red cards and supervision as deadlines pass; send pending notices."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--batch", type=int, default=sweeper.DEFAULT_BATCH, help="Tickets per transaction."
        )
        parser.add_argument(
            "--no-send", action="store_true", help="Sweep only; leave the notices pending."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sweeper.sweep(batch=options["batch"])
        counts["exports expired"] = exports.expire()
        line = ", ".join(f"{k} {v}" for k, v in counts.items())
        if not options["no_send"]:
            line += f", sent {notify.send_pending()}"
        self.stdout.write(line)
