"""Writing many rows at once, for imports and the demo: the one place that knows how.

PostgreSQL takes them through COPY; SQLite through multi-row INSERT statements with as many rows
as its 32,766-parameter limit allows. One statement per row would make the server parse and plan
hundreds of thousands of statements, and the ORM's ``bulk_create`` spends most of its time
building and converting model objects. Values must already be in the database's form (the
caller converts dates, JSON and encrypted bytes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

FEW = 100  # rows that PostgreSQL takes in one INSERT rather than through COPY


def bulk_insert(
    table: str,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    *,
    ignore_conflicts: bool = False,
    typed: bool = False,
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table`` in the caller's
    transaction. ``table`` and ``columns`` come from the models, never from input.
    ``ignore_conflicts``: a row that would break a unique constraint is left out (``ON CONFLICT
    DO NOTHING``; on PostgreSQL, which cannot COPY so, through a temporary table).
    ``typed``: every value is already of its column's Python type (bool for booleans, int,
    str, aware datetime; JSON as its text) — PostgreSQL then takes a binary COPY, which neither
    side has to format or parse as text (for 290,000 policy matches: 0.6 s less of the
    client's CPU and 1 s less of the server's than a text COPY).
    Returns how many rows were inserted."""
    if not rows:
        return 0
    inserted = 0
    names = ", ".join(connection.ops.quote_name(c) for c in columns)  # "on" is a keyword
    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and len(rows) <= FEW:
            # A few rows (one subject re-matched, its pushes): one statement, one round trip.
            # COPY takes two, and more with a temporary table for the conflicts.
            one = "(" + ", ".join(["%s"] * len(columns)) + ")"
            cur.execute(
                f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608
                + ", ".join([one] * len(rows))
                + (" ON CONFLICT DO NOTHING" if ignore_conflicts else ""),
                [value for row in rows for value in row],
            )
            return int(cur.rowcount)
        if connection.vendor == "postgresql" and ignore_conflicts:
            # COPY into a temporary table, then one INSERT … SELECT that skips the conflicts.
            temp = f"{table}_bulk_insert"
            cur.execute(f"DROP TABLE IF EXISTS {temp}")
            cur.execute(
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {names} "  # noqa: S608
                f"FROM {table} WHERE 1 = 0"
            )
            with cur.cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(
                f"INSERT INTO {table} ({names}) "  # noqa: S608
                f"SELECT {names} FROM {temp} ON CONFLICT DO NOTHING"
            )
            inserted = int(cur.rowcount)
            cur.execute(f"DROP TABLE {temp}")
            return inserted
        if connection.vendor == "postgresql":
            raw = cur.cursor  # psycopg's own cursor, for COPY
            binary = " (FORMAT BINARY)" if typed else ""
            oids = _binary_types(raw, table, columns) if typed else []
            with raw.copy(f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
                if typed:
                    copy.set_types(oids)
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        per_statement = max(1, 30_000 // len(columns))
        one = "(" + ", ".join(["?"] * len(columns)) + ")"
        # sqlite3's own connection, with its own placeholders: Django's cursor would rewrite
        # each 30,000-parameter statement with a regular expression first.
        raw = connection.connection
        for k in range(0, len(rows), per_statement):
            chunk = rows[k : k + per_statement]
            values = ", ".join([one] * len(chunk))
            inserted += raw.execute(
                f"INSERT INTO {table} ({names}) VALUES {values}"  # noqa: S608
                + (" ON CONFLICT DO NOTHING" if ignore_conflicts else ""),
                [value for row in chunk for value in row],
            ).rowcount
    return inserted


_TYPES: dict[tuple[str, tuple[str, ...]], list[int]] = {}


def _binary_types(raw: Any, table: str, columns: list[str]) -> list[int]:
    """The columns' types for a binary COPY (read once per table and columns); and JSON
    columns' values taken as the JSON text they already are (psycopg would encode a str as a
    JSON string; for this cursor only)."""
    from psycopg.types.json import set_json_dumps

    key = (table, tuple(columns))
    oids = _TYPES.get(key)
    if oids is None:
        found = dict(
            raw.connection.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped",
                [table],
            ).fetchall()
        )
        oids = _TYPES[key] = [int(found[c]) for c in columns]
    set_json_dumps(_json_text, context=raw)
    return oids


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def bulk_update(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Set ``columns[1:]`` of the rows of ``table`` whose ``columns[0]`` (the key, usually
    ``id``) is given in ``rows``, in the caller's transaction: the values go into a temporary
    table (:func:`bulk_insert`), then one ``UPDATE … FROM`` joins it. The ORM's
    ``bulk_update`` builds a ``CASE WHEN`` per field and row, and spends seconds per thousand
    rows resolving them."""
    if not rows:
        return
    temp = f"{table}_bulk_update"
    key, *changed = columns
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {temp}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {temp} AS SELECT {', '.join(columns)} "  # noqa: S608
            f"FROM {table} WHERE 1 = 0"
        )
        bulk_insert(temp, columns, rows)
        cur.execute(
            f"UPDATE {table} SET {', '.join(f'{c} = u.{c}' for c in changed)} "  # noqa: S608
            f"FROM {temp} u WHERE {table}.{key} = u.{key}"
        )
        cur.execute(f"DROP TABLE {temp}")


def in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """``column`` is one of ``values``, as SQL with ONE parameter whatever their number: an
    array on PostgreSQL (``= ANY``), a JSON array on SQLite (``json_each``). One statement
    instead of chunks of ``IN (%s, %s, …)`` under SQLite's parameter limit, and a statement
    text that does not change with the count (``column`` is our own SQL, never input)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(values))]  # noqa: S608


def select_in(sql: str, values: list[Any], params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` for each of ``values``, asked in chunks the database accepts: ``sql``
    holds one ``IN ({})`` (filled with placeholders for a chunk) and ``%s`` placeholders for
    ``params``, which come after the chunk's values. Plain tuples, as the database gives them
    (on SQLite, dates as text), without an ORM query built per chunk: the imports look up
    hundreds of thousands of keys this way."""
    rows: list[tuple[Any, ...]] = []
    per_chunk = 30_000 - len(params)  # under SQLite's 32,766 parameters
    with connection.cursor() as cur:
        for k in range(0, len(values), per_chunk):
            chunk = list(values[k : k + per_chunk])
            cur.execute(sql.format(", ".join(["%s"] * len(chunk))), [*chunk, *params])
            rows += cur.fetchall()
    return rows
