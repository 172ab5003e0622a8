"""The households' background jobs: the district recompute and the Excel import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gridlight.core.jobs import Progress, register, starter
from gridlight.core.models import Job


@register("households.recompute")
def recompute(job: Job, progress: Progress) -> dict[str, Any]:
    from gridlight.households.classify import recompute_all

    result = recompute_all(actor=job.created_by, progress=progress)
    return {
        "households": result.total,
        "changed": result.changed,
        "seconds": round(result.seconds, 1),
        "rule_version": result.version,
    }


@register("households.import")
def import_workbook(job: Job, progress: Progress) -> dict[str, Any]:
    from gridlight.households.imports import check_and_import

    path = Path(job.params["path"])
    try:
        with path.open("rb") as upload:
            summary = check_and_import(
                actor=starter(job),
                upload=upload,
                filename=job.params.get("filename", ""),
                progress=progress,
            )
    finally:
        path.unlink(missing_ok=True)
    return {
        "rows": summary.rows,
        "households_created": summary.households_created,
        "households_updated": summary.households_updated,
        "residents_created": summary.residents_created,
        "residents_updated": summary.residents_updated,
        "seconds": round(summary.seconds, 1),
    }
