"""Periodic work of the apps for the embedded scheduler (``gridlight run_scheduler`` and the
demo server's thread). An app registers a function with its interval; each round of the
scheduler calls ``run_due``, which runs the functions whose time has come. With a broker, Celery
beat runs the same functions as tasks (``CELERY_BEAT_SCHEDULE``) instead. The scheduler lives in
the tickets app, below the apps that register here: this registry lets it run their work
without importing them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
_TASKS: dict[str, tuple[float, Callable[[], Any]]] = {}
_NEXT: dict[str, float] = {}


def register(name: str, every: float, fn: Callable[[], Any]) -> None:
    """Run ``fn`` every ``every`` seconds (the first time at the scheduler's first round)."""
    _TASKS[name] = (every, fn)


def run_due(now: float | None = None) -> dict[str, Any]:
    """Run the registered functions that are due; their results by name. An error is logged
    and the function tried again at its next time."""
    moment = time.monotonic() if now is None else now
    done: dict[str, Any] = {}
    for name, (every, fn) in list(_TASKS.items()):
        if moment < _NEXT.get(name, 0.0):
            continue
        _NEXT[name] = moment + every
        try:
            done[name] = fn()
        except Exception:  # the scheduler goes on; the next round tries again
            log.exception("periodic %s failed", name)
    return done
