"""Pages of the region tree: drill-down with counts, edit, add, import and export."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import imports, services, widgets
from gridlight.core.access import Perm, SignedInRequest, access, get_scoped, scope_for
from gridlight.core.errors import DomainError
from gridlight.core.forms import RegionForm
from gridlight.core.models import Region, ServicePosition, User
from gridlight.core.selectors import (
    region_breadcrumbs,
    region_children,
    region_node_counts,
    region_scope_roots,
    regions_list,
)
from gridlight.core.views.common import submit, xlsx_response
from gridlight.core.views.imports import ImportPage, import_page


@access(Perm.REGION_VIEW)
def region_index(request: SignedInRequest) -> HttpResponse:
    roots = list(region_scope_roots(request.user))
    if len(roots) == 1:
        return redirect("core:region_detail", pk=roots[0].pk)
    return render(
        request,
        "core/region_index.html",
        {
            "roots": [(r, region_node_counts(r)) for r in roots],
            "can_change": not scope_for(request.user, Perm.REGION_CHANGE).empty,
        },
    )


@access(Perm.REGION_VIEW)
def region_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    region = get_scoped(Region.objects.all(), request.user, Perm.REGION_VIEW, "path", pk=pk)
    positions = ServicePosition.objects.filter(region=region).order_by("kind", "name")
    can_change = scope_for(request.user, Perm.REGION_CHANGE).contains(region.path)
    return render(
        request,
        "core/region_detail.html",
        {
            "region": region,
            "breadcrumbs": region_breadcrumbs(request.user, region),
            "counts": region_node_counts(region),
            "children": region_children(region),
            "positions": positions,
            "can_change": can_change,
            "panels": widgets.for_region(request, region),
        },
    )


@access(Perm.REGION_CHANGE)
def region_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    region = get_scoped(Region.objects.all(), request.user, Perm.REGION_CHANGE, "path", pk=pk)
    initial = {
        "code": region.code,
        "name": region.name,
        "kind": region.kind,
        "sort_order": region.sort_order,
        "version": region.version,
    }
    form = RegionForm(request.POST or None, initial=initial, level=region.level)
    done, status = submit(
        request,
        form,
        lambda d: (
            services.region_update(
                actor=request.user,
                region=region,
                version=d["version"] or 0,
                code=d["code"],
                name=d["name"],
                kind=d["kind"],
                sort_order=d["sort_order"],
            )
            or True
        ),
    )
    if done:
        messages.success(request, _("Saved."))
        return redirect("core:region_detail", pk=region.pk)
    return render(
        request,
        "core/region_form.html",
        {"form": form, "region": region, "parent": region.parent},
        status=status,
    )


@access(Perm.REGION_CHANGE)
def region_add_child(request: SignedInRequest, pk: int) -> HttpResponse:
    parent = get_scoped(Region.objects.all(), request.user, Perm.REGION_CHANGE, "path", pk=pk)
    if parent.level >= 3:
        raise DomainError(_("A grid has no child regions."))
    form = RegionForm(request.POST or None, level=parent.level + 1)
    child, status = submit(
        request,
        form,
        lambda d: services.region_create(
            actor=request.user,
            parent=parent,
            kind=d["kind"],
            code=d["code"],
            name=d["name"],
            sort_order=d["sort_order"],
        ),
    )
    if child:
        messages.success(request, _("Created %(name)s.") % {"name": child.name})
        return redirect("core:region_detail", pk=child.pk)
    return render(request, "core/region_form.html", {"form": form, "parent": parent}, status=status)


def _import_regions(user: User, upload: UploadedFile) -> str:
    result = imports.import_regions(actor=user, upload=upload, filename=upload.name or "")
    return imports.result_message(result)


REGION_IMPORT = ImportPage(
    key="regions",
    title=gettext_lazy("Import region tree"),
    template_url="core:region_template",
    done_url="core:region_index",
    run=_import_regions,
)


@access(Perm.REGION_CHANGE)
def region_import(request: SignedInRequest) -> HttpResponse:
    return import_page(request, REGION_IMPORT)


@access(Perm.REGION_VIEW)
def region_export(request: SignedInRequest) -> HttpResponse:
    content = imports.export_regions(regions_list(request.user))
    return xlsx_response(content, f"regions-{timezone.localdate():%Y%m%d}.xlsx")


@access(Perm.REGION_CHANGE)
def region_template(request: SignedInRequest) -> HttpResponse:
    return xlsx_response(
        imports.template(imports.REGION_COLUMNS, imports.regions.SHEET), "regions-template.xlsx"
    )
