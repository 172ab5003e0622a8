"""PostgreSQL only: statistics on the scope expression the talent desk's reads compare.

The caseloads, the problems list and the solved figures compare a record's region path on an
expression no index answers (``region_path || ''``, ``talent.access.Unindexed``) so that the
planner walks the index of the commissioner or of the list's order instead of a district-wide
range of the region index. PostgreSQL keeps no statistics on an expression by itself and
guesses that a range on it keeps 0.5 % of the rows: at 100,000 talents it planned the workload's
counts as a few hundred rows, scanned the table and sorted 100,000 rows on disk (0.4 s), where
with these statistics it reads the covering index ``talent_caseload_level`` (50 ms).

SQLite has no such statistics and needs none (its planner weighs the index by its first
column, and its ``Unindexed`` is a unary ``+``); expression statistics need PostgreSQL 14.
"""

from typing import Any

from django.db import migrations

# The tables whose region path the desk's reads compare through ``Unindexed``.
TABLES = ("talent_talent", "talent_enterprise", "talent_talentproblem", "talent_problemmonth")


def _applies(schema_editor: Any) -> bool:
    connection = schema_editor.connection
    return bool(connection.vendor == "postgresql" and connection.pg_version >= 140000)


def create(apps: Any, schema_editor: Any) -> None:
    if not _applies(schema_editor):
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {table}_scope ON ((region_path || '')) FROM {table}"
        )
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps: Any, schema_editor: Any) -> None:
    if not _applies(schema_editor):
        return
    for table in TABLES:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {table}_scope")


class Migration(migrations.Migration):
    dependencies = [("talent", "0006_talent_problem_month")]

    operations = [migrations.RunPython(create, drop)]
