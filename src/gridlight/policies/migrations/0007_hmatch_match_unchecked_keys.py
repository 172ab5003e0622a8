"""Matches' subject and version keys no longer checked by the database, and the version's own
index dropped: a run writes only subjects and versions it has just read, and on PostgreSQL each
check is a query per row written, run at commit (5.4 s of the server's CPU for a first run of
290,000 matches, of about 10). Deleting a subject still deletes its matches and deleting a
version with matches is still refused: Django's ``CASCADE`` and ``PROTECT`` are done by the ORM.
SQLite remakes the table for each altered field: slow once on a large table, then done."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0007_perf_household_fillfactor"),
        ("policies", "0006_match_fewer_indexes"),
        ("talent", "0006_talent_problem_month"),
    ]

    operations = [
        migrations.AlterField(
            model_name="match",
            name="enterprise",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="talent.enterprise",
            ),
        ),
        migrations.AlterField(
            model_name="match",
            name="household",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="households.household",
            ),
        ),
        migrations.AlterField(
            model_name="match",
            name="talent",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="talent.talent",
            ),
        ),
        migrations.AlterField(
            model_name="match",
            name="version",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="matches",
                to="policies.policyversion",
            ),
        ),
    ]
