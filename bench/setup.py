"""Building the benchmark district at the requested scale."""

from __future__ import annotations

import os
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
    from gridlight.households.models import Household

    # BENCH_HOUSEHOLDS: a smaller district, to try a benchmark out quickly (as BENCH_TICKETS).
    total = int(os.environ.get("BENCH_HOUSEHOLDS") or SCALES[scale])
    if Household.objects.count() >= total:
        _analyze()  # a reused database: make sure the planner has statistics
        return total
    start = time.perf_counter()

    def progress(pct: int, message: str) -> None:
        print(f"  building: {pct:3d}% {message}", file=sys.stderr, flush=True)

    if scale == "city":
        build_households(SCALES["district"], progress=progress)
        _multiply(SCALES["city"] // SCALES["district"])
    else:
        build_households(total, progress=progress)
    recompute_all()
    spread_visits()
    _analyze()
    print(f"  built {total} households in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return total


def _multiply(times: int) -> None:
    """City scale on PostgreSQL: copy the district's households ``times - 1`` more times in
    set-based SQL (building 3,000,000 synthetic households one by one would take an hour).
    Copies keep their residents' ages and the household's attributes (collapsed to household
    level, which is all the rules read), but no ID or phone numbers, so nothing collides."""
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("city scale is measured on PostgreSQL")
    h, r, v = "households_household", "households_resident", "households_attributevalue"
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {h}")
        if cur.fetchone()[0] >= SCALES["city"]:
            return
        for k in range(1, times):
            print(f"  copying the district: {k}/{times - 1}", file=sys.stderr, flush=True)
            cur.execute(
                f"INSERT INTO {h} (code, grid_id, region_path, address, status, registered_on, "
                f"light, computed_light, light_reasons, override_light, override_reason, "
                f"last_visit_on, next_visit_due, version, created_at, updated_at) "
                f"SELECT code || '-c{k}', grid_id, region_path, address, status, registered_on, "
                f"light, computed_light, light_reasons, '', '', last_visit_on, next_visit_due, "
                f"1, now(), now() FROM {h} WHERE code NOT LIKE '%%-c%%'"
            )
            cur.execute(
                f"INSERT INTO {r} (household_id, region_path, name, id_number_enc, birth_date, "
                f"sex, phone_enc, phone_index, relation, status, version) "
                f"SELECT n.id, o.region_path, x.name, '', x.birth_date, x.sex, '', '', "
                f"x.relation, x.status, 1 FROM {r} x JOIN {h} o ON o.id = x.household_id "
                f"JOIN {h} n ON n.code = o.code || '-c{k}' WHERE o.code NOT LIKE '%%-c%%'"
            )
            cur.execute(
                f"INSERT INTO {v} (household_id, resident_id, attribute_id, grade) "
                f"SELECT n.id, NULL, a.attribute_id, MIN(a.grade) FROM {v} a "
                f"JOIN {h} o ON o.id = a.household_id JOIN {h} n ON n.code = o.code || '-c{k}' "
                f"WHERE o.code NOT LIKE '%%-c%%' GROUP BY n.id, a.attribute_id"
            )
        cur.execute("ANALYZE")


def _analyze() -> None:
    """Fresh statistics (and, on PostgreSQL, a visibility map), as a long-running database has
    from autovacuum; measuring right after a bulk load would time the planner's guesses."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


TICKETS = {"district": 1_000_000, "city": 10_000_000}


def build_new_apps() -> int:
    """The talent service desk, policies, evaluation cycle and key projects as the demo builds
    them (each builder completes what is missing, so a reused database is not doubled)."""
    from gridlight.development.demo import build_development
    from gridlight.evaluation.demo import build_evaluation
    from gridlight.policies.demo import build_policies
    from gridlight.talent.demo import build_talent

    start = time.perf_counter()
    made = build_talent() + build_policies() + build_evaluation() + build_development()
    _analyze()  # as autovacuum would soon after: the talent tables' first statistics
    print(
        f"  talent, policies, evaluation, projects in {time.perf_counter() - start:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return made


def build_ticket_history(scale: str) -> int:
    """The demo tree and users, plus the scale's synthetic ticket history (three years, with the
    open recent tickets); no households (the ticket benchmarks do not read them)."""
    from gridlight.core.demo.build import build_demo
    from gridlight.tickets.demo import build_tickets, link_demo_users
    from gridlight.tickets.models import Ticket

    build_demo()
    # BENCH_TICKETS: a smaller history, to try a benchmark out quickly.
    total = int(os.environ.get("BENCH_TICKETS") or TICKETS[scale])
    if Ticket.objects.count() >= total:
        _analyze()
        return total
    start = time.perf_counter()

    def progress(pct: int, message: str) -> None:
        print(f"  building tickets: {pct:3d}% {message}", file=sys.stderr, flush=True)

    build_tickets(total, progress=progress)
    link_demo_users()
    seconds = time.perf_counter() - start
    _analyze()
    print(f"  built {total} tickets in {seconds:.0f} s", file=sys.stderr, flush=True)
    return total
