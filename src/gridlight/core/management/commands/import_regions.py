"""Import a region-tree workbook from the operator's console (how a new district is set up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gridlight.core.errors import ImportRejected
from gridlight.core.imports import import_regions


class Command(BaseCommand):
    help = "Import the region tree from an .xlsx file (all-or-nothing; repeatable)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("workbook", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["workbook"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as upload:
                result = import_regions(
                    actor=None, upload=upload, filename=path.name, as_system=True
                )
        except ImportRejected as exc:
            for e in exc.errors:
                self.stderr.write(f"row {e.row or '-'} {e.column or '-'}: {e.message}")
            raise CommandError(f"{len(exc.errors)} problem(s); nothing was imported.") from exc
        self.stdout.write(
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        )
