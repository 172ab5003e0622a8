"""Celery tasks of the policies app: matching (nightly, and after a version is published) and
queueing pushes. Each is idempotent (matches are compared by digest, pushes unique per subject
and version), so they are acknowledged late and run again if their worker dies."""

from __future__ import annotations

from typing import Any

from celery import shared_task  # type: ignore[import-untyped]

from gridlight.policies import matching


def _summary(run: Any) -> dict[str, int]:
    return {
        "subjects": run.subjects,
        "created": run.created,
        "changed": run.changed,
        "withdrawn": run.withdrawn,
        "superseded": run.superseded,
        "pushes": run.pushes,
    }


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.policies.match_nightly", acks_late=True, reject_on_worker_lost=True
)
def match_nightly() -> list[dict[str, int]]:
    return [_summary(run) for run in matching.match_nightly()]


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.policies.match_published", acks_late=True, reject_on_worker_lost=True
)
def match_published(version_id: int) -> dict[str, int]:
    from gridlight.policies.models import PolicyVersion

    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    return _summary(matching.on_published(version))


@shared_task(  # type: ignore[untyped-decorator]
    name="gridlight.policies.queue_pushes", acks_late=True, reject_on_worker_lost=True
)
def queue_pushes(subject_type: str, chunk: int = 1000) -> int:
    return int(matching.queue_pushes(subject_type, chunk=chunk))
