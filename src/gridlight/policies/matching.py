"""Matching: every policy version in force evaluated for every subject, stored as ``Match`` rows
with their explanation snapshot, and the precise push of new matches through the notice outbox.

Three ways in, one result:

* ``match_all`` — set-based, for all subjects of a type (nightly, and when a version is
  published), or for a list of them (an enterprise changed: its talents). One feature query
  carries every field the policies read and, per policy, its condition rendered as SQL (NULL is
  unknown); only the subjects with a met or unknown policy come back. Each (policy, values it
  reads) is evaluated once in Python and remembered for the run — a hundred thousand talents have
  a few thousand distinct combinations — which gives the state, the missing facts, the amount and
  the snapshot of values. Rows are compared with the stored ones by a digest, and only what changed
  is written (``executemany``), then the vanished ones are withdrawn and the versions no longer
  in force superseded, each in one statement.
* ``match_one`` — one subject after its profile changed: its values read through the subject's
  own ``values`` (a handful of indexed queries), all policies evaluated, the difference written.
* Both write the same rows: the snapshot is the values the policy read, with each value's source
  and as-of day (``Subject.provenance_row``), and the verdict tree is re-derived from it and the
  immutable version for display.

Pushes (``queue_pushes``): for each current, offered, met match not yet pushed, a ``Push`` row —
unique per subject and version, so running twice, or being killed and restarted, cannot make a
second — and its outbox notices (in-app to the subject's users, SMS to a talent's phone), created
in the same transaction; the outbox sender delivers them (tickets/notify.py).
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridlight.core.bulk import bulk_insert, in_list
from gridlight.core.idcard import age_on
from gridlight.policies.benefits import Offer, compute, resolve_groups
from gridlight.policies.definition import STATES, CompiledPolicy, Result, evaluate
from gridlight.policies.models import (
    Match,
    MatchRun,
    MatchState,
    MatchStatus,
    Mode,
    Policy,
    PolicyVersion,
    Push,
    RunKind,
    VersionStatus,
)
from gridlight.policies.selectors import compiled_in_force
from gridlight.rules.conditions import SqlContext
from gridlight.rules.engine import values_from_features
from gridlight.rules.subjects import Subject, get_subject
from gridlight.tickets.models import Notice, NoticeStatus

CHUNK = 20000  # rows written per transaction
PUSH_PAUSE_ENV = "GRIDLIGHT_PUSH_PAUSE_AFTER_CHUNK"
MATCHED_TYPES = ("talent", "enterprise")
SUBJECT_FK = {"talent": "talent_id", "enterprise": "enterprise_id", "household": "household_id"}

# What a subject already receives (policy codes), by subject id: the grants of the application
# and grant workflow feed it (``receiving_sources.append(fn)``); a received policy is stored
# as not offered, and never pushed.
ReceivingSource = Callable[[str, Sequence[int] | None], dict[int, set[str]]]
receiving_sources: list[ReceivingSource] = []


def receiving_for(subject_type: str, ids: Sequence[int] | None = None) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for source in receiving_sources:
        for sid, codes in source(subject_type, ids).items():
            out.setdefault(sid, set()).update(codes)
    return out


# --- the policies in force, compiled once per catalogue state -----------------------------------


@dataclass
class Prepared:
    policy: Policy
    version: PolicyVersion
    compiled: CompiledPolicy
    needs: tuple[str, ...]  # feature needs of its condition and its benefit
    fields: tuple[str, ...]  # the subject fields it reads (snapshot)
    tags: tuple[str, ...]
    source_fields: tuple[str, ...] = ()  # sorted: the snapshot's sources
    policy_id: int = 0
    version_id: int = 0
    # Its amount or offer depends on the subject's other policies (a formula reading them, or
    # an exclusive group).
    joint: bool = False

    def __post_init__(self) -> None:
        self.policy_id, self.version_id = self.policy.pk, self.version.pk
        self.joint = bool(self.compiled.depends_on or self.compiled.group)


_CACHE: dict[tuple[str, date], tuple[Any, list[Prepared]]] = {}


def _stamp() -> Any:
    """Changes whenever a version is published or ended, or a policy edited (one query)."""
    v, p = PolicyVersion._meta.db_table, Policy._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT COUNT(*) FROM {v} WHERE status = %s), "  # noqa: S608
            f"(SELECT MAX(id) FROM {v}), (SELECT MAX(published_at) FROM {v}), "
            f"(SELECT MAX(effective_to) FROM {v}), (SELECT MAX(updated_at) FROM {p}), "
            f"(SELECT COUNT(*) FROM {p})",
            [VersionStatus.PUBLISHED],
        )
        return cur.fetchone()


def prepared(subject_type: str, day: date) -> list[Prepared]:
    """The versions in force on ``day`` for ``subject_type``, compiled; cached until the
    catalogue changes (one aggregate query checks it)."""
    stamp = _stamp()
    hit = _CACHE.get((subject_type, day))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    subject = get_subject(subject_type)
    out = []
    for policy, version, compiled in compiled_in_force(subject_type, day):
        needs = set(compiled.condition.needs()) - {"cel"}
        if not compiled.condition.batchable:
            needs |= _all_needs(subject)
        needs |= {f"field:{f}" for f in compiled.benefit.fields_used}
        fields = sorted(n[6:] for n in needs if n.startswith("field:"))
        tags = sorted(n[4:] for n in needs if n.startswith("tag:"))
        source_fields = tuple(sorted([*fields, *(["tags"] if tags else [])]))
        out.append(
            Prepared(
                policy,
                version,
                compiled,
                tuple(sorted(needs)),
                tuple(fields),
                tuple(tags),
                source_fields,
            )
        )
    _CACHE[(subject_type, day)] = (stamp, out)
    return out


def _applies(prep: Prepared, region_path: str) -> bool:
    """Whether the subject lies inside the region that issued the policy."""
    path = prep.policy.region_path
    return region_path == path or region_path.startswith(path + ".")


def _all_needs(subject: Subject) -> set[str]:
    needs = {f"field:{n}" for n, f in subject.fields().items() if f.type != "list_string"}
    return needs | {f"tag:{t}" for t in subject.tags()} | {f"grade:{g}" for g in subject.grades()}


# --- one row of results ----------------------------------------------------------------------


@dataclass
class Cell:
    """One policy for one subject, ready to store."""

    prep: Prepared
    state: str
    amount: int | None
    missing: list[str]
    values: dict[str, Any]
    offered: bool = True
    superseded_by: str = ""
    explanation: str = ""  # JSON text
    digest: str = ""


def _json_value(v: Any) -> Any:
    if isinstance(v, set | frozenset):
        return sorted(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


def snapshot(prep: Prepared, values: dict[str, Any], sources: dict[str, Any], day: date) -> str:
    """The explanation snapshot of one verdict, as JSON text: the evaluation day and, for each
    field the policy reads, the value used, its source and as of when."""
    used: dict[str, Any] = {f: _json_value(values.get(f)) for f in prep.fields}
    src: dict[str, Any] = {}
    for f in prep.fields:
        s = sources.get(f)
        if s is not None:
            src[f] = [s.label, s.as_of.isoformat() if s.as_of else None]
    if prep.tags:
        present = values.get("tags") or set()
        used["tags"] = [t for t in prep.tags if t in present]
        s = sources.get("tags")
        if s is not None:
            src["tags"] = [s.label, s.as_of.isoformat() if s.as_of else None]
    doc = {"as_of": day.isoformat(), "values": used, "sources": src}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest(cell: Cell) -> str:
    """What a run compares with the stored row: everything but the evaluation day (the first
    key of the snapshot), so a verdict that did not change is not rewritten every night — its
    snapshot keeps the day of the evaluation that last changed it."""
    text = f"{cell.state}|{cell.amount}|{cell.offered}|{cell.superseded_by}|{cell.missing}|"
    evidence = cell.explanation.split(",", 1)[-1]
    return hashlib.blake2b((text + evidence).encode(), digest_size=12).hexdigest()


def _finish(
    cells: list[Cell],
    values: dict[str, Any],
    sources: dict[str, Any],
    day: date,
    receiving: set[str],
    explain: Callable[[Cell], str] | None = None,
) -> list[Cell]:
    """Amounts read from other policies, exclusive groups, what is already received,
    snapshots and digests — for one subject's met and unknown cells."""
    by_code = {c.prep.compiled.code: c for c in cells}
    pending = [c for c in cells if c.state == "met" and c.prep.compiled.depends_on]
    if pending:
        amounts: dict[str, int | None] = {k: v.amount for k, v in by_code.items()}
        for c in sorted(pending, key=lambda c: len(c.prep.compiled.depends_on)):
            other = {code: amounts.get(code, 0) for code in c.prep.compiled.depends_on}
            result = compute(c.prep.compiled.benefit, values, other)
            c.amount = result.fen
            c.missing = sorted(result.missing) if result.fen is None else []
            amounts[c.prep.compiled.code] = c.amount
    grouped = [
        Offer(c.prep.compiled.code, c.prep.compiled.group, c.amount)
        for c in cells
        if c.state == "met" and c.prep.compiled.group
    ]
    if grouped:
        for offer in resolve_groups(grouped):
            by_code[offer.code].superseded_by = offer.superseded_by
    for c in cells:
        c.offered = not c.superseded_by and c.prep.compiled.code not in receiving
        c.explanation = explain(c) if explain else snapshot(c.prep, values, sources, day)
        c.digest = _digest(c)
    return cells


