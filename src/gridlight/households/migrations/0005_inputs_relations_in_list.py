"""Members stored with a relation outside the list (the API took any text until the service
checked it) get "other", so the export, which names every member's relation, works again."""

from typing import Any

from django.db import migrations

RELATIONS = ["head", "spouse", "child", "parent", "grandchild", "other"]


def forward(apps: Any, schema_editor: Any) -> None:
    Resident = apps.get_model("households", "Resident")
    Resident.objects.exclude(relation__in=RELATIONS).update(relation="other")


class Migration(migrations.Migration):
    dependencies = [("households", "0004_fewer_indexes")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
