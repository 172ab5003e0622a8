"""Household import (all-or-nothing, with a downloadable error report) and export."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit, exports
from gridlight.core.access import Perm, SignedInRequest, access, scope_for
from gridlight.core.models import User
from gridlight.core.spreadsheets import template_notes, write_workbook
from gridlight.core.views.common import xlsx_response
from gridlight.core.views.imports import ImportPage, import_page
from gridlight.households import imports
from gridlight.households.views.households import _filtered


def _import(user: User, upload: UploadedFile) -> str:
    result = imports.check_and_import(actor=user, upload=upload, filename=upload.name or "")
    return _(
        "Imported %(r)s rows: %(hc)s households added, %(hu)s updated; %(rc)s "
        "residents added, %(ru)s updated (%(s).0f s)."
    ) % {
        "r": result.rows,
        "hc": result.households_created,
        "hu": result.households_updated,
        "rc": result.residents_created,
        "ru": result.residents_updated,
        "s": result.seconds,
    }


HOUSEHOLD_IMPORT = ImportPage(
    key="households",
    title=gettext_lazy("Import households"),
    template_url="households:import_template",
    done_url="households:list",
    run=_import,
    intro=gettext_lazy(
        "One row per resident. The whole file is checked before anything is saved: ID numbers, "
        "phones, grids, attributes and repeated numbers. If any row is wrong, nothing is "
        "imported and every problem is listed. Households are matched by number and residents "
        "by ID number, so importing the same file again adds nothing."
    ),
    busy=gettext_lazy("Checking and importing; a district-size file takes about a minute…"),
    job="households.import",
)


@access(Perm.HOUSEHOLD_CHANGE)
def import_view(request: SignedInRequest) -> HttpResponse:
    return import_page(request, HOUSEHOLD_IMPORT)


@access(Perm.HOUSEHOLD_CHANGE)
def template_view(request: SignedInRequest) -> HttpResponse:
    example = "  |  ".join(f"{c.header}: {c.example}" for c in imports.COLUMNS if c.example)
    notes = [
        *template_notes(imports.COLUMNS),
        _("Example: %(row)s") % {"row": example},
        _("One row per resident; repeat the household columns on each row of a household."),
    ]
    return xlsx_response(
        write_workbook(imports.SHEET, imports.COLUMNS, [], notes=notes), "households-template.xlsx"
    )


@access(Perm.HOUSEHOLD_VIEW)
def export_view(request: SignedInRequest) -> HttpResponse:
    """The filtered households with their residents; a large list is prepared by a background
    job (core/exports.py)."""
    return exports.respond(request, "households")


@exports.register("households")
def _export(user: User, params: QueryDict) -> exports.Export:
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