def cells_from_results(
    preps: list[Prepared],
    results: dict[str, Result],
    values: dict[str, Any],
    sources: dict[str, Any],
    day: date,
) -> list[Cell]:
    """The met and unknown cells of a full ``definition.evaluate`` (the one-subject path)."""
    cells = []
    for p in preps:
        r = results[p.compiled.code]
        if r.state == "not_met":
            continue
        amount = r.amount.fen if r.amount is not None else None
        cell = Cell(p, r.state, amount, sorted(r.missing), values)
        cell.offered = r.offered
        cell.superseded_by = r.superseded_by
        cell.explanation = snapshot(p, values, sources, day)
        cell.digest = _digest(cell)
        cells.append(cell)
    return cells


# --- writing -------------------------------------------------------------------------------------


class Stored(NamedTuple):
    """A stored match that a run may change, as ``_stored`` reads it."""

    id: int
    subject_id: int
    version_id: int
    state: str
    status: str
    digest: str
    is_new: bool
    region_path: str


INSERT_COLUMNS = [
    "subject_type",
    "subject_id",
    *SUBJECT_FK.values(),
    "region_path",
    # From here on (``Writer.tail``) the same for every subject with the same verdict…
    "policy_id",
    "version_id",
    "state",
    "status",
    "offered",
    "superseded_by",
    "amount_fen",
    "missing",
    "is_new",
    "first_run_id",
    "last_run_id",
    "created_at",
    "evaluated_at",
    "changed_at",
    "matched_at",
    # … and these two the same for every one with the same verdict and sources.
    "explanation",
    "digest",
]


# The subject again as the foreign key of its type (talent, enterprise, household), the others NULL.
_SUBJECT_FKS: tuple[Callable[[int], tuple[int | None, ...]], ...] = (
    lambda sid: (sid, None, None),
    lambda sid: (None, sid, None),
    lambda sid: (None, None, sid),
)
_CURRENT = MatchStatus.CURRENT.value


