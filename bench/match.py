"""Policy matching and push (issue 13): ``match``, ``match-one`` and ``push``.

The data: ``BENCH_MATCH_SUBJECTS`` subjects (100,000 by default: four in five talents, one in five
enterprises) with realistic, partly missing facts (a third of the talents have no degree, a
quarter no arrival date, children for two in five, employers tagged 专精特新 or listing reserve),
and 50 published policies (40 for talents, 10 for enterprises) of every benefit kind — fixed,
tables by level, bands, formulas over other policies — with two exclusive groups.

* ``match``: a full run from the tables to stored matches with their explanation snapshots
  (``matching.match_all`` for both subject types, the first time: everything inserted), then a
  re-run (nothing changed: nothing written). The baseline is the per-subject ORM loop — each
  subject's values read through the ORM, every policy evaluated, each match saved with
  ``Match.objects.update_or_create`` — timed on a sample and extrapolated (its cost per subject
  does not depend on how many there are).
* ``match-one``: one talent's profile changed and re-matched across all policies with
  explanations (``matching.match_one``), median of 50.
* ``push``: every met match pushed — ``Push`` rows and outbox notices (``queue_pushes``) — and the
  outbox delivered (``notify.send_pending``: in-app messages and SMS through the fake gateway),
  both as Celery tasks run by a real worker process, with Redis as the broker.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from bench.common import (
    CeleryWorker,
    Cpu,
    PgBackendCpu,
    process_cpu,
    report,
    server_cpu,
    speed_gauge,
)

SUBJECTS = int(os.environ.get("BENCH_MATCH_SUBJECTS", "100000"))
BASELINE_SAMPLE = 300
BATCH = 5000


def _talent_policies() -> list[tuple[str, str, dict[str, Any]]]:
    levels = ["A", "B", "C", "D", "E"]
    table = {"A": 100000000, "B": 50000000, "C": 20000000, "D": 10000000, "E": 5000000}
    out: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(8):
        allowed = [levels[i % 5]]
        out.append(
            (
                f"bench_apartment_{i}",
                "",
                {
                    "when": {
                        "all_of": [
                            {"field_in": {"field": "level", "values": allowed}},
                            {"field_in": {"field": "housing", "values": ["rents"]}},
                        ]
                    },
                    "benefit": {"table": {"field": "level", "rows": table}, "cap": 80000000},
                },
            )
        )
    for i in range(8):
        out.append(
            (
                f"bench_school_{i}",
                "",
                {
                    "when": {
                        "all_of": [
                            {"field_at_least": {"field": "school_age_children", "value": 1}},
                            {"field_in": {"field": "level", "values": [levels[i % 5]]}},
                        ]
                    }
                },
            )
        )
    for i in range(8):
        out.append(
            (
                f"bench_settle_{i}",
                "settle" if i < 4 else "",
                {
                    "when": {
                        "all_of": [
                            {"field_at_most": {"field": "years_in_district", "value": 1 + i % 5}},
                            {"field_in": {"field": "level", "values": [levels[(i + 2) % 5]]}},
                        ]
                    },
                    "benefit": {"fixed": 1000000 * (1 + i)},
                },
            )
        )
    for i in range(6):
        out.append(
            (
                f"bench_doctor_{i}",
                "",
                {
                    "when": {
                        "all_of": [
                            {
                                "field_in": {
                                    "field": "degree",
                                    "values": ["doctor", "master"][: 1 + i % 2],
                                }
                            },
                            {"field_at_most": {"field": "age", "value": 35 + i}},
                            {"field_in": {"field": "level", "values": [levels[i % 5]]}},
                        ]
                    },
                    "benefit": {
                        "bands": {
                            "field": "age",
                            "rows": [
                                {"from": 0, "to": 30, "amount": 3000000},
                                {"from": 30, "amount": 2000000},
                            ],
                        }
                    },
                },
            )
        )
    for i in range(5):
        tag = ["employer_srdi", "employer_listing_reserve", "employer_key_introduced"][i % 3]
        out.append(
            (
                f"bench_employer_{i}",
                "",
                {
                    "when": {
                        "all_of": [
                            {"has_tag": tag},
                            {"field_in": {"field": "level", "values": [levels[(i + 1) % 5]]}},
                        ]
                    },
                    "benefit": {"fixed": 500000 * (1 + i)},
                },
            )
        )
    for i in range(3):
        out.append(
            (
                f"bench_spouse_{i}",
                "",
                {
                    "when": {
                        "all_of": [
                            {"field_in": {"field": "spouse_employment", "values": ["seeking"]}},
                            {"field_in": {"field": "level", "values": [levels[i]]}},
                        ]
                    }
                },
            )
        )
    out.append(
        (
            "bench_topup",
            "",
            {
                "when": {"field_in": {"field": "level", "values": ["C"]}},
                "benefit": {"formula": "0.2 * benefit.bench_settle_0"},
            },
        )
    )
    out.append(
        (
            "bench_revenue",
            "",
            {
                "when": {
                    "all_of": [
                        {"field_at_least": {"field": "employer_revenue_yuan", "value": 80000000}},
                        {"field_in": {"field": "level", "values": ["A", "B"]}},
                    ]
                }
            },
        )
    )
    return out


def _enterprise_policies() -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    for i, levels in enumerate(
        [["national"], ["provincial", "national"], ["municipal", "provincial", "national"]]
    ):
        out.append(
            (
                f"bench_srdi_{i}",
                "srdi",
                {
                    "when": {"field_in": {"field": "srdi_level", "values": levels}},
                    "benefit": {"fixed": 10000000 * (3 - i)},
                },
            )
        )
    for i, stages in enumerate(
        [["listed"], ["filing", "listed"], ["tutoring", "filing", "listed"]]
    ):
        out.append(
            (
                f"bench_listing_{i}",
                "",
                {
                    "when": {"field_in": {"field": "listing_stage", "values": stages}},
                    "benefit": {"fixed": 20000000},
                },
            )
        )
    for i in range(2):
        out.append(
            (
                f"bench_platform_{i}",
                "",
                {
                    "when": {"field_at_least": {"field": "platform_count", "value": 1 + i}},
                    "benefit": {
                        "bands": {
                            "field": "headcount",
                            "rows": [
                                {"from": 0, "to": 50, "amount": 1000000},
                                {"from": 50, "amount": 3000000},
                            ],
                        }
                    },
                },
            )
        )
    out.append(
        (
            "bench_car",
            "",
            {
                "when": {"field_in": {"field": "industry", "values": ["commerce"]}},
                "benefit": {"fixed": 5000000},
            },
        )
    )
    out.append(
        (
            "bench_car_topup",
            "",
            {
                "when": {"field_in": {"field": "industry", "values": ["commerce"]}},
                "benefit": {"formula": "0.2 * benefit.bench_car"},
            },
        )
    )
    return out


def _build() -> None:
    from gridlight.core.demo.build import build_demo
    from gridlight.core.models import Region, RegionLevel
    from gridlight.policies.models import Policy, PolicyVersion
    from gridlight.talent.models import Child, Enterprise, EnterpriseTag, RdPlatform, Talent

    if Talent.objects.filter(name__startswith="匹配人才").exists():
        return
    build_demo()
    district = Region.objects.get(code="370103")
    streets = list(Region.objects.filter(parent=district, level=RegionLevel.STREET))
    rng = random.Random(13)  # noqa: S311 - synthetic data
    n_ent = SUBJECTS // 5
    n_tal = SUBJECTS - n_ent
    industries = ["digital", "finance", "commerce", "health", "energy"]
    enterprises = Enterprise.objects.bulk_create(
        (
            Enterprise(
                name=f"匹配企业{i}",
                credit_code=f"M{i:017d}",
                industry=rng.choice(industries),
                street=(s := rng.choice(streets)),
                region_path=s.path,
                headcount=rng.choice([None, rng.randint(5, 500)]),
                revenue_yuan=rng.choice([None, rng.randint(1, 100) * 1_000_000]),
                revenue_year=2025,
            )
            for i in range(n_ent)
        ),
        batch_size=BATCH,
    )
    tags = []
    platforms = []
    for e in enterprises:
        r = rng.random()
        if r < 0.1:
            tags.append(
                EnterpriseTag(
                    enterprise=e,
                    kind="srdi",
                    level=rng.choice(["", "municipal", "provincial", "national"]),
                    year=2024,
                )
            )
        elif r < 0.15:
            tags.append(
                EnterpriseTag(
                    enterprise=e,
                    kind="listing_reserve",
                    stage=rng.choice(["", "tutoring", "filing", "listed"]),
                    year=2024,
                )
            )
        if rng.random() < 0.1:
            platforms.append(
                RdPlatform(
                    enterprise=e,
                    name="平台",
                    kind="key_lab",
                    level=rng.choice(["municipal", "provincial", "national"]),
                    year=2024,
                )
            )
    EnterpriseTag.objects.bulk_create(tags, batch_size=BATCH)
    RdPlatform.objects.bulk_create(platforms, batch_size=BATCH)
    today = timezone.localdate()

    def maybe(p: float, value: Any) -> Any:
        return value if rng.random() < p else None

    talents = Talent.objects.bulk_create(
        (
            Talent(
                name=f"匹配人才{i}",
                street=(s := rng.choice(streets)),
                region_path=s.path,
                level=rng.choice("ABCDDEEEEE"),
                degree=rng.choice(["doctor", "master", "bachelor", "", ""]),
                birth_date=maybe(0.9, today - timedelta(days=rng.randint(24 * 365, 55 * 365))),
                arrived_on=maybe(0.75, today - timedelta(days=rng.randint(0, 10 * 365))),
                housing=rng.choice(["rents", "owns", "apartment", ""]),
                spouse_employment=rng.choice(["", "none", "employed", "seeking", "not_seeking"]),
                employer=rng.choice(enterprises) if rng.random() < 0.8 else None,
                phone_enc="",
            )
            for i in range(n_tal)
        ),
        batch_size=BATCH,
    )
    children = [
        Child(talent=t, birth_date=today - timedelta(days=rng.randint(0, 18 * 365)))
        for t in talents
        if rng.random() < 0.4
    ]
    Child.objects.bulk_create(children, batch_size=BATCH)
    now = timezone.now()
    for subject_type, defs in (
        ("talent", _talent_policies()),
        ("enterprise", _enterprise_policies()),
    ):
        for code, group, definition in defs:
            policy = Policy.objects.create(
                code=code,
                title=f"基准政策 {code}",
                issuer="基准",
                subject_type=subject_type,
                mode="apply",
                exclusive_group=group,
                region=district,
                region_path=district.path,
            )
            PolicyVersion.objects.create(
                policy=policy,
                number=1,
                status="published",
                definition=definition,
                effective_from=date(2020, 1, 1),
                published_at=now,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


def _baseline(subject_type: str, sample: int) -> float:
    """Seconds per subject of the naive path: values through the ORM, every policy evaluated,
    every met or unknown match saved with update_or_create."""
    from gridlight.policies.definition import evaluate
    from gridlight.policies.matching import prepared, snapshot
    from gridlight.policies.models import Match
    from gridlight.rules.subjects import get_subject

    subject = get_subject(subject_type)
    day = timezone.localdate()
    from gridlight.talent.models import Enterprise, Talent

    model: Any = Talent if subject_type == "talent" else Enterprise
    ids = list(model.objects.order_by("?").values_list("pk", flat=True)[:sample])
    start = time.perf_counter()
    for pk in ids:
        obj = subject.load(pk)  # type: ignore[attr-defined]
        preps = prepared(subject_type, day)
        values = subject.values(obj, day)
        sources = subject.provenance(obj)  # type: ignore[attr-defined]
        results = evaluate([p.compiled for p in preps], values)
        now = timezone.now()
        for p in preps:
            r = results[p.compiled.code]
            if r.state == "not_met":
                continue
            Match.objects.update_or_create(
                subject_type=subject_type,
                subject_id=pk,
                version=p.version,
                defaults={
                    f"{subject_type}_id": pk,
                    "policy": p.policy,
                    "region_path": obj.region_path,
                    "state": r.state,
                    "amount_fen": r.amount.fen if r.amount else None,
                    "missing": sorted(r.missing),
                    "explanation": snapshot(p, values, sources, day),
                    "created_at": now,
                    "evaluated_at": now,
                    "changed_at": now,
                },
            )
    return (time.perf_counter() - start) / len(ids)


def run(*, db: str, scale: str) -> None:
    from gridlight.policies import matching
    from gridlight.policies.models import Match
    from gridlight.talent.models import Enterprise, Talent

    _build()
    subjects = Talent.objects.count() + Enterprise.objects.count()
    _no_matches()
    gauge = speed_gauge()
    with Cpu() as first:
        runs = [matching.match_all(t, push=False) for t in ("talent", "enterprise")]
    stored = Match.objects.count()
    with Cpu() as rerun:
        again = [matching.match_all(t, push=False) for t in ("talent", "enterprise")]
    per_talent = _baseline("talent", BASELINE_SAMPLE)
    per_enterprise = _baseline("enterprise", BASELINE_SAMPLE // 3)
    n_tal = Talent.objects.count()
    baseline = per_talent * n_tal + per_enterprise * (subjects - n_tal)
    report(
        "match",
        db=db,
        rows=subjects,
        # Wall, this process's CPU (SQLite works inside it), the PostgreSQL backend's CPU
        # (None on SQLite) and the load average: the machine is shared, and wall time under
        # load is not the verdict.
        **first.fields(),
        policies=50,
        matches_stored=stored,
        created=sum(r.created for r in runs),
        **rerun.fields("rerun_"),
        rerun_written=sum(r.created + r.changed for r in again),
        baseline_seconds=round(baseline, 1),
        baseline_ms_per_subject=round(per_talent * 1000, 2),
        speedup=round(baseline / first.wall, 1),
        gauge_ms=gauge,
    )


def _no_matches() -> None:
    """Empty the match tables for a first run, as a new installation has them. On PostgreSQL
    by TRUNCATE: a DELETE leaves the last run's rows dead in the table and its indexes until a
    vacuum, and inserting the same keys again then checks each dead entry of the unique index
    (2.7 s more of the server's CPU, 8.2 s instead of 5.5, measured 2026-12-04)."""
    from gridlight.policies.models import Match, MatchRun, Push

    if connection.vendor == "postgresql":
        tables = [m._meta.db_table for m in (Push, Match, MatchRun)]
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(tables)}")
    else:
        Match.objects.all().delete()
        MatchRun.objects.all().delete()


