"""Building the benchmark district at the requested scale."""

from __future__ import annotations

import sys
import time

SCALES = {"district": 300_000, "city": 3_000_000}


def build(scale: str, *, households: bool = True) -> int:
    """The demo tree and users, plus the scale's synthetic households, classified."""
    from gridlight.core.demo.build import build_demo
    from gridlight.households.classify import recompute_all
    from gridlight.households.demo import build_households, spread_visits

    build_demo()
    if not households:
        return 0
    start = time.perf_counter()
    total = SCALES[scale]

    def progress(pct: int, message: str) -> None:
        print(f"  building: {pct:3d}% {message}", file=sys.stderr, flush=True)

    build_households(total, progress=progress)
    recompute_all()
    spread_visits()
    print(f"  built {total} households in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return total
