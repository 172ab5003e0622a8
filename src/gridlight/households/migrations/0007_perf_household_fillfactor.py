"""On PostgreSQL, half of each page of the households table is left free (fillfactor 50), so
that a district recompute's update of every household finds room on the row's own page: a HOT
update, which enters no index (when no indexed column changes), instead of a new entry in each
of the table's seven indexes. Measured: the recompute's update of 300,000 households went from
86 s to 14 s on a loaded machine (docs/benchmarks.md). The table is rewritten once so that the
rows already there get the room too (VACUUM FULL: a few seconds per 100,000 households, with
the table locked); SQLite has no fillfactor and is left as it is."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE households_household SET (fillfactor = 50)")
    schema_editor.execute("VACUUM FULL households_household")


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE households_household RESET (fillfactor)")


class Migration(migrations.Migration):
    atomic = False  # VACUUM cannot run inside a transaction

    dependencies = [("households", "0006_perflights_history_and_dashboard")]

    operations = [migrations.RunPython(forwards, backwards)]
