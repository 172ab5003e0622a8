"""Ticket intake over HTTP: ``POST /api/v1/tickets`` with a bearer token, from a pool of client
threads, against two app worker processes (``gridlight serve``, waitress, 8 threads each, one
on each of two ports: the simplest arrangement that works everywhere, without SO_REUSEPORT; in
production a proxy in front spreads the load). Run it on PostgreSQL: two processes writing one
SQLite file queue on its write lock.

Two runs of ``INTAKE_SECONDS`` (default 20) each:

* ``intake``: steady load; tickets per second acknowledged (201), and every acknowledged ticket
  found stored;
* ``intake-restart``: the same, and one worker is killed (SIGKILL) a third of the way in and
  started again. A request that fails at the connection — refused, reset, or cut off before its
  response — is not acknowledged, so the client retries it on the other worker, with the same
  marker in its title and as its ``Idempotency-Key``. Afterwards every marker acknowledged must
  be stored (nothing lost), and the report counts markers stored twice, which must be none: a
  request whose transaction committed but whose response was cut off by the kill is retried,
  and the key returns the ticket the first attempt stored.

Every request carries the run's tag and its own number in the title, so the count is exact on a
reused database with other tickets in it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any

from bench.common import process_cpu, report, speed_gauge
from bench.setup import build_ticket_history

_TICK = os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[float, float, float]:
    """Busy, stolen and total CPU seconds of the whole machine so far (all CPUs, /proc/stat).
    Stolen time is what the hypervisor gave to other guests: a run with much of it is suspect."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    idle, steal = fields[3] + fields[4], fields[7]
    return (sum(fields) - idle - steal) / _TICK, steal / _TICK, sum(fields) / _TICK


