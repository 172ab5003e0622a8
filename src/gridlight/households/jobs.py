"""The households' background jobs: the district recompute, a rule version's preview and the
Excel import."""

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


@register("households.simulate")
def simulate(job: Job, progress: Progress) -> dict[str, Any]:
    """A rule version's preview over the starter's scope; the page reads its result."""
    from gridlight.core.jobs import starter
    from gridlight.households.simulate import simulate
    from gridlight.rules.models import RuleSetVersion

    version = RuleSetVersion.objects.get(pk=job.params["version"])
    return simulate(starter(job), version, progress).to_json()


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
