"""The residents' and attribute values' foreign keys lose their own indexes where another index
begins with the same column (``resident_household``, ``attrvalue_household``,
``attrvalue_attribute``, ``attrvalue_unique_resident``): a district import enters every index
once per row it writes. The indexes are dropped by name rather than through ``AlterField``,
which on SQLite would copy the whole table to drop an index."""

import django.db.models.deletion
from django.db import migrations, models

# (index, table, column) as Django named them; the ``_like`` one exists on PostgreSQL only.
DROPPED = [
    ("households_resident_household_id_3e1228d6", "households_resident", "household_id"),
    (
        "households_attributevalue_household_id_f0f6b6d9",
        "households_attributevalue",
        "household_id",
    ),
    ("households_attributevalue_resident_id_04d59ac7", "households_attributevalue", "resident_id"),
    (
        "households_attributevalue_attribute_id_6e5a4dd3",
        "households_attributevalue",
        "attribute_id",
    ),
    ("households_attributevalue_attribute_id_6e5a4dd3_like", "", ""),
]


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0007_perf_household_fillfactor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    f"CREATE INDEX {name} ON {table} ({column})" if table else "",
                )
                for name, table, column in DROPPED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="attributevalue",
                    name="attribute",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="households.attribute",
                        to_field="code",
                    ),
                ),
                migrations.AlterField(
                    model_name="attributevalue",
                    name="household",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="households.household",
                    ),
                ),
                migrations.AlterField(
                    model_name="attributevalue",
                    name="resident",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attributes",
                        to="households.resident",
                    ),
                ),
                migrations.AlterField(
                    model_name="resident",
                    name="household",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="residents",
                        to="households.household",
                    ),
                ),
            ],
        )
    ]
