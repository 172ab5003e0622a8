"""The supervision sweeper: yellow and red cards and supervision (督办) as deadlines pass.

A ticket held by a unit (``models.WITH_UNIT``: dispatched, signed for, in progress) gets

* a **yellow card** when ``yellow_at`` has passed and it has no card yet (and is not yet due),
* a **red card** when ``due_at`` has passed and its card is not red (a ticket found overdue
  goes straight to red, without a yellow card first),
* **supervision** when ``supervise_at`` has passed and it is not yet supervised.

``handled`` (awaiting verification) is not swept: the handling deadline stops at "handle", as
the dispatch facts count it. If verification fails the ticket is back in progress and the cards
resume from the same deadline.

For every change, in the same transaction: the ticket's ``card``/``supervised`` and ``version``
(so a page opened before the sweep gets a conflict, as with any other change), a ``card`` or
``supervise`` transition (no actor), the dispatch fact's ``overdue`` for a red card (as
``facts.fold`` computes it from that transition), and a notice in the outbox for the unit. The
notice key names the event — ticket, kind, round and deadline — and is inserted with
``ON CONFLICT (key) DO NOTHING``, so nothing is queued twice.

The work is set-based: one scan collects the tickets that need a change into a temporary table;
batches of up to ``batch`` of them, in id order, are checked again (locked ``FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transaction holds the write lock) into a second temporary table,
which a handful of ``INSERT … SELECT`` and ``UPDATE`` statements join. One transaction per
batch: a sweep killed mid-way leaves every ticket either fully swept or not at all, and the next
sweep finishes the rest, because what to do is read from the tickets' state.
See docs/tickets-supervision.md.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridlight.tickets import deadlines
from gridlight.tickets.models import (
    WITH_UNIT,
    DispatchFact,
    Notice,
    NoticeStatus,
    Ticket,
    Transition,
)

DEFAULT_BATCH = 5000
# Test-only hook (the kill test of tests/tickets/test_celery.py): seconds to sleep at the end of
# each batch, before it commits, so a worker can be killed mid-sweep. Never set it in production.
PAUSE_ENV = "GRIDLIGHT_SWEEP_PAUSE_AFTER_BATCH"

TODO = "gridlight_sweep_todo"  # the tickets a pass will sweep
TEMP = "gridlight_sweep"  # those of the current batch, with their new card and supervision
# Markers put into the translated texts, replaced in SQL by the ticket's number, title, deadline.
_N, _T, _D = "\x01n\x01", "\x01t\x01", "\x01d\x01"
KINDS = {"yellow": "yellow_card", "red": "red_card", "supervise": "supervised"}


def notice_key(ticket_id: int, event: str, round_: int, due_at: datetime) -> str:
    """The outbox key of a sweep notice (``event``: "card-yellow", "card-red" or "supervise");
    the SQL below builds the same string."""
    when = due_at.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return f"{ticket_id}:{event}:{round_}:{when.isoformat()}+00:00"


def _texts() -> dict[str, str]:
    """Notice texts in the district's language, with markers for the per-ticket parts."""
    with translation.override(settings.LANGUAGE_CODE):
        # The deadline as its last day, the one way deadlines are shown (deadlines.py).
        marks = {"n": _N, "t": _T, "d": deadlines.last_day_label(_D)}
        return {
            "yellow": _("Yellow card: ticket %(n)s “%(t)s” must be handled by %(d)s.") % marks,
            "red": _("Red card: ticket %(n)s “%(t)s” is overdue; it was due by %(d)s.") % marks,
            "supervise": _(
                "Ticket %(n)s “%(t)s” is now under supervision: it is still not handled, "
                "well after its deadline %(d)s."
            )
            % marks,
        }


