"""Fewer indexes on matches and pushes: a run writes hundreds of thousands of rows and every
index is one more tree to update per row. The foreign keys' own indexes go where another index
starts with the same column (policy), where nothing looks rows up by them (runs), or become
partial (the subject, indexed where set: one of three per row). ``match_subject`` is covered by
the unique ``match_subject_version`` (subject first).

The foreign keys' indexes are dropped by name as found (not by remaking the table, which
SQLite's schema editor would do once per field)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

FIELDS = {
    "match": ["enterprise", "first_run", "household", "last_run", "policy", "talent"],
    "push": ["policy", "run"],
}


def _single_column_indexes(schema_editor: Any, model: Any, column: str) -> list[str]:
    with schema_editor.connection.cursor() as cur:
        found = schema_editor.connection.introspection.get_constraints(cur, model._meta.db_table)
    return [
        name
        for name, c in found.items()
        if c["index"]
        and not c["unique"]
        and not c["primary_key"]
        and c["columns"] == [column]
        # (the partial indexes this migration adds are named match_*)
        and not name.startswith("match_")
    ]


def drop_fk_indexes(apps: Any, schema_editor: Any) -> None:
    for model_name, fields in FIELDS.items():
        model = apps.get_model("policies", model_name)
        for name in fields:
            column = model._meta.get_field(name).column
            for index in _single_column_indexes(schema_editor, model, column):
                schema_editor.execute(schema_editor._delete_index_sql(model, index))


def create_fk_indexes(apps: Any, schema_editor: Any) -> None:
    for model_name, fields in FIELDS.items():
        model = apps.get_model("policies", model_name)
        for name in fields:
            field = model._meta.get_field(name)
            if not _single_column_indexes(schema_editor, model, field.column):
                schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0007_perf_household_fillfactor"),
        ("policies", "0004_grant_applications"),
        ("talent", "0005_talent_problem_list"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="match",
            name="match_subject",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="match",
                    name="enterprise",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="talent.enterprise",
                    ),
                ),
                migrations.AlterField(
                    model_name="match",
                    name="first_run",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="policies.matchrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="match",
                    name="household",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="households.household",
                    ),
                ),
                migrations.AlterField(
                    model_name="match",
                    name="last_run",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="policies.matchrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="match",
                    name="policy",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="matches",
                        to="policies.policy",
                    ),
                ),
                migrations.AlterField(
                    model_name="match",
                    name="talent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="talent.talent",
                    ),
                ),
                migrations.AlterField(
                    model_name="push",
                    name="policy",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pushes",
                        to="policies.policy",
                    ),
                ),
                migrations.AlterField(
                    model_name="push",
                    name="run",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="policies.matchrun",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_fk_indexes, create_fk_indexes)],
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                condition=models.Q(("talent__isnull", False)),
                fields=["talent"],
                name="match_talent",
            ),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                condition=models.Q(("enterprise__isnull", False)),
                fields=["enterprise"],
                name="match_enterprise",
            ),
        ),
        migrations.AddIndex(
            model_name="match",
            index=models.Index(
                condition=models.Q(("household__isnull", False)),
                fields=["household"],
                name="match_household",
            ),
        ),
    ]
