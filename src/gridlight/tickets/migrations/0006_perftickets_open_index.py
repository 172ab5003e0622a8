"""A partial index of the open tickets (a few thousand among a million): the consoles, the
supervision board and the home page count and list open work through it (``open_work()``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_category_version"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    (
                        "status__in",
                        (
                            "submitted",
                            "accepted",
                            "dispatched",
                            "signed",
                            "in_progress",
                            "handled",
                            "follow_up",
                        ),
                    )
                ),
                fields=["status", "region_path"],
                name="ticket_open_path",
            ),
        ),
    ]
