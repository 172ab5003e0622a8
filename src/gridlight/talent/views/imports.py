"""Roster import (the shared import page: all-or-nothing, row and column messages, an error
report) and export (core/exports.py: at once when small, a background job when large) of
enterprises and talents."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit, exports
from gridlight.core.access import Perm, SignedInRequest, access, scope_for
from gridlight.core.imports import template
from gridlight.core.models import User
from gridlight.core.views.common import xlsx_response
from gridlight.core.views.imports import ImportPage, import_page
from gridlight.talent import imports
from gridlight.talent.views.common import enterprise_filtered, talent_filtered


def _message(result: imports.ImportSummary) -> str:
    return _("Imported %(r)s rows: %(c)s added, %(u)s updated.") % {
        "r": result.rows,
        "c": result.created,
        "u": result.updated,
    }


def _enterprises(user: User, upload: UploadedFile) -> str:
    return _message(
        imports.import_enterprises(actor=user, upload=upload, filename=upload.name or "")
    )


def _talents(user: User, upload: UploadedFile) -> str:
    return _message(imports.import_talents(actor=user, upload=upload, filename=upload.name or ""))


ENTERPRISE_IMPORT = ImportPage(
    key="enterprises",
    title=gettext_lazy("Import enterprises"),
    template_url="talent:enterprise_import_template",
    done_url="talent:enterprise_list",
    run=_enterprises,
    job="talent.enterprise_import",  # a large roster is imported in the background
    intro=gettext_lazy(
        "One row per enterprise. The whole file is checked before anything is saved, with the "
        "same checks as the form: credit codes, streets, industries, tags. If any row is "
        "wrong, nothing is imported and every problem is listed. Enterprises are matched by "
        "credit code, so importing the same file again adds nothing."
    ),
)
TALENT_IMPORT = ImportPage(
    key="talents",
    title=gettext_lazy("Import talents"),
    template_url="talent:talent_import_template",
    done_url="talent:talent_list",
    run=_talents,
    job="talent.import",  # a large roster is imported in the background, with its progress
    intro=gettext_lazy(
        "One row per talent. The whole file is checked before anything is saved, with the "
        "same checks as the form: ID numbers, phones, streets, levels, employers, children's "
        "birth dates. If any row is wrong, nothing is imported and every problem is listed. "
        "Talents are matched by ID number, so importing the same file again adds nothing."
    ),
)


@access(Perm.TALENT_CHANGE)
def enterprise_import(request: SignedInRequest) -> HttpResponse:
    return import_page(request, ENTERPRISE_IMPORT)


@access(Perm.TALENT_CHANGE)
def talent_import(request: SignedInRequest) -> HttpResponse:
    return import_page(request, TALENT_IMPORT)


@access(Perm.TALENT_CHANGE)
def enterprise_template(request: SignedInRequest) -> HttpResponse:
    content = template(imports.ENTERPRISE_COLUMNS, imports.ENTERPRISE_SHEET)
    return xlsx_response(content, "enterprises-template.xlsx")


@access(Perm.TALENT_CHANGE)
def talent_template(request: SignedInRequest) -> HttpResponse:
    content = template(imports.TALENT_COLUMNS, imports.TALENT_SHEET)
    return xlsx_response(content, "talents-template.xlsx")


@access(Perm.TALENT_VIEW)
def enterprise_export(request: SignedInRequest) -> HttpResponse:
    return exports.respond(request, "enterprises")


@access(Perm.TALENT_VIEW)
def talent_export(request: SignedInRequest) -> HttpResponse:
    """The filtered talents; numbers masked, or in full (audited) with ``reveal=1`` for a user
    who may reveal every one of them."""
    return exports.respond(request, "talents")


@exports.register("enterprises")
def _export_enterprises(user: User, params: QueryDict) -> exports.Export:
    _form, qs = enterprise_filtered(user, params)
    return exports.Export(
        sheet=imports.ENTERPRISE_SHEET,
        columns=imports.ENTERPRISE_COLUMNS,
        rows=imports.enterprise_rows(qs),
        count=qs.count(),
        filename=f"enterprises-{timezone.localdate():%Y%m%d}.xlsx",
    )


@exports.register("talents")
def _export_talents(user: User, params: QueryDict) -> exports.Export:
    _form, qs = talent_filtered(user, params)
    paths = set(qs.values_list("region_path", flat=True).distinct())
    scope = scope_for(user, Perm.TALENT_REVEAL)
    reveal = params.get("reveal") == "1" and bool(paths) and all(map(scope.contains, paths))
    count = qs.count()

    def record_reveal() -> None:
        audit.record(
            actor=user,
            action="reveal.export",
            object_type="talent.talent",
            object_label=_("talent export with full numbers"),
            region_path=min(paths),
            changes={"talents": count},
        )

    return exports.Export(
        sheet=imports.TALENT_SHEET,
        columns=imports.TALENT_COLUMNS,
        rows=imports.talent_rows(qs, reveal=reveal),
        count=count,
        filename=f"talents-{timezone.localdate():%Y%m%d}.xlsx",
        on_start=record_reveal if reveal else None,
    )