@dataclass
class Writer:
    """Collects one run's inserts and updates and writes them in batches, each in one
    transaction: the inserts set-based (``core.bulk.bulk_insert``: COPY on PostgreSQL, multi-row
    INSERT on SQLite), the updates (few on a nightly run) as one prepared statement."""

    subject_type: str
    run: MatchRun
    now: datetime
    stored: dict[tuple[int, int], Stored] = field(default_factory=dict)
    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    created: int = 0
    changed: int = 0
    db_now: Any = None  # ``now`` as the database driver takes it (adapted once, not per row)
    run_id: int = 0

    def __post_init__(self) -> None:
        self.db_now = connection.ops.adapt_datetimefield_value(self.now)
        self.run_id = self.run.pk
        self._fk = _SUBJECT_FKS[list(SUBJECT_FK).index(self.subject_type)]

    def add(self, sid: int, path: str, cell: Cell) -> None:
        missing = json.dumps(cell.missing) if cell.missing else "[]"
        self.put(
            sid,
            path,
            cell.prep,
            cell.state,
            cell.offered,
            cell.superseded_by,
            cell.amount,
            missing,
            cell.explanation,
            cell.digest,
        )

    def head(self, sid: int, path: str) -> tuple[Any, ...]:
        """The start of a subject's inserted rows (``INSERT_COLUMNS`` up to ``region_path``)."""
        return (self.subject_type, sid, *self._fk(sid), path)

    def tail(
        self,
        prep: Prepared,
        state: str,
        offered: bool,
        superseded_by: str,
        amount: int | None,
        missing: str,
    ) -> tuple[Any, ...]:
        """An inserted row after its ``head``, but for its explanation and digest (which come
        last in ``INSERT_COLUMNS``)."""
        now = self.db_now
        met_at = now if state == MatchState.MET else None
        run = self.run_id
        return (
            prep.policy_id,
            prep.version_id,
            state,
            _CURRENT,
            offered,
            superseded_by,
            amount,
            missing,
            True,
            run,
            run,
            now,
            now,
            now,
            met_at,
        )

    def put(
        self,
        sid: int,
        path: str,
        prep: Prepared,
        state: str,
        offered: bool,
        superseded_by: str,
        amount: int | None,
        missing: str,
        explanation: str,
        digest: str,
    ) -> None:
        """One met or unknown verdict: inserted, updated, or left alone when unchanged."""
        old = self.stored.get((sid, prep.version_id)) if self.stored else None
        if old is None:
            tail = self.tail(prep, state, offered, superseded_by, amount, missing)
            self.inserts.append(
                (self.subject_type, sid, *self._fk(sid), path, *tail, explanation, digest)
            )
            self.created += 1
            return
        now = self.db_now
        met_at = now if state == MatchState.MET else None
        self.seen.add(old.id)
        # Unchanged (a subject that moved street is rewritten: its path scopes who sees it).
        # Its "new" flag is cleared by ``_close``, in one statement for the run.
        if old.digest == digest and old.status == MatchStatus.CURRENT and old.region_path == path:
            return
        is_new = old.state != state or old.status != MatchStatus.CURRENT
        self.updates.append(
            (
                path,
                state,
                MatchStatus.CURRENT,
                offered,
                superseded_by,
                amount,
                missing,
                explanation,
                digest,
                is_new,
                self.run_id,
                now,
                now,
                met_at,
                old.id,
            )
        )
        self.changed += 1

    def flush(self, force: bool = False) -> None:
        if not force and len(self.inserts) + len(self.updates) < CHUNK:
            return
        if not self.inserts and not self.updates:
            return
        table = Match._meta.db_table
        json_cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
        with _writing():
            bulk_insert(table, INSERT_COLUMNS, self.inserts, typed=True)
            if self.updates:
                with connection.cursor() as cur:
                    cur.executemany(
                        f"UPDATE {table} SET region_path = %s, state = %s, status = %s, "  # noqa: S608
                        f"offered = %s, superseded_by = %s, amount_fen = %s, "
                        f"missing = {json_cast}, explanation = {json_cast}, digest = %s, "
                        f"is_new = %s, last_run_id = %s, evaluated_at = %s, changed_at = %s, "
                        f"matched_at = COALESCE(matched_at, %s), withdrawn_at = NULL WHERE id = %s",
                        self.updates,
                    )
        self.inserts.clear()
        self.updates.clear()


@contextmanager
def _writing() -> Iterator[None]:
    """A transaction of a run's writes, or part of the caller's with no savepoint (nothing
    here is rolled back alone). On PostgreSQL a transaction of its own commits without waiting
    for its WAL to reach the disk (``synchronous_commit = off``): the matches are derived from
    the profiles and the catalogue and rewritten by the next run, so a crash loses at most the
    last fraction of a second of runs, never consistency (a first run of 290,000 matches in 15
    commits: about 2.5 s less wall time, measured 2026-12-04). Pushes stay durable
    (``_push_chunk``'s own transactions, ``match_one``'s): a notice the sender has delivered
    must not be lost, or a later run would push again — and their commit makes every earlier
    match they were made from durable too."""
    own = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):
        if own and connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = off")
        yield


def _stored(subject_type: str, ids: Sequence[int] | None) -> dict[tuple[int, int], Stored]:
    """The stored matches of these subjects that a run may change (not superseded ones)."""
    sql = (
        f"SELECT id, subject_id, version_id, state, status, digest, is_new, region_path "  # noqa: S608
        f"FROM {Match._meta.db_table} WHERE subject_type = %s AND status <> %s"
    )
    params: list[Any] = [subject_type, MatchStatus.SUPERSEDED]
    if ids is not None:
        sql, params = _of_subjects(sql, params, ids)
    out: dict[tuple[int, int], Stored] = {}
    make = Stored._make
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(20000):
            for row in rows:
                out[(row[1], row[2])] = make(row)
    return out


