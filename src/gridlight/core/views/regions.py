"""Pages of the region tree: drill-down with counts, edit, add, import and export."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import imports, services
from gridlight.core.access import Perm, access, get_scoped, scope_for
from gridlight.core.errors import DomainError, ImportRejected
from gridlight.core.forms import RegionForm, UploadForm
from gridlight.core.models import Region, ServicePosition
from gridlight.core.selectors import (
    region_breadcrumbs,
    region_children,
    region_node_counts,
    region_scope_roots,
    regions_list,
)
from gridlight.core.views.common import submit, xlsx_response


@access(Perm.REGION_VIEW)
def region_index(request: HttpRequest) -> HttpResponse:
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
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
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
        },
    )


@access(Perm.REGION_CHANGE)
def region_edit(request: HttpRequest, pk: int) -> HttpResponse:
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
def region_add_child(request: HttpRequest, pk: int) -> HttpResponse:
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


@access(Perm.REGION_CHANGE)
def region_import(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    errors = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = imports.import_regions(
                    actor=request.user, upload=upload, filename=upload.name
                )
            except ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _("Import finished: %(c)s created, %(u)s updated, %(n)s unchanged.")
                    % {"c": result.created, "u": result.updated, "n": result.unchanged},
                )
                return redirect("core:region_index")
    return render(
        request,
        "core/import.html",
        {
            "form": form,
            "errors": errors,
            "title": _("Import region tree"),
            "template_url": "core:region_template",
            "back_url": "core:region_index",
        },
        status=status,
    )


@access(Perm.REGION_VIEW)
def region_export(request: HttpRequest) -> HttpResponse:
    content = imports.export_regions(regions_list(request.user))
    return xlsx_response(content, f"regions-{timezone.localdate():%Y%m%d}.xlsx")


@access(Perm.REGION_CHANGE)
def region_template(request: HttpRequest) -> HttpResponse:
    return xlsx_response(
        imports.template(imports.REGION_COLUMNS, "regions"), "regions-template.xlsx"
    )