def run_one(*, db: str, scale: str) -> None:
    from gridlight.policies import matching
    from gridlight.policies.models import Match
    from gridlight.talent.models import Talent

    _build()
    if not Match.objects.exists():
        matching.match_all("talent", push=False)
    ids = list(Talent.objects.order_by("?").values_list("pk", flat=True)[:51])
    samples, cpus, servers = [], [], []
    flip = {"rents": "owns", "owns": "rents"}
    for pk in ids:
        t = Talent.objects.get(pk=pk)
        Talent.objects.filter(pk=pk).update(housing=flip.get(t.housing, "rents"))
        server = server_cpu()
        start, cpu = time.perf_counter(), time.process_time()
        matching.match_one("talent", pk, push=False)
        samples.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        if server is not None:
            servers.append((server_cpu() or 0) - server)
    # The first warms the compiled catalogue. The server's CPU is counted in clock ticks
    # (10 ms): only its mean over the calls means anything.
    samples, cpus, servers = samples[1:], cpus[1:], servers[1:]
    report(
        "match-one",
        db=db,
        rows=Talent.objects.count(),
        seconds=statistics.median(samples),
        p90_seconds=round(sorted(samples)[int(len(samples) * 0.9)], 4),
        cpu_ms_median=round(statistics.median(cpus) * 1000, 2),
        server_cpu_ms_mean=round(statistics.mean(servers) * 1000, 2) if servers else None,
        load_1min=round(os.getloadavg()[0], 1),
        policies=50,
        gauge_ms=speed_gauge(),
    )


