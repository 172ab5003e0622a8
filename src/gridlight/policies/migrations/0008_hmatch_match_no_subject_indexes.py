"""Matches' subject keys lose their partial indexes: a subject's matches are looked up by
``subject_type`` and ``subject_id`` (the unique ``match_subject_version``), and each index was
one more tree to update per row a run writes (0.2–0.5 s of PostgreSQL's CPU for a first run of
290,000 matches, 0.3 s on SQLite)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0007_hmatch_match_unchecked_keys"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="match",
            name="match_talent",
        ),
        migrations.RemoveIndex(
            model_name="match",
            name="match_enterprise",
        ),
        migrations.RemoveIndex(
            model_name="match",
            name="match_household",
        ),
    ]
