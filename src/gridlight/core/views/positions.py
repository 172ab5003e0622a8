"""Pages of service positions: list with filters, map, detail, edit, import and export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core import imports, services
from gridlight.core.access import (
    Perm,
    SignedInRequest,
    access,
    get_scoped,
    scope_for,
    scoped,
)
from gridlight.core.forms import PositionFilterForm, PositionForm
from gridlight.core.models import Region, ServicePosition, User
from gridlight.core.selectors import positions_list, region_by_code
from gridlight.core.views.common import paginate, query_without_page, submit, xlsx_response
from gridlight.core.views.imports import ImportPage, import_page


def _filtered(
    request: HttpRequest, form_class: type[PositionFilterForm] = PositionFilterForm
) -> tuple[PositionFilterForm, Any]:
    form = form_class(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    region = None
    if data.get("region"):
        region = region_by_code(request.user, Perm.REGION_VIEW, data["region"])
        if region is None:
            form.add_error("region", _("No region with this code in your scope."))
            return form, ServicePosition.objects.none()
    qs = positions_list(request.user, q=data.get("q", ""), kind=data.get("kind", ""), region=region)
    return form, qs


@access(Perm.POSITION_VIEW)
def position_list(request: SignedInRequest) -> HttpResponse:
    form, qs = _filtered(request)
    return render(
        request,
        "core/position_list.html",
        {
            "form": form,
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "can_change": has_write_scope(request),
        },
    )


def has_write_scope(request: HttpRequest) -> bool:
    return not scope_for(request.user, Perm.POSITION_CHANGE).empty


@access(Perm.POSITION_VIEW)
def position_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    position = get_scoped(
        ServicePosition.objects.select_related("region"), request.user, Perm.POSITION_VIEW, pk=pk
    )
    can_change = scope_for(request.user, Perm.POSITION_CHANGE).contains(position.region_path)
    return render(
        request, "core/position_detail.html", {"position": position, "can_change": can_change}
    )


def _writable_regions(request: HttpRequest) -> Any:
    return scoped(Region.objects.all(), request.user, Perm.POSITION_CHANGE, "path")


@access(Perm.POSITION_CHANGE)
def position_create(request: SignedInRequest) -> HttpResponse:
    form = PositionForm(
        request.POST or None,
        regions=_writable_regions(request),
        initial={"region": request.GET.get("region")},
    )
    position, status = submit(
        request,
        form,
        lambda d: services.position_create(
            actor=request.user, region=d["region"], **form.service_fields()
        ),
    )
    if position:
        messages.success(request, _("Created %(name)s.") % {"name": position.name})
        return redirect("core:position_detail", pk=position.pk)
    return render(request, "core/position_form.html", {"form": form}, status=status)


@access(Perm.POSITION_CHANGE)
def position_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    position = get_scoped(
        ServicePosition.objects.select_related("region"), request.user, Perm.POSITION_CHANGE, pk=pk
    )
    initial = {
        "kind": position.kind,
        "code": position.code,
        "name": position.name,
        "region": position.region.code,
        "address": position.address,
        "longitude": position.longitude,
        "latitude": position.latitude,
        "opening_hours": position.opening_hours,
        "services": "\n".join(position.services),
        "phone": position.phone,
        "version": position.version,
    }
    form = PositionForm(request.POST or None, regions=_writable_regions(request), initial=initial)
    done, status = submit(
        request,
        form,
        lambda d: (
            services.position_update(
                actor=request.user,
                position=position,
                version=d["version"] or 0,
                region=d["region"],
                **form.service_fields(),
            )
            or True
        ),
    )
    if done:
        messages.success(request, _("Saved."))
        return redirect("core:position_detail", pk=position.pk)
    return render(
        request, "core/position_form.html", {"form": form, "position": position}, status=status
    )


@require_POST
@access(Perm.POSITION_CHANGE)
def position_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    position = get_scoped(
        ServicePosition.objects.select_related("region"), request.user, Perm.POSITION_CHANGE, pk=pk
    )
    region_pk = position.region_id
    services.position_delete(actor=request.user, position=position)
    messages.success(request, _("Deleted %(name)s.") % {"name": position.name})
    return redirect("core:region_detail", pk=region_pk)


def _import_positions(user: User, upload: UploadedFile) -> str:
    result = imports.import_positions(actor=user, upload=upload, filename=upload.name or "")
    return imports.result_message(result)


POSITION_IMPORT = ImportPage(
    key="positions",
    title=gettext_lazy("Import service positions"),
    template_url="core:position_template",
    done_url="core:position_list",
    run=_import_positions,
)


@access(Perm.POSITION_CHANGE)
def position_import(request: SignedInRequest) -> HttpResponse:
    return import_page(request, POSITION_IMPORT)


@access(Perm.POSITION_VIEW)
def position_export(request: SignedInRequest) -> HttpResponse:
    _form, qs = _filtered(request)
    content = imports.export_positions(qs)
    return xlsx_response(content, f"positions-{timezone.localdate():%Y%m%d}.xlsx")


@access(Perm.POSITION_CHANGE)
def position_template(request: SignedInRequest) -> HttpResponse:
    return xlsx_response(
        imports.template(imports.POSITION_COLUMNS, imports.positions.SHEET),
        "positions-template.xlsx",
    )
