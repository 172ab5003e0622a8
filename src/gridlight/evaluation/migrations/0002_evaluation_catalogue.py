from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from gridlight.evaluation.catalogue import seed as seed_catalogue

    seed_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
