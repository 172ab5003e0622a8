"""The talent desk's background jobs: a large talent or enterprise roster's import (the import
page starts it for files above the page's limit for answering at once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gridlight.core.jobs import Progress, register, starter
from gridlight.core.models import Job


@register("talent.import")
def import_roster(job: Job, progress: Progress) -> dict[str, Any]:
    from gridlight.talent.imports import import_talents

    return _import(job, progress, import_talents)


@register("talent.enterprise_import")
def import_enterprise_roster(job: Job, progress: Progress) -> dict[str, Any]:
    from gridlight.talent.imports import import_enterprises

    return _import(job, progress, import_enterprises)


def _import(job: Job, progress: Progress, run: Any) -> dict[str, Any]:
    path = Path(job.params["path"])
    try:
        with path.open("rb") as upload:
            summary = run(
                actor=starter(job),
                upload=upload,
                filename=job.params.get("filename", ""),
                progress=progress,
            )
    finally:
        path.unlink(missing_ok=True)
    return {"rows": summary.rows, "created": summary.created, "updated": summary.updated}