def _of_subjects(sql: str, params: list[Any], ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``sql`` narrowed to these subjects (one parameter, whatever their number); a single
    subject as ``subject_id = %s``, which every database plans through the unique index."""
    if len(ids) == 1:
        return sql + " AND subject_id = %s", [*params, ids[0]]
    cond, ps = in_list("subject_id", ids)
    return f"{sql} AND {cond}", [*params, *ps]


def _chunks(ids: Sequence[int], size: int = 900) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def _update_ids(assignments: str, params: list[Any], ids: list[int], where: str = "") -> int:
    """``UPDATE`` the matches with these ids, in one statement (``assignments`` and ``where``
    are our own SQL, never input)."""
    if not ids:
        return 0
    cond, ps = in_list("id", ids) if len(ids) > 1 else ("id = %s", [ids[0]])
    also = f" AND {where}" if where else ""
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {Match._meta.db_table} SET {assignments} WHERE {cond}{also}",  # noqa: S608
            [*params, *ps],
        )
        return int(cur.rowcount)


def _close(writer: Writer, in_force: set[int], ids: Sequence[int] | None) -> tuple[int, int]:
    """Withdraw the current matches a run no longer found (not deleted: marked), clear "new"
    on the ones it found unchanged, and supersede matches of versions no longer in force: one
    statement each, for the run's subjects (``ids``; all of the type when None), each left out
    when the rows read before the run show it has nothing to do.

    The rows the run wrote carry its id in ``last_run_id`` (withdrawing sets it too): what is
    left current, in force and still "new" is what the run found unchanged."""
    stored = writer.stored.values()
    gone = [
        s.id
        for s in stored
        if s.id not in writer.seen and s.version_id in in_force and s.status == MatchStatus.CURRENT
    ]
    at, run = writer.db_now, writer.run.pk
    versions, version_params = in_list("version_id", sorted(in_force))

    def update(assignments: str, params: list[Any], where: str, where_params: list[Any]) -> int:
        sql = (
            f"UPDATE {Match._meta.db_table} SET {assignments} "  # noqa: S608
            f"WHERE subject_type = %s AND {where}"
        )
        ps = [*params, writer.subject_type, *where_params]
        if ids is not None:
            sql, ps = _of_subjects(sql, ps, ids)
        with connection.cursor() as cur:
            cur.execute(sql, ps)
            return int(cur.rowcount)

    with _writing():
        withdrawn = _update_ids(
            "status = %s, state = %s, is_new = %s, withdrawn_at = %s, changed_at = %s, "
            "evaluated_at = %s, last_run_id = %s",
            [MatchStatus.WITHDRAWN, MatchState.NOT_MET, True, at, at, at, run],
            gone,
        )
        if any(s.is_new for s in stored):
            update(
                "is_new = %s",
                [False],
                f"is_new AND status = %s AND {versions} "
                "AND (last_run_id IS NULL OR last_run_id <> %s)",
                [MatchStatus.CURRENT, *version_params, run],
            )
        superseded = 0
        if any(s.version_id not in in_force for s in stored):
            superseded = update(
                "status = %s, changed_at = %s, last_run_id = %s",
                [MatchStatus.SUPERSEDED, at, run],
                f"status <> %s AND NOT ({versions})",
                [MatchStatus.SUPERSEDED, *version_params],
            )
    return withdrawn, superseded


# --- the set-based run -------------------------------------------------------------------------


def _start(
    kind: str,
    subject_type: str,
    day: date,
    *,
    policy: Policy | None = None,
    subject_id: int | None = None,
) -> MatchRun:
    """A run's row, written at its start (its matches carry its id). Plain SQL, as is
    ``_finish_run``: the ORM's compiling of the two statements was a tenth of ``match_one``'s
    CPU."""
    run = MatchRun(
        kind=kind,
        subject_type=subject_type,
        as_of=day,
        started_at=timezone.now(),
        policy=policy,
        subject_id=subject_id,
    )
    ops = connection.ops
    values = [kind, subject_type, policy.pk if policy else None, subject_id]
    values += [ops.adapt_datefield_value(day), ops.adapt_datetimefield_value(run.started_at)]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {MatchRun._meta.db_table} (kind, subject_type, policy_id, "  # noqa: S608
            "subject_id, as_of, started_at, subjects, created, changed, withdrawn, superseded, "
            "pushes) VALUES (%s, %s, %s, %s, %s, %s, 0, 0, 0, 0, 0, 0) RETURNING id",
            values,
        )
        run.pk = cur.fetchone()[0]
    run._state.adding = False
    return run


def _finish_run(run: MatchRun) -> None:
    run.finished_at = timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {MatchRun._meta.db_table} SET finished_at = %s, subjects = %s, "  # noqa: S608
            "created = %s, changed = %s, withdrawn = %s, superseded = %s, pushes = %s "
            "WHERE id = %s",
            [
                connection.ops.adapt_datetimefield_value(run.finished_at),
                run.subjects,
                run.created,
                run.changed,
                run.withdrawn,
                run.superseded,
                run.pushes,
                run.pk,
            ],
        )


def match_all(
    subject_type: str,
    day: date | None = None,
    *,
    kind: str = RunKind.NIGHTLY,
    ids: Sequence[int] | None = None,
    policy: Policy | None = None,
    push: bool = True,
) -> MatchRun:
    """Match every subject of ``subject_type`` (or those in ``ids``) against every version in
    force on ``day``; store the differences; queue the pushes of new matches."""
    day = day or timezone.localdate()
    with translation.override(_language()):
        return _match_all(subject_type, day, kind, ids, policy, push)


def _language() -> str:
    from django.conf import settings

    return str(settings.LANGUAGE_CODE)


def _match_all(
    subject_type: str,
    day: date,
    kind: str,
    ids: Sequence[int] | None,
    policy: Policy | None,
    push: bool,
) -> MatchRun:
    subject = get_subject(subject_type)
    preps = prepared(subject_type, day)
    run = _start(kind, subject_type, day, policy=policy)
    now = run.started_at
    writer = Writer(subject_type, run, now, _stored(subject_type, ids))
    receiving = receiving_for(subject_type, ids)
    subjects = _evaluate_all(subject, preps, day, ids, writer, receiving) if preps else 0
    writer.flush(force=True)
    withdrawn, superseded = _close(writer, {p.version_id for p in preps}, ids)
    run.subjects = subjects
    run.created, run.changed = writer.created, writer.changed
    run.withdrawn, run.superseded = withdrawn, superseded
    if push:
        run.pushes = queue_pushes(subject_type, run=run, ids=ids)
    _finish_run(run)
    return run


def _feature_query(
    subject: Subject,
    batch: list[Prepared],
    rowwise: list[Prepared],
    columns: dict[str, str],
    meta_cols: dict[str, str],
    ids: Sequence[int] | None,
    day: date,
) -> tuple[str, list[Any]]:
    """One query: each subject's feature row (every field the policies read, NULL when not
    known, and the meta columns its sources are told from) and ``cells``, the indexes in
    ``batch`` of the policies whose condition, rendered as SQL, is met or unknown for it.
    Only subjects with such a policy come back (all of them when a policy is evaluated row by
    row)."""
    features, params = subject.feature_sql(
        columns | {f"meta:{m}": a for m, a in meta_cols.items()}, day
    )
    where = ""
    if ids is not None:
        where = f" WHERE f0.id IN ({', '.join(['%s'] * len(ids))})" if ids else " WHERE 1 = 0"
        params = [*params, *ids]
    ctx = SqlContext(columns, day)
    parts = []
    for i, p in enumerate(batch):
        # A policy applies inside the region that issued it (a street's own policy is for
        # that street's subjects only).
        sql, ps = p.compiled.condition.sql(ctx)
        parts.append(
            "CASE WHEN NOT (f.region_path >= %s AND f.region_path < %s) THEN '' "
            f"WHEN NOT {sql} THEN '' ELSE '{i},' END"
        )
        params += [p.policy.region_path, p.policy.region_path + ":", *ps]
    cells = " || ".join(parts) if parts else "''"
    keep = "" if rowwise else " WHERE x.cells <> ''"
    # Each computed once: inlined, every mention of a feature column in the fifty conditions
    # would compute it again (an employer's tags are a subquery each), and the filter would
    # compute the cells a second time — two and a half times the work on SQLite.
    mat = "MATERIALIZED " if _can_materialize() else ""
    sql = (
        f"WITH f AS {mat}(SELECT * FROM ({features}) f0{where}), "  # noqa: S608
        f"x AS {mat}(SELECT f.*, {cells} AS cells FROM f) SELECT * FROM x{keep}"
    )
    return sql, params


def _can_materialize() -> bool:
    if connection.vendor != "sqlite":
        return True
    version: tuple[int, ...] = connection.Database.sqlite_version_info  # type: ignore[attr-defined]
    return version >= (3, 35)


def _evaluate_all(
    subject: Subject,
    preps: list[Prepared],
    day: date,
    ids: Sequence[int] | None,
    writer: Writer,
    receiving: dict[int, set[str]],
) -> int:
    """Read the feature rows, evaluate each (policy, values it reads) once, and hand every met
    or unknown verdict to the writer; returns how many subjects were read."""
    batch = [p for p in preps if p.compiled.condition.batchable]
    rowwise = [p for p in preps if not p.compiled.condition.batchable]
    needs: set[str] = set().union(*(p.needs for p in preps))
    columns = {need: f"c{i}" for i, need in enumerate(sorted(needs))}
    meta_cols = {m: f"m{i}" for i, m in enumerate(getattr(subject, "meta", ()))}
    provenance_row = getattr(subject, "provenance_row", None)
    sql, params = _feature_query(subject, batch, rowwise, columns, meta_cols, ids, day)
    memo: dict[tuple[Any, ...], Evaluated] = {}
    chosen_memo: dict[str, list[_Plan]] = {}
    source_memo: dict[tuple[Any, ...], _Sources] = {}
    shared: dict[Any, str] = {}
    emit = _Emitter(writer, json.dumps(day.isoformat()))
    specs = subject.fields()
    subjects = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The planner would JIT-compile the fifty CASE expressions: seconds of compiling
            # for a query that runs in a fraction of one.
            cur.execute("SET jit = off")
        cur.execute(sql, params)
        index = {c[0]: i for i, c in enumerate(cur.description)}
        plans = [_Plan(p, index, columns, specs, day) for p in preps]
        batch_plans = [pl for pl in plans if pl.prep.compiled.condition.batchable]
        row_plans = [pl for pl in plans if not pl.prep.compiled.condition.batchable]
        cells_at, id_at, path_at = index["cells"], index["id"], index["region_path"]
        meta_names = list(meta_cols)
        meta_at = [index[a] for a in meta_cols.values()]
        while chunk := cur.fetchmany(5000):
            subjects += len(chunk)
            for row in chunk:
                found = row[cells_at]
                chosen = chosen_memo.get(found)
                if chosen is None:
                    chosen = [batch_plans[int(i)] for i in found.split(",") if i]
                    chosen_memo[found] = chosen
                if row_plans:
                    path = row[path_at]
                    chosen = chosen + [pl for pl in row_plans if _applies(pl.prep, path)]
                hits: list[Evaluated] = []
                for pl in chosen:
                    key = pl.key(row)
                    hit = memo.get(key)
                    if hit is None:
                        hit = memo[key] = _evaluate_cell(pl.prep, row, pl.at, subject, day)
                    if hit.state != "not_met":
                        hits.append(hit)
                if not hits:
                    continue
                meta_key = tuple([_day_text(row[i]) for i in meta_at])
                sources = source_memo.get(meta_key)
                if sources is None:
                    metas = dict(zip(meta_names, meta_key, strict=True))
                    sources = source_memo[meta_key] = _Sources(
                        provenance_row(metas) if provenance_row else {}, shared
                    )
                sid = row[id_at]
                emit.subject(sid, row[path_at], hits, sources, receiving.get(sid))
            writer.flush()
        if connection.vendor == "postgresql":
            cur.execute("RESET jit")
    return subjects


class _Plan:
    """How one policy reads a feature row: its columns, and the memo key of a row."""

    def __init__(
        self,
        prep: Prepared,
        index: dict[str, int],
        columns: dict[str, str],
        specs: dict[str, Any],
        day: date,
    ) -> None:
        self.prep = prep
        self.at = tuple(index[columns[n]] for n in prep.needs)
        self.convs = [(j, c) for j, n in enumerate(prep.needs) if (c := _converter(n, specs, day))]
        self.get = operator.itemgetter(*self.at) if self.at else (lambda row: ())
        self.single = len(self.at) == 1

    def key(self, row: Sequence[Any]) -> tuple[Any, ...]:
        raw = self.get(row)
        if self.single:
            raw = (raw,)
        if self.convs:
            raw = list(raw)
            for j, c in self.convs:
                raw[j] = c(raw[j])
        return (self, *raw)


def _day_text(value: Any) -> Any:
    """A timestamp as its day (sources are dated by the day), so rows share their sources."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-":
        return value[:10]
    return value


