"""The talent-service ticket categories every talent problem category maps onto
(``talent.problems.CATEGORY_CODES``): 医疗保障, 出入境, 政策咨询 and other join 子女入学, 人才公寓,
落户 and 配偶就业, which the tickets' catalogue already had. Seeded by the catalogue's own
(idempotent) seeding, so a database made before these rows existed gets them too."""

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from gridlight.tickets.catalogue import seed_catalogue

    seed_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("talent", "0003_commissioners_caseload_index"),
        ("tickets", "0006_perftickets_open_index"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
