"""On PostgreSQL, Django gives every indexed text column a second index for ``LIKE 'x%'``
(``varchar_pattern_ops``). The residents' blind indexes (ID and phone numbers) are keyed
hashes, only ever looked up whole: their pattern indexes served nothing, and each cost a
random-page entry per resident a district import writes (54 MB each at 722,000 residents).
Dropped by name; SQLite never had them."""

from typing import Any

from django.db import migrations

COLUMNS = {
    "households_resident_id_number_index_f21c101b_like": "id_number_index",
    "households_resident_phone_index_5c190a87_like": "phone_index",
}


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in COLUMNS.items():
        schema_editor.execute(
            f"CREATE INDEX {name} ON households_resident ({column} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("households", "0008_himp_fewer_fk_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
