"""Less to do per match row written (a run writes hundreds of thousands):

* fewer indexes — the foreign keys' own go where another index starts with the same column
  (policy), where nothing looks rows up by them (runs), or become partial (the subject, indexed
  where set: one of three per row); ``match_subject`` is covered by the unique
  ``match_subject_version`` (subject first);
* fewer foreign-key checks — the policy is checked through the version, runs not at all;
* on PostgreSQL, room left on each page of matches (fillfactor 50): every row is updated once
  after it is written (its "new" flag cleared by the next run, its push marked), and with room
  on its own page that is a HOT update, which enters no index. Rows already stored get the room
  when next rewritten; SQLite has no fillfactor.

SQLite remakes the table for each altered field: slow once on a large table, then done."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def fillfactor(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE policies_match SET (fillfactor = 50)")


def no_fillfactor(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE policies_match RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0007_perf_household_fillfactor"),
        ("policies", "0005_pol_grant_in_kind"),
        ("talent", "0006_talent_problem_month"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="match",
            name="match_subject",
        ),
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
                db_constraint=False,
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
                db_constraint=False,
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
                db_constraint=False,
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
                db_constraint=False,
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
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="policies.matchrun",
            ),
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
        migrations.RunPython(fillfactor, no_fillfactor),
    ]
