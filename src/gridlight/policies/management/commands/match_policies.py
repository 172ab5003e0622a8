"""Match every policy in force against every talent and enterprise and queue the pushes of new
matches: ``gridlight match_policies`` (the nightly run without Celery beat, from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridlight.policies.matching import match_nightly


class Command(BaseCommand):
    help = "Match policies against every talent and enterprise; queue the pushes of new matches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-push", action="store_true", help="store matches, push nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        from gridlight.policies.matching import MATCHED_TYPES, match_all

        if options["no_push"]:
            runs = [match_all(t, push=False) for t in MATCHED_TYPES]
        else:
            runs = match_nightly()
        for run in runs:
            self.stdout.write(
                f"{run.subject_type}: {run.subjects} subjects, {run.created} new, "
                f"{run.changed} changed, {run.withdrawn} withdrawn, {run.superseded} superseded, "
                f"{run.pushes} pushes"
            )
