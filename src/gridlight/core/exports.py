"""Spreadsheet exports of lists that can be large: answered at once when small, built by a
background job when large.

Why a job and not a streamed response: an .xlsx is a zip whose parts xlsxwriter assembles when
the workbook is closed, so not one byte could be sent before the whole file is built — a
"streaming" response would still hold the request (and the proxy's timeout) for the minute
that 200,000 tickets take, and a dropped connection would throw the work away. A job writes
the workbook to a file in constant memory (xlsxwriter's ``constant_memory``: one row in memory
at a time), reports its progress on the job page that imports already use (``core/jobs.py``),
and leaves the file there to download once, or again, for ``KEEP_DAYS`` (7) days: the periodic
sweep (:func:`expire`) then removes it and the job reads "expired".

An app registers a *builder* per kind of export: from the user and the list's query string it
returns an :class:`Export` — columns, the rows (a generator, read in chunks), how many records
it will write, and what must be audited when it is produced. The export view calls
:func:`respond`: up to ``INLINE_LIMIT`` records (5,000) the file is the answer; above it, a
GET shows how many records will be exported and a button (a GET never starts anything), and
the POST starts the job and sends the user to its page, where the file is offered when ready.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import jobs
from gridlight.core.access import SignedInRequest
from gridlight.core.models import Job, JobStatus, User
from gridlight.core.spreadsheets import Column, write_workbook, write_workbook_file
from gridlight.core.views.common import xlsx_response

# Records up to which the file is built inside the request (a second or two at most); the
# setting GRIDLIGHT_EXPORT_INLINE_LIMIT changes it.
INLINE_LIMIT = 5_000


# Days an export's file is kept after its job finished; GRIDLIGHT_EXPORT_KEEP_DAYS changes it.
KEEP_DAYS = 7


def inline_limit() -> int:
    return int(getattr(settings, "GRIDLIGHT_EXPORT_INLINE_LIMIT", INLINE_LIMIT))


def keep_days() -> int:
    return int(getattr(settings, "GRIDLIGHT_EXPORT_KEEP_DAYS", KEEP_DAYS))


@dataclass
class Export:
    sheet: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    count: int  # records the rows come from (progress, and the inline-or-job choice)
    filename: str
    notes: Sequence[str] = ()
    # Called once when the export is produced (inline) or started (job): e.g. the audit row of
    # an export with full ID numbers.
    on_start: Callable[[], None] | None = field(default=None, repr=False)


Builder = Callable[[User, QueryDict], Export]
_BUILDERS: dict[str, Builder] = {}


def register(kind: str) -> Callable[[Builder], Builder]:
    def decorate(fn: Builder) -> Builder:
        _BUILDERS[kind] = fn
        return fn

    return decorate


def folder() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def respond(request: SignedInRequest, kind: str) -> HttpResponse:
    """The one way an export view answers (see the module's docstring)."""
    export = _BUILDERS[kind](request.user, request.GET)
    if export.count <= inline_limit():
        if export.on_start is not None:
            export.on_start()
        content = write_workbook(export.sheet, export.columns, export.rows, notes=export.notes)
        return xlsx_response(content, export.filename)
    if request.method != "POST":
        return render(
            request,
            "core/export_start.html",
            {"count": export.count, "query": request.GET.urlencode()},
        )
    if export.on_start is not None:
        export.on_start()
    job = jobs.start(
        "core.export",
        actor=request.user,
        params={"export": kind, "query": request.GET.urlencode(), "filename": export.filename},
    )
    return redirect("core:job_detail", job.pk)


@jobs.register("core.export")
def _build(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """Write the export to a file under DATA_DIR/exports, with progress every 5,000 records."""
    export = _BUILDERS[job.params["export"]](jobs.starter(job), QueryDict(job.params["query"]))
    name = f"{job.pk}-{secrets.token_hex(8)}.xlsx"
    total = max(export.count, 1)

    def written(n: int) -> None:
        message = _("%(n)s of %(total)s written") % {"n": n, "total": total}
        progress(min(99, n * 100 // total), message)

    rows = write_workbook_file(
        folder() / name,
        export.sheet,
        export.columns,
        export.rows,
        notes=export.notes,
        progress=written,
    )
    return {"file": name, "filename": export.filename, "rows": rows}


def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file of a finished export job: its starter's own, like the job itself."""
    job = Job.objects.filter(
        pk=pk, created_by_id=request.user.pk, kind="core.export", status=JobStatus.DONE
    ).first()
    name = _file_of(job.result) if job is not None else ""
    path = folder() / name
    if job is None or not name or not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=str(job.result.get("filename") or name),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def expire(*, now: datetime | None = None) -> int:
    """Remove the files of exports that finished more than :func:`keep_days` ago, their jobs
    marked expired first (so no job offers a file that is gone), and any older file in the
    folder that no live job names (an export cut off while writing). Idempotent; run by the
    periodic sweep. Returns how many files were removed."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days())
    exports = Job.objects.filter(kind="core.export")
    old = dict(
        exports.filter(status=JobStatus.DONE, finished_at__lt=cutoff).values_list("pk", "result")
    )
    exports.filter(pk__in=old, status=JobStatus.DONE).update(status=JobStatus.EXPIRED)
    live = {
        _file_of(result)
        for result in exports.filter(status=JobStatus.DONE).values_list("result", flat=True)
    }
    gone = {_file_of(result) for result in old.values()} - {""}
    removed = 0
    for path in folder().glob("*.xlsx"):
        if path.name in live:
            continue
        if path.name in gone or path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _file_of(result: Any) -> str:
    """The file name a finished export job's result names ("" if none, or not a plain name)."""
    name = str((result or {}).get("file", ""))
    return "" if "/" in name else name
