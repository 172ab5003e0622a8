"""Benchmarks: ``python -m bench <name> [--scale district|city] [--db sqlite|postgres]``.

Each prints one JSON object per measurement with ``name``, ``db``, ``rows``, ``seconds`` and,
where a naive baseline is timed in the same run, ``baseline_seconds``. The database is a fresh
one made for the run (an SQLite file in a temporary folder, or the ``gridlight_bench`` database
on the local PostgreSQL), built to the requested scale. ``BENCH_REUSE=1`` keeps the built
district between runs instead (a district takes minutes to build).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable

BENCHMARKS: dict[str, str] = {
    "pages": "bench.pages",
    "reclassify": "bench.reclassify",
    "reclassify-one": "bench.reclassify_one",
    "lists": "bench.lists",
    "import": "bench.import_",
    "import-one": "bench.import_:run_one",
    "kpi": "bench.kpi",
    "sweep": "bench.sweep",
    "intake": "bench.intake",
    "assessment": "bench.assessment",
    "talent-problems": "bench.talent_problems",
    "project-lights": "bench.project_lights",
    "match": "bench.match",
    "match-one": "bench.match:run_one",
    "push": "bench.match:run_push",
    "cockpit": "bench.cockpit",
    "talent-import": "bench.talent_import",
    "talent-lists": "bench.talent_lists",
}

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gridlight_bench")


def _prepare(db: str, scale: str) -> None:
    # --reuse keeps the built district between runs of different benchmarks (building 300,000
    # households takes minutes); without it every run starts from an empty database.
    reuse = os.environ.get("BENCH_REUSE") == "1"
    if os.environ.get("BENCH_DATA_DIR"):  # a folder of one's own, kept (SQLite only)
        os.environ["GRIDLIGHT_DATA_DIR"] = os.environ["BENCH_DATA_DIR"]
        os.makedirs(os.environ["GRIDLIGHT_DATA_DIR"], exist_ok=True)
    elif reuse:
        folder = os.path.join(tempfile.gettempdir(), f"gridlight-bench-{scale}")
        os.makedirs(folder, exist_ok=True)
        os.environ["GRIDLIGHT_DATA_DIR"] = folder
    else:
        os.environ["GRIDLIGHT_DATA_DIR"] = tempfile.mkdtemp(prefix="gridlight-bench-")
    if db == "postgres":
        os.environ["DATABASE_URL"] = PG_URL + (f"_{scale}" if reuse else "")
        if not reuse:
            _recreate_pg_database()
        else:
            _create_pg_database_if_missing(os.environ["DATABASE_URL"])
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridlight.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _recreate_pg_database() -> None:
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _create_pg_database_if_missing(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=sorted(BENCHMARKS))
    parser.add_argument("--scale", choices=["district", "city"], default="district")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args(argv)
    _prepare(args.db, args.scale)
    import importlib

    target, _sep, function = BENCHMARKS[args.name].partition(":")
    module = importlib.import_module(target)
    run: Callable[..., None] = getattr(module, function or "run")
    run(db=args.db, scale=args.scale)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