def run_push(*, db: str, scale: str) -> None:
    """Every met match pushed through a real Celery worker with Redis (``BENCH_REDIS_URL``):
    the ``queue_pushes`` tasks (talents and enterprises, side by side), then the outbox's
    ``send_notices`` tasks; timed from the first task sent to the last result back. The
    worker runs ``BENCH_PUSH_WORKERS`` processes (2); the senders take ``BENCH_PUSH_BATCH``
    notices a transaction (2,000), two of them at once on PostgreSQL (``SKIP LOCKED``), one on
    SQLite (one writer at a time). On PostgreSQL the untimed setup runs ``VACUUM ANALYZE`` on
    the tables involved (``BENCH_PUSH_ANALYZE=0`` skips it): the bench's server has autovacuum
    off."""
    from django.conf import settings

    from gridlight.core.crypto import encrypt
    from gridlight.policies import matching
    from gridlight.policies.models import Match, Push
    from gridlight.talent.models import Talent
    from gridlight.tickets import notify
    from gridlight.tickets.models import Message, Notice, NoticeStatus

    _build()
    if not Match.objects.exists():
        matching.match_all("talent", push=False)
        matching.match_all("enterprise", push=False)
    Push.objects.all().delete()
    Notice.objects.filter(kind="policy_push").delete()
    Match.objects.update(pushed_at=None)
    # Every talent has a phone (an SMS per push); a sign-in is not needed for the outbox's work.
    Talent.objects.update(phone_enc=encrypt("13900000000"))
    sms_file = settings.DATA_DIR / notify.SMS_OUTBOX
    sms_file.unlink(missing_ok=True)
    if connection.vendor == "postgresql" and os.environ.get("BENCH_PUSH_ANALYZE", "1") == "1":
        # What autovacuum would have done by now (it is off on the bench's server): without
        # statistics on the matches just written, the planner reads every talent's match for
        # each chunk of pushes (a bitmap scan and a sort, 250 ms a chunk) instead of the first
        # 5,000 in id order.
        for model in (Match, Push, Notice, Talent):
            with connection.cursor() as cur:
                cur.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    workers = int(os.environ.get("BENCH_PUSH_WORKERS", "2"))
    batch = int(os.environ.get("BENCH_PUSH_BATCH", "2000"))
    senders = workers if connection.vendor == "postgresql" else 1
    with CeleryWorker(concurrency=workers) as worker:
        gauge = speed_gauge()
        load_before = os.getloadavg()[0]
        server = PgBackendCpu() if connection.vendor == "postgresql" else None
        if server:
            server.begin()
            server.poll()
        worker_cpu, cpu = worker.cpu(), process_cpu()
        start = time.perf_counter()
        queued = [
            worker.send("gridlight.policies.queue_pushes", subject_type=t, chunk=BATCH)
            for t in ("talent", "enterprise")
        ]
        pushes = sum(int(r.get(timeout=3600)) for r in queued)
        queue_seconds = time.perf_counter() - start
        # Then the outbox, by ``senders`` at once. (Sending back to back while the pushes were
        # queued was slower on the two shared cores: 55.7 s against 34.6 s on PostgreSQL.)
        sends = [worker.send("gridlight.tickets.send_notices", batch=batch) for _ in range(senders)]
        sent = sum(int(r.get(timeout=3600)) for r in sends)
        seconds = time.perf_counter() - start
        load = os.getloadavg()[0]
        worker_cpu, cpu = worker.cpu() - worker_cpu, process_cpu() - cpu
        if server:
            server.stop()
    keys = [line.split('"key": "', 1)[1].split('"', 1)[0] for line in sms_file.open()]
    pending = Notice.objects.filter(kind="policy_push").exclude(status=NoticeStatus.SENT)
    report(
        "push",
        db=db,
        rows=pushes,
        seconds=seconds,
        queue_seconds=round(queue_seconds, 2),
        send_seconds=round(seconds - queue_seconds, 2),
        # CPU seconds: the Celery worker's processes, this process (sending tasks, waiting),
        # and PostgreSQL's backends for this database (sampled from /proc).
        worker_cpu_seconds=round(worker_cpu, 2),
        bench_cpu_seconds=round(cpu, 2),
        server_cpu_seconds=round(server.seconds(), 2) if server else None,
        load_1min_before=round(load_before, 1),
        load_1min=round(load, 1),
        workers=workers,
        senders=senders,
        batch=batch,
        pushes_stored=Push.objects.count(),
        notices_sent=sent,
        notices_not_sent=pending.count(),
        sms=len(keys),
        sms_keys_repeated=len(keys) - len(set(keys)),
        messages=Message.objects.count(),
        gauge_ms=gauge,
    )