class _Sources:
    """Where one subject's values came from (``Subject.provenance_row`` of its meta values),
    with the snapshot's ``sources`` JSON of each policy made once and shared: many subjects
    have the same (one string, so verdicts and sources are remembered together by identity)."""

    __slots__ = ("by_policy", "shared", "sources")

    def __init__(self, sources: dict[str, Any], shared: dict[Any, str]) -> None:
        self.sources = sources
        self.shared = shared  # of the run: each source's JSON, and each sources JSON
        self.by_policy: dict[int, str] = {}

    def json(self, prep: Prepared) -> str:
        found = self.by_policy.get(id(prep))
        if found is None:
            # ``json.dumps(..., sort_keys=True)`` of the policy's sources, one key at a time.
            parts = []
            for name in prep.source_fields:
                s = self.sources.get(name)
                if s is None:
                    continue
                part = self.shared.get(s)
                if part is None:
                    value = [s.label, s.as_of.isoformat() if s.as_of else None]
                    part = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                    self.shared[s] = part
                parts.append(f'"{name}":{part}')
            text = "{" + ",".join(parts) + "}"
            found = self.by_policy[id(prep)] = self.shared.setdefault(text, text)
        return found


@dataclass(eq=False)
class Evaluated:
    """One policy on one combination of the values it reads (remembered for a run)."""

    prep: Prepared
    state: str
    amount: int | None
    missing: list[str]
    used: dict[str, Any]
    tags: set[str]
    values_json: str
    missing_json: str = "[]"


