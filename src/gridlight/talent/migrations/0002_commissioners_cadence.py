"""The default contact cadence (FACTS.md §3, issue 12): classes A and B monthly, C and D
quarterly, E half-yearly, key enterprises (level blank) quarterly. The district edits it later
on the cadence page; this only fills an empty table."""

from django.db import migrations

DEFAULTS = {"A": 30, "B": 30, "C": 91, "D": 91, "E": 182, "": 91}


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Cadence = apps.get_model("talent", "Cadence")
    for level, days in DEFAULTS.items():
        Cadence.objects.get_or_create(level=level, defaults={"days": days})


def empty(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("talent", "Cadence").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("talent", "0001_initial")]

    operations = [migrations.RunPython(fill, empty)]