class _Sql:
    """The vendor-specific bits: timestamps formatted as text, and row locking."""

    def __init__(self, now: datetime) -> None:
        self.postgres = connection.vendor == "postgresql"
        tz = timezone.get_default_timezone()
        if self.postgres:
            self.iso = "to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            self.number = (
                "to_char(t.created_at AT TIME ZONE %s, 'YYYYMMDD') || '-' || "
                "lpad(t.id::text, greatest(7, length(t.id::text)), '0')"
            )
            self.number_params: list[Any] = [str(tz)]
            # The last day of the deadline: the local date of the second before it.
            self.deadline = (
                "to_char((t.due_at - interval '1 second') AT TIME ZONE %s, 'YYYY-MM-DD')"
            )
            self.deadline_params: list[Any] = [str(tz)]
            self.lock = "FOR UPDATE"
        else:
            # SQLite stores UTC as text; the local deadline uses the zone's offset at ``now``
            # (exact for zones without daylight saving, such as Asia/Shanghai).
            self.iso = "strftime('%%Y-%%m-%%dT%%H:%%M:%%S', t.due_at)"
            offset = timezone.localtime(now, tz).utcoffset()
            minutes = int(offset.total_seconds() // 60) if offset else 0
            self.number = "strftime('%%Y%%m%%d', t.created_at, %s) || '-' || printf('%%07d', t.id)"
            self.number_params = [f"{minutes:+d} minutes"]
            self.deadline = "strftime('%%Y-%%m-%%d', t.due_at, %s, '-1 seconds')"
            self.deadline_params = [f"{minutes:+d} minutes"]
            self.lock = ""


def sweep(
    now: datetime | None = None, *, batch: int = DEFAULT_BATCH, pause: float | None = None
) -> dict[str, int]:
    """One pass over the open tickets held by units; returns how many of each change it made.
    Idempotent: a second pass at the same moment changes nothing."""
    now = now or timezone.now()
    if pause is None:
        pause = float(os.environ.get(PAUSE_ENV) or 0)
    counts = {"yellow": 0, "red": 0, "supervised": 0, "notices": 0, "batches": 0}
    sql = _Sql(now)
    texts = _texts()
    with connection.cursor() as cur:
        _collect(cur, sql, now)
    after = 0
    while True:
        with transaction.atomic():
            upto = _batch(sql, now, after, batch, texts, counts)
            if upto and pause:
                time.sleep(pause)  # inside the transaction: a kill now rolls this batch back
        if upto is None:
            break
        counts["batches"] += 1
        after = upto
    return counts


def _where(sql: _Sql, at: Any, by_id: bool = False) -> tuple[str, str, list[Any], list[Any]]:
    """The new card and supervision of a ticket as SQL, and the condition that it needs either.
    ``by_id``: the rows are found by id, so SQLite must not prefer the status index (``+``)."""
    statuses = [str(s) for s in WITH_UNIT]
    due = "(due_at <= %s AND card <> 'red')"
    yellow = "(card = '' AND yellow_at <= %s)"
    supervise = "(supervise_at <= %s AND NOT supervised)"
    select = (
        f"CASE WHEN {due} THEN 'red' WHEN {yellow} THEN 'yellow' END, "
        f"CASE WHEN {supervise} THEN TRUE ELSE FALSE END"
    )
    where = (
        f"{'+' if by_id and not sql.postgres else ''}status IN "
        f"({', '.join(['%s'] * len(statuses))}) AND ({due} OR {yellow} OR {supervise})"
    )
    return select, where, [at, at, at], [*statuses, at, at, at]


def _collect(cur: Any, sql: _Sql, now: datetime) -> None:
    """One scan for the tickets that need a change now, into a temporary table; the batches
    then take them in id order (and check each again, under lock)."""
    at = connection.ops.adapt_datetimefield_value(now)
    _, where, _, params = _where(sql, at)
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {TODO} (ticket_id bigint PRIMARY KEY)")
    cur.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {TEMP} ("
        "ticket_id bigint PRIMARY KEY, card varchar(6) NULL, supervise boolean NOT NULL)"
    )
    cur.execute(f"DELETE FROM {TODO}")  # noqa: S608
    cur.execute(
        f"INSERT INTO {TODO} (ticket_id) SELECT id FROM {Ticket._meta.db_table} WHERE {where}",  # noqa: S608
        params,
    )
    if sql.postgres:  # a temporary table has no statistics until analysed
        cur.execute(f"ANALYZE {TODO}")


def _batch(
    sql: _Sql, now: datetime, after: int, size: int, texts: dict[str, str], counts: dict[str, int]
) -> int | None:
    """Sweep the next ``size`` collected tickets after id ``after``; returns the last id of the
    slice, or None when none is left."""
    at = connection.ops.adapt_datetimefield_value(now)
    ticket = Ticket._meta.db_table
    select, where, select_params, where_params = _where(sql, at, by_id=True)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT MAX(ticket_id) FROM (SELECT ticket_id FROM {TODO} "  # noqa: S608
            "WHERE ticket_id > %s ORDER BY ticket_id LIMIT %s) slice",
            [after, size],
        )
        row = cur.fetchone()
        if not row or row[0] is None:
            return None
        upto = int(row[0])
        cur.execute(f"DELETE FROM {TEMP}")  # noqa: S608
        # Checked again: someone may have handled the ticket or had its deadline extended since.
        cur.execute(
            f"INSERT INTO {TEMP} (ticket_id, card, supervise) "  # noqa: S608
            f"SELECT id, {select} FROM {ticket} WHERE id > %s AND id <= %s AND id IN "
            f"(SELECT ticket_id FROM {TODO} WHERE ticket_id > %s AND ticket_id <= %s) "
            f"AND {where} {sql.lock}",
            [*select_params, after, upto, after, upto, *where_params],
        )
        if sql.postgres:
            cur.execute(f"ANALYZE {TEMP}")
        for color in ("red", "yellow"):
            counts[color] += _log(cur, at, f"s.card = '{color}'", "card", f'{{"card": "{color}"}}')
            counts["notices"] += _notify(cur, sql, at, f"s.card = '{color}'", color, texts)
        counts["supervised"] += _log(cur, at, "s.supervise", "supervise", "{}")
        counts["notices"] += _notify(cur, sql, at, "s.supervise", "supervise", texts)
        fact = DispatchFact._meta.db_table
        # As facts.fold reads a red card: that dispatch is overdue.
        # (The id range lets the planners use the index rather than merge from the start.)
        cur.execute(
            f"UPDATE {fact} SET overdue = TRUE "  # noqa: S608
            f"WHERE ticket_id > %s AND ticket_id <= %s AND overdue = FALSE "
            f"AND ticket_id IN (SELECT ticket_id FROM {TEMP} WHERE card = 'red') "
            f"AND round = (SELECT t.round FROM {ticket} t WHERE t.id = {fact}.ticket_id)",
            [after, upto],
        )
        swept = f"FROM {TEMP} s WHERE s.ticket_id = {ticket}.id"
        cur.execute(
            f"UPDATE {ticket} SET "  # noqa: S608
            f"card = COALESCE((SELECT s.card {swept}), card), "
            f"supervised = CASE WHEN (SELECT s.supervise {swept}) THEN TRUE ELSE supervised END, "
            f"version = version + 1, updated_at = %s "
            f"WHERE id > %s AND id <= %s AND id IN (SELECT ticket_id FROM {TEMP})",
            [at, after, upto],
        )
    return upto


def _log(cur: Any, at: Any, where: str, name: str, data: str) -> int:
    """One transition per swept ticket matching ``where``; returns how many."""
    log, ticket = Transition._meta.db_table, Ticket._meta.db_table
    cur.execute(
        f"INSERT INTO {log} (ticket_id, name, source, target, at, actor_id, unit_id, round, "  # noqa: S608
        f"reason, data) SELECT t.id, %s, t.status, t.status, %s, NULL, t.unit_id, t.round, '', "
        f"'{data}' FROM {TEMP} s JOIN {ticket} t ON t.id = s.ticket_id WHERE {where}",
        [name, at],
    )
    return int(cur.rowcount)


def _notify(cur: Any, sql: _Sql, at: Any, where: str, event: str, texts: dict[str, str]) -> int:
    """Queue the unit's notice for each swept ticket matching ``where``; returns how many were
    new (a key already in the outbox is left alone)."""
    outbox, ticket = Notice._meta.db_table, Ticket._meta.db_table
    tag = "supervise" if event == "supervise" else f"card-{event}"
    key = f"t.id || ':{tag}:' || t.round || ':' || {sql.iso} || '+00:00'"
    text = (
        f"SUBSTR(REPLACE(REPLACE(REPLACE(%s, %s, {sql.number}), %s, {sql.deadline}), %s, t.title),"
        " 1, 300)"
    )
    cur.execute(
        f'INSERT INTO {outbox} ("key", kind, ticket_id, unit_id, recipient_id, text, status, '  # noqa: S608
        f"attempts, created_at, sent_at) SELECT {key}, %s, t.id, t.unit_id, NULL, {text}, %s, 0, "
        f"%s, NULL FROM {TEMP} s JOIN {ticket} t ON t.id = s.ticket_id WHERE {where} "
        f'ON CONFLICT ("key") DO NOTHING',
        [
            KINDS[event],
            texts[event],
            _N,
            *sql.number_params,
            _D,
            *sql.deadline_params,
            _T,
            str(NoticeStatus.PENDING),
            at,
        ],
    )
    return int(cur.rowcount)