class _Emitter:
    """A subject's verdicts made into rows: amounts read from other policies and exclusive
    groups resolved once per combination of verdicts, and each snapshot and digest built once
    per (verdict, sources) — the text ``snapshot`` and ``_digest`` give for one subject."""

    def __init__(self, writer: Writer, as_of_json: str) -> None:
        self.writer = writer
        self.as_of_json = as_of_json
        self.joint: dict[tuple[int, ...], list[tuple[int | None, list[str], str]]] = {}
        # (verdict, sources) → the row after its head: tail, explanation and digest.
        self.rows: dict[tuple[int, int], tuple[Any, ...]] = {}

    def subject(
        self,
        sid: int,
        path: str,
        hits: list[Evaluated],
        sources: _Sources,
        receiving: set[str] | None,
    ) -> None:
        outcome: list[tuple[int | None, list[str], str]] | None = None
        if any(h.prep.joint for h in hits):
            key = tuple([id(h) for h in hits])
            outcome = self.joint.get(key)
            if outcome is None:
                outcome = self.joint[key] = _finish_joint(hits)
        writer = self.writer
        put, stored, head = writer.put, writer.stored, writer.head(sid, path)
        for i, h in enumerate(hits):
            prep = h.prep
            amount, missing, superseded_by = outcome[i] if outcome else (h.amount, h.missing, "")
            offered = not superseded_by and not (receiving and prep.compiled.code in receiving)
            src = sources.json(prep)
            if offered and amount == h.amount and missing == h.missing:
                key = (id(h), id(src))
                row = self.rows.get(key)
                if row is None:
                    if len(self.rows) > 200_000:  # subjects with sources all their own
                        self.rows.clear()
                    texts = self._texts(h, amount, True, "", missing, src)
                    tail = writer.tail(prep, h.state, True, "", amount, h.missing_json)
                    row = self.rows[key] = (*tail, *texts)
                if not stored or (sid, prep.version_id) not in stored:
                    writer.inserts.append(head + row)  # ``put``'s insert, from parts
                    writer.created += 1
                else:
                    put(sid, path, prep, h.state, True, "", amount, h.missing_json, *row[-2:])
                continue
            texts = self._texts(h, amount, offered, superseded_by, missing, src)
            missing_json = json.dumps(missing) if missing else "[]"
            put(sid, path, prep, h.state, offered, superseded_by, amount, missing_json, *texts)

    def _texts(
        self,
        h: Evaluated,
        amount: int | None,
        offered: bool,
        superseded_by: str,
        missing: list[str],
        src: str,
    ) -> tuple[str, str]:
        """The snapshot JSON and the digest (``snapshot`` and ``_digest``, built from parts)."""
        evidence = '"sources":' + src + ',"values":' + h.values_json + "}"
        head = f"{h.state}|{amount}|{offered}|{superseded_by}|{missing}|"
        digest = hashlib.blake2b((head + evidence).encode(), digest_size=12).hexdigest()
        return '{"as_of":' + self.as_of_json + "," + evidence, digest


