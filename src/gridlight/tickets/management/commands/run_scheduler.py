"""The embedded scheduler: sweep and send in a loop, without Celery or any other service.
Each sweep also removes the export files whose days are up (``core.exports.expire``).

``gridlight run_scheduler`` runs in the foreground (a systemd unit of its own, or a terminal);
``start_thread`` runs the same loop in a daemon thread of the demo server. Both are safe next to
each other or next to Celery: the sweep and the sender are idempotent and lock what they take.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from gridlight.core import exports, periodic
from gridlight.tickets import notify, sweeper

log = logging.getLogger(__name__)


def loop(
    *,
    send_every: float,
    sweep_every: float,
    stop: threading.Event,
    report: Callable[[str], None] | None = None,
    once: bool = False,
) -> None:
    """Send pending notices every ``send_every`` seconds and sweep every ``sweep_every``
    (the first round does both) until ``stop`` is set. An error is logged, never fatal."""
    next_sweep = 0.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            if started >= next_sweep:
                counts = sweeper.sweep()
                counts["exports expired"] = exports.expire()
                # The apps' own periodic work (the cockpit's refresh, …) when it is due.
                counts.update(dict.fromkeys(periodic.run_due(), 1))
                next_sweep = started + sweep_every
                if report:
                    report("sweep: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            sent = notify.send_pending()
            if report and sent:
                report(f"sent {sent} notices")
        except Exception:  # keep the loop alive; the next round tries again
            log.exception("scheduler round failed")
        finally:
            if not connection.in_atomic_block:  # (a test's transaction is left alone)
                close_old_connections()
        if once:
            return
        stop.wait(max(0.0, send_every - (time.monotonic() - started)))


def start_thread() -> threading.Thread:
    """Run the loop in a daemon thread (the demo server without a broker)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=loop,
        kwargs={
            "send_every": float(settings.GRIDLIGHT_SEND_SECONDS),
            "sweep_every": float(settings.GRIDLIGHT_SWEEP_SECONDS),
            "stop": stop,
        },
        name="gridlight-scheduler",
        daemon=True,
    )
    thread.start()
    return thread


class Command(BaseCommand):
    help = "Sweep the tickets and send notices in a loop (the embedded scheduler)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between sends (default GRIDLIGHT_SEND_SECONDS, 60).",
        )
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=None,
            help="Seconds between sweeps (default GRIDLIGHT_SWEEP_SECONDS, 300).",
        )
        parser.add_argument("--once", action="store_true", help="One round, then stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        send_every = options["interval"] or float(settings.GRIDLIGHT_SEND_SECONDS)
        sweep_every = options["sweep_interval"] or float(settings.GRIDLIGHT_SWEEP_SECONDS)
        if not options["once"]:
            self.stdout.write(
                f"Sweeping every {sweep_every:g} s, sending every {send_every:g} s (Ctrl+C stops)."
            )
        try:
            loop(
                send_every=send_every,
                sweep_every=sweep_every,
                stop=threading.Event(),
                report=self.stdout.write,
                once=options["once"],
            )
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
