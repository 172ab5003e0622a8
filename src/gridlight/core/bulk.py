"""Writing many rows at once, for imports and the demo: the one place that knows how.

PostgreSQL takes them through COPY; SQLite through multi-row INSERT statements with as many rows
as its 32,766-parameter limit allows. One statement per row would make the server parse and plan
hundreds of thousands of statements, and the ORM's ``bulk_create`` spends most of its time
building and converting model objects. Values must already be in the database's form (the
caller converts dates, JSON and encrypted bytes)."""

from __future__ import annotations

from typing import Any

from django.db import connection


def bulk_insert(
    table: str, columns: list[str], rows: list[tuple[Any, ...]], *, ignore_conflicts: bool = False
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table`` in the caller's
    transaction. ``table`` and ``columns`` come from the models, never from input.
    ``ignore_conflicts``: a row that would break a unique constraint is left out (``ON CONFLICT
    DO NOTHING``; on PostgreSQL, which cannot COPY so, through a temporary table).
    Returns how many rows were inserted."""
    if not rows:
        return 0
    inserted = 0
    names = ", ".join(connection.ops.quote_name(c) for c in columns)  # "on" is a keyword
    with connection.cursor() as cur:
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
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
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