def _finish_joint(hits: list[Evaluated]) -> list[tuple[int | None, list[str], str]]:
    """``_finish`` for one combination of verdicts: amounts that read other policies, and the
    exclusive groups (what a subject already receives is applied after)."""
    values: dict[str, Any] = {"tags": set(), "grades": {}}
    for h in hits:
        values.update(h.used)
        if h.tags:
            values["tags"] = values["tags"] | h.tags
    cells = [Cell(h.prep, h.state, h.amount, h.missing, {}) for h in hits]
    _finish(cells, values, {}, date.min, set(), explain=_no_explanation)
    return [(c.amount, c.missing, c.superseded_by) for c in cells]


def _no_explanation(cell: Cell) -> str:
    return ""


def _converter(need: str, specs: dict[str, Any], day: date) -> Callable[[Any], Any] | None:
    """How a raw feature value becomes the value a condition sees (for the memo key): a date
    counted from becomes whole years on ``day``."""
    if not need.startswith("field:"):
        return None
    spec = specs.get(need[6:])
    if spec is None or not spec.years_since:
        return None

    def years(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, str):
            v = date.fromisoformat(v[:10])
        return age_on(v, day)

    return years


def _evaluate_cell(
    p: Prepared, row: Sequence[Any], at: tuple[int, ...], subject: Subject, day: date
) -> Evaluated:
    columns = {need: f"c{j}" for j, need in enumerate(p.needs)}
    feature_row = {f"c{j}": row[i] for j, i in enumerate(at)}
    values = values_from_features(feature_row, day, columns, subject)
    verdict = p.compiled.condition.evaluate(values)
    state = STATES[verdict.state]
    amount: int | None = None
    missing = sorted(verdict.missing) if state == "unknown" else []
    if state == "met" and not p.compiled.depends_on:
        result = compute(p.compiled.benefit, values, {})
        amount = result.fen
        missing = sorted(result.missing) if amount is None else []
    used = {f: values.get(f) for f in p.fields}
    tags = {t for t in p.tags if t in values.get("tags", set())}
    shown: dict[str, Any] = {f: _json_value(v) for f, v in used.items()}
    if p.tags:
        shown["tags"] = sorted(tags)
    values_json = json.dumps(shown, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    missing_json = json.dumps(missing) if missing else "[]"
    return Evaluated(p, state, amount, missing, used, tags, values_json, missing_json)


# --- one subject ------------------------------------------------------------------------------


def match_one(
    subject_type: str, pk: int, day: date | None = None, *, push: bool = True
) -> MatchRun | None:
    """Re-match one subject after its profile changed: all policies in force, explanations,
    the difference written, new matches pushed. None if the subject no longer exists."""
    day = day or timezone.localdate()
    subject = get_subject(subject_type)
    load = getattr(subject, "load", None)
    try:
        obj = load(pk) if load else None
    except Exception:  # the subject was removed meanwhile
        return None
    if obj is None:
        return None
    # One transaction: the subject's rows, its run and its pushes together (and one commit).
    # Durable: the one commit, unlike a set-based run's many, waits for no measurable flush.
    with translation.override(_language()), transaction.atomic():
        preps = [p for p in prepared(subject_type, day) if _applies(p, obj.region_path)]
        values = subject.values(obj, day)
        provenance = getattr(subject, "provenance", None)
        sources = provenance(obj) if provenance else {}
        receiving = receiving_for(subject_type, [pk]).get(pk, set())
        results = evaluate([p.compiled for p in preps], values, receiving=receiving)
        cells = cells_from_results(preps, results, values, sources, day)
        run = _start(RunKind.PROFILE, subject_type, day, subject_id=pk)
        writer = Writer(subject_type, run, run.started_at, _stored(subject_type, [pk]))
        for c in cells:
            writer.add(pk, obj.region_path, c)
        writer.flush(force=True)
        run.withdrawn, run.superseded = _close(writer, {p.version_id for p in preps}, [pk])
        run.subjects = 1
        run.created, run.changed = writer.created, writer.changed
        if push:
            run.pushes = queue_pushes(subject_type, run=run, ids=[pk])
        _finish_run(run)
    return run


def on_profile_changed(subject_type: str, ids: list[int]) -> None:
    """Listener for ``talent.subject.changed``: re-match the changed subjects (an enterprise's
    talents too, whose employer facts changed with it)."""
    if subject_type not in MATCHED_TYPES:
        return
    if len(ids) <= 20:
        for pk in ids:
            match_one(subject_type, pk)
    else:
        match_all(subject_type, kind=RunKind.PROFILE, ids=ids)
    if subject_type == "enterprise":
        from gridlight.talent.models import Talent

        talents = list(Talent.objects.filter(employer_id__in=ids).values_list("id", flat=True))
        if talents:
            match_all("talent", kind=RunKind.PROFILE, ids=talents)


def on_published(version: PolicyVersion) -> MatchRun:
    """A version was published: match its subject type (all policies, so exclusive groups and
    formulas reading other policies stay right)."""
    return match_all(version.policy.subject_type, kind=RunKind.PUBLISH, policy=version.policy)


def match_nightly(day: date | None = None) -> list[MatchRun]:
    return [match_all(t, day) for t in MATCHED_TYPES]


# --- tracking --------------------------------------------------------------------------------


def mark_opened(subject_type: str, subject_id: int) -> int:
    """The subject opened "policies for me": its pushed matches count as opened."""
    return Match.objects.filter(
        subject_type=subject_type,
        subject_id=subject_id,
        pushed_at__isnull=False,
        opened_at__isnull=True,
    ).update(opened_at=timezone.now())


def mark_applied(match: Match, when: datetime | None = None) -> None:
    """The hook for the application workflow: the subject applied for this match's policy."""
    Match.objects.filter(pk=match.pk, applied_at__isnull=True).update(
        applied_at=when or timezone.now()
    )


# --- pushes ------------------------------------------------------------------------------------


def push_text(title: str, mode: str = "", code: str = "", amount_fen: int | None = None) -> str:
    if mode == Mode.AUTO_GRANT:  # 免申即享: the amount and the one-click confirmation
        from gridlight.policies.grants import confirmation_text

        return confirmation_text(title, code, amount_fen)
    title = title if len(title) <= 60 else title[:59] + "…"
    return _(
        "Policy for you: you may be eligible for %(t)s. Open Gridlight, My policies, for details."
    ) % {"t": title}


def queue_pushes(
    subject_type: str,
    *,
    run: MatchRun | None = None,
    ids: Sequence[int] | None = None,
    chunk: int = 5000,
) -> int:
    """Queue a push for every current, offered, met match not yet pushed: a ``Push`` row
    (unique per subject and version) and its outbox notices, per chunk in one transaction.
    Returns how many pushes this call created."""
    base = Match.objects.filter(
        subject_type=subject_type,
        state=MatchState.MET,
        status=MatchStatus.CURRENT,
        offered=True,
        pushed_at__isnull=True,
    ).exclude(policy__mode=Mode.AUTO_GRANT, amount_fen__isnull=True)  # facts missing: no offer
    if ids is not None:
        total = 0
        for part in _chunks(ids):
            total += _push_from(base.filter(subject_id__in=part), subject_type, run, chunk)
        return total
    return _push_from(base, subject_type, run, chunk)


def _push_from(qs: Any, subject_type: str, run: MatchRun | None, chunk: int) -> int:
    total = 0
    last = 0
    while True:
        rows = list(
            qs.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "subject_id", "policy_id", "version_id", "region_path")[:chunk]
        )
        if not rows:
            return total
        last = rows[-1][0]
        total += _push_chunk(rows, subject_type, run)


