"""The one upload-and-import page every import uses (regions, positions, households, and the
talent, policy, evaluation and development imports to come).

An import page is an :class:`ImportPage` and a view that calls :func:`import_page`::

    REGION_IMPORT = ImportPage(
        key="regions",
        title=gettext_lazy("Import region tree"),
        template_url="core:region_template",
        done_url="core:region_index",
        run=lambda user, upload: summary_of(import_regions(actor=user, upload=upload,
                                                            filename=upload.name)),
    )

    @access(Perm.REGION_CHANGE)
    def region_import(request):
        return import_page(request, REGION_IMPORT)

``run`` checks and writes the file through the kind's import service and returns the success
message; it raises :class:`ImportRejected` (row-level errors, or the guarded reader's refusal of
the whole file), which the page lists — nothing was written — and offers as a downloadable error
report (``?report=1``). With ``job`` set, files above :data:`SYNC_LIMIT` are saved and imported
by that background job, with a progress page and the same error report (``?job=<id>``).
See docs/imports.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from gridlight.core import jobs
from gridlight.core.access import SignedInRequest
from gridlight.core.errors import ImportRejected
from gridlight.core.forms import UploadForm
from gridlight.core.models import Job, User
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import Column, write_workbook
from gridlight.core.views.common import xlsx_response

ERROR_COLUMNS = [
    Column("row", "行号", "row"),
    Column("column", "列", "column"),
    Column("message", "问题", "problem"),
]
# Files larger than this go to the page's background job (when it has one), with a progress page.
SYNC_LIMIT = 512 * 1024
INTRO = gettext_lazy(
    "The whole file is checked before anything is saved. If any row is wrong, nothing is "
    "imported and every problem is listed below. Rows are matched by code, so importing the same "
    "file again changes nothing."
)
BUSY = gettext_lazy("Checking the file…")


@dataclass(frozen=True)
class ImportPage:
    """What differs between import pages; everything else is :func:`import_page`."""

    key: str  # names the error report kept in the session
    title: str | Promise
    template_url: str  # URL name of the template download
    done_url: str  # URL name to go to after a successful import (and "Cancel")
    run: Callable[[User, UploadedFile], str]  # (user, upload) -> success message
    intro: str | Promise = INTRO
    busy: str | Promise = BUSY
    job: str = ""  # a core.jobs kind that imports a saved file (params: path, filename)
    form: type[Form] = UploadForm  # the upload form: its clean_file checks size and kind
    # Arguments of both URLs, for an import of one record's rows (a round's score sheets).
    url_args: tuple[Any, ...] = ()

    @property
    def template_href(self) -> str:
        return reverse(self.template_url, args=self.url_args)

    @property
    def done_href(self) -> str:
        return reverse(self.done_url, args=self.url_args)


def import_page(request: SignedInRequest, page: ImportPage) -> HttpResponse:
    """GET shows the form (or an error report); POST checks and imports the file."""
    form = page.form(request.POST or None, request.FILES or None)
    errors = None
    status = 200
    session_key = f"import_errors:{page.key}"
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if page.job and upload.size > SYNC_LIMIT:
                return redirect("core:job_detail", pk=_start_job(request, page, upload).pk)
            try:
                message = page.run(request.user, upload)
            except ImportRejected as exc:
                errors = exc.errors
                request.session[session_key] = [[e.row, e.column, e.message] for e in errors]
            else:
                messages.success(request, message)
                return redirect(page.done_href)
    elif request.GET.get("report") and request.session.get(session_key):
        return _report(request.session[session_key], page)
    elif page.job and (job_id := parse_id(request.GET.get("job"))) is not None:
        job = Job.objects.filter(pk=job_id, created_by_id=request.user.pk, kind=page.job).first()
        if job is None or not job.result.get("errors"):
            raise Http404
        return _report(job.result["errors"], page)
    return render(
        request,
        "core/import.html",
        {"form": form, "errors": errors, "page": page},
        status=status,
    )


def _report(rows: list[list[Any]], page: ImportPage) -> HttpResponse:
    return xlsx_response(
        write_workbook("errors", ERROR_COLUMNS, rows), f"{page.key}-import-errors.xlsx"
    )


def _start_job(request: SignedInRequest, page: ImportPage, upload: UploadedFile) -> Job:
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.xlsx"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    # The job is created with all its parameters at once (it may start running at once): the
    # error report's address is this page's, completed with the job's id by the job page.
    return jobs.start(
        page.job,
        actor=request.user,
        params={
            "path": str(path),
            "filename": upload.name,
            "next": page.done_href,
            "report_page": request.path,
        },
    )