class _Worker:
    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gridlight.cli",
                "serve",
                "--port",
                str(self.port),
                "--threads",
                THREADS,
            ],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"worker on port {self.port} did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _database_backends() -> list[int]:
    """The process ids of the other PostgreSQL sessions on the benchmark's database (the app
    workers' connections), to read their CPU from /proc like the workers'."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cur.fetchall()]


class _CpuMeter:
    """Where the CPU went during a run: the load client (this process), the app workers, the
    database sessions they use, and the rest of the machine, in milliseconds per acknowledged
    ticket. CPU time, unlike wall time, shows what each part costs when they share the CPUs.
    (The sessions of a killed worker end with it; their CPU up to the last reading is kept.)"""

    def __init__(self, workers: list[_Worker]) -> None:
        self.workers = workers
        self.client0 = sum(os.times()[:2])
        self.busy0, self.steal0, self.total0 = _machine_cpu()
        self.worker_cpu = 0.0
        self.pids = {w.proc.pid: process_cpu(w.proc.pid) for w in workers if w.proc}
        self.backends = {pid: process_cpu(pid) for pid in _database_backends()}
        self.backends_last = dict(self.backends)

    def _read_backends(self) -> None:
        for pid in _database_backends():
            self.backends.setdefault(pid, 0.0)
        for pid in self.backends:
            now = process_cpu(pid)
            if now:
                self.backends_last[pid] = now

    def before_kill(self, pid: int) -> None:
        # A killed process's CPU can no longer be read: bank it now.
        self.worker_cpu += process_cpu(pid) - self.pids.pop(pid, 0.0)
        self._read_backends()

    def after_start(self) -> None:
        for w in self.workers:
            if w.proc and w.proc.pid not in self.pids:
                self.pids[w.proc.pid] = 0.0

    def result(self, tickets: int) -> dict[str, float]:
        client = sum(os.times()[:2]) - self.client0
        workers = self.worker_cpu + sum(process_cpu(p) - s for p, s in self.pids.items())
        self._read_backends()
        database = sum(self.backends_last.get(p, s) - s for p, s in self.backends.items())
        busy, steal, total = _machine_cpu()
        busy -= self.busy0
        total -= self.total0
        per = 1000 / max(tickets, 1)
        return {
            "cpu_ms_per_ticket": round(busy * per, 2),
            "client_cpu_ms": round(client * per, 2),
            "workers_cpu_ms": round(workers * per, 2),
            "database_cpu_ms": round(database * per, 2),
            "rest_cpu_ms": round((busy - client - workers - database) * per, 2),
            "machine_busy_pct": round(100 * busy / max(total, 1e-9), 1),
            "stolen_pct": round(100 * (steal - self.steal0) / max(total, 1e-9), 1),
            # The client's work per request is fixed (build, send, read one request), so the
            # whole cost in units of it is the same on a fast or a slow day of a shared machine:
            # the figure to compare between runs and between versions of the code.
            "cost_in_client_units": round(busy / max(client, 1e-9), 1),
        }


PORTS = (8731, 8732)
CLIENTS = int(os.environ.get("INTAKE_CLIENTS", "16"))
THREADS = os.environ.get("INTAKE_THREADS", "8")  # per app worker
SECONDS = float(os.environ.get("INTAKE_SECONDS", "20"))


class _Load:
    """The client pool: each thread keeps a connection to its own worker and fails over to the
    other one when a request fails at the connection."""

    def __init__(self, token: str, tag: str, body: dict[str, Any]) -> None:
        self.token = token
        self.tag = tag
        self.body = body
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: dict[str, int] = {}  # marker → ticket id
        self.statuses: Counter[int] = Counter()
        self.retries = 0
        self.latencies: list[float] = []
        self.seq = 0

    def _next(self) -> str:
        with self.lock:
            self.seq += 1
            return f"{self.tag} #{self.seq}"

    def client(self, index: int) -> None:
        conns: dict[int, http.client.HTTPConnection] = {}
        home = PORTS[index % len(PORTS)]
        while not self.stop.is_set():
            marker = self._next()
            payload = json.dumps({**self.body, "title": marker}).encode()
            port = home
            while True:
                conn = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conns[port] = conn
                start = time.perf_counter()
                try:
                    conn.request(
                        "POST",
                        "/api/v1/tickets",
                        body=payload,
                        headers={
                            "Authorization": f"Bearer {self.token}",
                            "Content-Type": "application/json",
                            # A retry after a lost answer is recognised, not stored twice.
                            "Idempotency-Key": marker,
                        },
                    )
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException):
                    # Not acknowledged: retry the same request on the other worker.
                    conn.close()
                    conns.pop(port, None)
                    if self.stop.is_set():
                        break  # the run is over: this one stays unacknowledged
                    with self.lock:
                        self.retries += 1
                    port = PORTS[(PORTS.index(port) + 1) % len(PORTS)]
                    time.sleep(0.05)
                    continue
                elapsed = time.perf_counter() - start
                with self.lock:
                    self.statuses[response.status] += 1
                    self.latencies.append(elapsed)
                    if response.status == 201:
                        self.acked[marker] = int(json.loads(data)["id"])
                break
        for conn in conns.values():
            conn.close()


def run(*, db: str, scale: str) -> None:
    from gridlight.core.models import Region, RegionLevel, User
    from gridlight.core.services import token_create

    build_ticket_history(scale)
    admin = User.objects.get(username="admin")
    _token, secret = token_create(actor=admin, name=f"intake bench {uuid.uuid4().hex[:6]}")
    grid = Region.objects.filter(level=RegionLevel.GRID, path__startswith="0001.").order_by("path")[
        7
    ]
    body = {
        "category": "sanitation",
        "region": grid.code,
        "description": "压测：小区垃圾清运不及时",
        "address": "济南市市中区测试路1号",
        "requester_name": "测试",
        "requester_phone": "13800000000",
        "source": "hotline",
    }
    workers = [_Worker(p) for p in PORTS]
    try:
        for w in workers:
            w.start()
        _warm_up(secret, body)
        for name, restart in (("intake", False), ("intake-restart", True)):
            _measure(name, db, secret, body, workers, restart)
    finally:
        for w in workers:
            w.stop()


def _warm_up(secret: str, body: dict[str, Any]) -> None:
    load = _Load(secret, f"bench-warmup-{uuid.uuid4().hex[:8]}", body)
    threads = [threading.Thread(target=load.client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)
    load.stop.set()
    for t in threads:
        t.join()


def _measure(
    name: str, db: str, secret: str, body: dict[str, Any], workers: list[_Worker], restart: bool
) -> None:
    from gridlight.tickets.models import Ticket

    tag = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    load = _Load(secret, tag, body)
    threads = [threading.Thread(target=load.client, args=(i,)) for i in range(CLIENTS)]
    gauge = speed_gauge()
    meter = _CpuMeter(workers)
    start = time.perf_counter()
    for t in threads:
        t.start()
    restarted = 0.0
    if restart:
        time.sleep(SECONDS / 3)
        assert workers[0].proc is not None
        meter.before_kill(workers[0].proc.pid)
        workers[0].kill()
        down = time.perf_counter()
        time.sleep(1)
        workers[0].start()
        meter.after_start()
        restarted = time.perf_counter() - down
        time.sleep(max(0.0, SECONDS - (time.perf_counter() - start)))
    else:
        time.sleep(SECONDS)
    load.stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu = meter.result(len(load.acked))
    stored = Counter(
        Ticket.objects.filter(title__startswith=tag + " ").values_list("title", flat=True)
    )
    stored_ids = set(
        Ticket.objects.filter(title__startswith=tag + " ").values_list("pk", flat=True)
    )
    lost = [m for m, pk in load.acked.items() if m not in stored or pk not in stored_ids]
    acked = len(load.acked)
    latencies = sorted(load.latencies)
    report(
        name,
        db=db,
        rows=sum(stored.values()),
        seconds=round(elapsed, 2),
        tickets_per_second=round(acked / elapsed, 1),
        acknowledged=acked,
        stored=sum(stored.values()),
        lost=len(lost),
        stored_twice=sum(n - 1 for n in stored.values() if n > 1),
        stored_unacknowledged=sum(1 for m in stored if m not in load.acked),
        retried=load.retries,
        statuses=dict(load.statuses),
        p50_ms=round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        p95_ms=round(1000 * latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
        clients=CLIENTS,
        workers=len(workers),
        **({"worker_down_seconds": round(restarted, 2)} if restart else {}),
        **cpu,
        speed_gauge_ms=gauge,
    )
    assert not lost, lost[:5]