PUSH_COLUMNS = ["match_id", "subject_type", "subject_id", "policy_id", "version_id"]
PUSH_COLUMNS += ["region_path", "created_at", "run_id"]
NOTICE_COLUMNS = ["key", "kind", "recipient_id", "text", "phone_enc", "status", "attempts"]
NOTICE_COLUMNS += ["created_at"]


@transaction.atomic
def _push_chunk(rows: list[tuple[Any, ...]], subject_type: str, run: MatchRun | None) -> int:
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    run_id = run.pk if run else None
    values = [
        (mid, subject_type, sid, pid, vid, path, db_now, run_id)
        for mid, sid, pid, vid, path in rows
    ]
    created = bulk_insert(Push._meta.db_table, PUSH_COLUMNS, values, ignore_conflicts=True)
    match_ids = [r[0] for r in rows]
    # This chunk's pushes, new or left by a run cut off before it marked its matches: their
    # notices are (re)created under unique keys, so none is lost and none doubled.
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT p.id, p.subject_id, x.title, x.mode, x.code, m.amount_fen "  # noqa: S608
            f"FROM {Push._meta.db_table} p JOIN {Policy._meta.db_table} x ON x.id = p.policy_id "
            f"JOIN {Match._meta.db_table} m ON m.id = p.match_id "
            f"WHERE p.match_id IN ({', '.join(['%s'] * len(match_ids))})",
            match_ids,
        )
        pushes = cur.fetchall()
    recipients = _recipients(subject_type, [p[1] for p in pushes])
    notices: list[tuple[Any, ...]] = []
    texts: dict[tuple[Any, ...], str] = {}
    for pk, sid, *about in pushes:
        users, phone = recipients.get(sid, ([], ""))
        key = tuple(about) if about[1] == Mode.AUTO_GRANT else (about[0],)
        text = texts.get(key) or texts.setdefault(key, push_text(*key))
        targets: list[int | None] = list(users) or [None]
        for i, user in enumerate(targets):
            notices.append(
                (
                    f"policy-push:{pk}:{user or 0}",
                    "policy_push",
                    user,
                    text,
                    phone if i == 0 else "",
                    NoticeStatus.PENDING.value,
                    0,
                    db_now,
                )
            )
    bulk_insert(Notice._meta.db_table, NOTICE_COLUMNS, notices, ignore_conflicts=True)
    _update_ids("pushed_at = %s", [db_now], match_ids, where="pushed_at IS NULL")
    pause = float(os.environ.get(PUSH_PAUSE_ENV) or 0)
    if pause:  # tests: hold the chunk's transaction open, so a worker can be killed inside it
        time.sleep(pause)
    return created


def _recipients(subject_type: str, ids: list[int]) -> dict[int, tuple[list[int], str]]:
    """Who is told of a push: a talent's own sign-in and phone; an enterprise's accounts."""
    from gridlight.talent.models import EnterpriseAccount, Talent

    out: dict[int, tuple[list[int], str]] = {}
    if subject_type == "talent":
        for pk, user, phone in Talent.objects.filter(pk__in=ids).values_list(
            "pk", "user_id", "phone_enc"
        ):
            out[pk] = ([user] if user else [], phone or "")
    elif subject_type == "enterprise":
        for ent, user in EnterpriseAccount.objects.filter(enterprise_id__in=ids).values_list(
            "enterprise_id", "user_id"
        ):
            out.setdefault(ent, ([], ""))[0].append(user)
    return out
