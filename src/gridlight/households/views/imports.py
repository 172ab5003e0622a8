"""Household import (all-or-nothing, with a downloadable error report) and export."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit, exports, jobs
from gridlight.core.access import Perm, access, scope_for
from gridlight.core.errors import ImportRejected
from gridlight.core.forms import UploadForm
from gridlight.core.models import Job
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import Column, template_notes, write_workbook
from gridlight.core.views.common import xlsx_response
from gridlight.households import imports
from gridlight.households.views.households import _filtered

ERROR_COLUMNS = [
    Column("row", "行号", "row"),
    Column("column", "列", "column"),
    Column("message", "问题", "problem"),
]


# Files larger than this are checked and imported by a background job with a progress page.
SYNC_LIMIT = 512 * 1024


def _start_job(request: HttpRequest, upload: Any) -> Job:
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.xlsx"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    job = jobs.start(
        "households.import",
        actor=request.user,
        params={
            "path": str(path),
            "filename": upload.name,
            "next": reverse("households:list"),
            "report": "",
        },
    )
    Job.objects.filter(pk=job.pk).update(
        params={**job.params, "report": reverse("households:import") + f"?job={job.pk}"}
    )
    return job


@access(Perm.HOUSEHOLD_CHANGE)
def import_view(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    errors = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > SYNC_LIMIT:
                return redirect("core:job_detail", pk=_start_job(request, upload).pk)
            try:
                result = imports.check_and_import(
                    actor=request.user, upload=upload, filename=upload.name
                )
            except ImportRejected as exc:
                errors = exc.errors
                request.session["household_import_errors"] = [
                    [e.row, e.column, e.message] for e in exc.errors
                ]
            else:
                messages.success(
                    request,
                    _(
                        "Imported %(r)s rows: %(hc)s households added, %(hu)s updated; %(rc)s "
                        "residents added, %(ru)s updated (%(s).0f s)."
                    )
                    % {
                        "r": result.rows,
                        "hc": result.households_created,
                        "hu": result.households_updated,
                        "rc": result.residents_created,
                        "ru": result.residents_updated,
                        "s": result.seconds,
                    },
                )
                return redirect("households:list")
    elif request.GET.get("report") and request.session.get("household_import_errors"):
        rows = request.session["household_import_errors"]
        return xlsx_response(
            write_workbook("errors", ERROR_COLUMNS, rows), "household-import-errors.xlsx"
        )
    elif (job_id := parse_id(request.GET.get("job"))) is not None:
        job = Job.objects.filter(
            pk=job_id,
            created_by_id=request.user.pk,
            kind="households.import",
        ).first()
        if job is None or not job.result.get("errors"):
            raise Http404
        return xlsx_response(
            write_workbook("errors", ERROR_COLUMNS, job.result["errors"]),
            "household-import-errors.xlsx",
        )
    return render(
        request, "households/import.html", {"form": form, "errors": errors}, status=status
    )


@access(Perm.HOUSEHOLD_CHANGE)
def template_view(request: HttpRequest) -> HttpResponse:
    example = "  |  ".join(f"{c.header}: {c.example}" for c in imports.COLUMNS if c.example)
    notes = [
        *template_notes(imports.COLUMNS),
        _("Example: %(row)s") % {"row": example},
        _("One row per resident; repeat the household columns on each row of a household."),
    ]
    return xlsx_response(
        write_workbook("residents", imports.COLUMNS, [], notes=notes), "households-template.xlsx"
    )


@access(Perm.HOUSEHOLD_VIEW)
def export_view(request: HttpRequest) -> HttpResponse:
    """The filtered households with their residents; a large list is prepared by a background
    job (core/exports.py)."""
    return exports.respond(request, "households")


@exports.register("households")
def _export(user: Any, params: QueryDict) -> exports.Export:
    _form, qs = _filtered(user, params)
    path = qs.values_list("region_path", flat=True).first() or ""
    reveal = (
        params.get("reveal") == "1"
        and bool(path)
        and all(
            scope_for(user, Perm.PERSONAL_REVEAL).contains(p)
            for p in qs.values_list("region_path", flat=True).distinct()
        )
    )
    count = qs.count()

    def record_reveal() -> None:
        audit.record(
            actor=user,
            action="reveal.export",
            object_type="households",
            object_label=_("household export with full numbers"),
            region_path=path,
            changes={"households": count},
        )

    return exports.Export(
        sheet="residents",
        columns=imports.COLUMNS,
        rows=imports.export_rows(qs, reveal=reveal),
        count=count,
        filename=f"households-{timezone.localdate():%Y%m%d}.xlsx",
        on_start=record_reveal if reveal else None,
    )
