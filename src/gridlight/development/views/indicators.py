"""Indicator pages: the list of data elements and indicators with their latest figures, an
element's page (series chart, value, growth, year to date, target completion, entry and
approval), GDP's contributions and pulls, and the import and export of values."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, access, scope_for
from gridlight.core.errors import DomainError
from gridlight.core.models import User
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import template_notes, write_workbook
from gridlight.core.views.common import CachedCountPaginator, paginate, submit, xlsx_response
from gridlight.core.views.imports import ImportPage, import_page
from gridlight.development import access as dev_access
from gridlight.development import figures, imports
from gridlight.development import indicator_selectors as sel
from gridlight.development import indicator_services as svc
from gridlight.development.forms import FigureForm, ValueForm, VersionForm
from gridlight.development.models import DataElement, DataValue, Indicator


def _region(request: SignedInRequest, code: str = "") -> Any:
    """The region the figures are for: the code asked for, if readable, else the user's
    outermost readable region. 404 for a region outside the scope."""
    regions = sel.regions_for_figures(request.user)
    if code:
        region = regions.filter(code=code).first()
        if region is None:
            raise Http404
        return region
    region = regions.order_by("level", "path").first()
    if region is None:
        raise PermissionDenied
    return region


@access(Perm.INDICATOR_VIEW)
def indicator_list(request: SignedInRequest) -> HttpResponse:
    region = _region(request, request.GET.get("region", ""))
    # A page of each list: every row reads its own series (a few queries), so a page, not the
    # whole catalogue, bounds the queries whatever the number of elements and indicators.
    elements = paginate(request, DataElement.objects.order_by("pk"), LIST_PAGE)
    indicator_page = CachedCountPaginator(
        Indicator.objects.select_related("numerator", "denominator").order_by("pk"), LIST_PAGE
    ).get_page(request.GET.get("ipage"))
    rows = []
    for element in elements:
        period = sel.latest_period(element, region)
        rows.append(
            {
                "element": element,
                "period": figures.period_label(period, element.period_type) if period else "",
                "figures": sel.element_figures(element, region, period) if period else None,
            }
        )
    computed = []
    for indicator in indicator_page:
        period = sel.latest_period(indicator.numerator, region)
        value: Any = None
        error = ""
        if period is not None:
            try:
                value = sel.indicator_figure(indicator, region, period)
            except figures.ZeroSeries as exc:
                error = exc.message
        computed.append(
            {
                "indicator": indicator,
                "period": figures.period_label(period, indicator.numerator.period_type)
                if period
                else "",
                "figure": value,
                "error": error,
            }
        )
    return render(
        request,
        "development/indicator_list.html",
        {
            "region": region,
            "regions": sel.regions_for_figures(request.user),
            "rows": rows,
            "indicators": computed,
            "page": elements,
            "query": _without(request, "page"),
            "indicator_page": indicator_page,
            "indicator_query": _without(request, "ipage"),
            "may_import": not scope_for(request.user, Perm.INDICATOR_ENTER).empty,
        },
    )


LIST_PAGE = 20


def _without(request: SignedInRequest, name: str) -> str:
    params = request.GET.copy()
    params.pop(name, None)
    return params.urlencode()


def _element(pk: Any) -> DataElement:
    element = DataElement.objects.filter(pk=parse_id(pk) or 0).first()
    if element is None:
        raise Http404
    return element


@access(Perm.INDICATOR_VIEW)
def element_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    element = _element(pk)
    form = FigureForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    region = _region(request, data.get("region") or "")
    period = data.get("period") or sel.latest_period(element, region)
    shown = None
    if period is not None:
        period = figures.period_start(period, element.period_type)
        shown = sel.element_figures(element, region, period)
    history = sel.full_series(element, region)
    values = dev_access.visible_values(request.user).filter(element=element, region=region)
    entry = ValueForm(initial={"region": region.code})
    return render(
        request,
        "development/element_detail.html",
        {
            "element": element,
            "region": region,
            "form": form,
            "figures": shown,
            "period_label": figures.period_label(period, element.period_type) if period else "",
            "values": values.select_related("entered_by", "approved_by").order_by("-period")[:60],
            "chart": {
                "periods": [figures.period_label(p, element.period_type) for p in sorted(history)],
                "values": [float(history[p]) for p in sorted(history)],
            },
            "entry": entry,
            "picked": period.isoformat() if period else "",
            "may_enter": dev_access.may_enter(request.user, region.path),
            "may_approve": dev_access.may_approve(request.user, region.path),
        },
    )


@require_POST
@access(Perm.INDICATOR_ENTER)
def value_enter(request: SignedInRequest, pk: int) -> HttpResponse:
    element = _element(pk)
    form = ValueForm(request.POST)

    def save(data: dict[str, Any]) -> DataValue:
        region = sel.regions_for_figures(request.user).filter(code=data["region"]).first()
        if region is None:
            raise DomainError(_("No region with this code in your scope."))
        return svc.value_enter(
            actor=request.user,
            element=element,
            region=region,
            period=data["period"],
            value=data["value"],
            version=data.get("version"),
        )

    value, _status = submit(request, form, save)
    if value is not None:
        messages.success(request, _("The value was entered and awaits approval."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(f"{element_url(element)}?region={form.data.get('region', '')}")


def element_url(element: DataElement) -> str:
    return reverse("development:element_detail", args=[element.pk])


@require_POST
@access(Perm.INDICATOR_MANAGE)
def value_approve(request: SignedInRequest, pk: int) -> HttpResponse:
    value = dev_access.visible_values(request.user).filter(pk=parse_id(pk) or 0).first()
    if value is None:
        raise Http404
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            svc.value_approve(actor=request.user, value=value, version=form.cleaned_data["version"])
            messages.success(request, _("The value was approved."))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect(f"{element_url(value.element)}?region={value.region.code}")


@access(Perm.INDICATOR_VIEW)
def contributions(request: SignedInRequest) -> HttpResponse:
    """GDP growth and each part's contribution rate and pull, computed from the series."""
    region = _region(request, request.GET.get("region", ""))
    gdp = DataElement.objects.filter(code="gdp").first()
    table = None
    period_label = ""
    if gdp is not None:
        form = FigureForm(request.GET or None)
        form.is_valid()
        asked = getattr(form, "cleaned_data", {}).get("period")
        period = (
            figures.period_start(asked, gdp.period_type)
            if asked
            else sel.latest_period(gdp, region)
        )
        if period is not None:
            parts = list(DataElement.objects.filter(gdp_part=True, period_type=gdp.period_type))
            try:
                table = sel.contribution_table(gdp, parts, region, period)
            except figures.ZeroSeries as exc:
                messages.error(request, exc.message)
            period_label = figures.period_label(period, gdp.period_type)
    return render(
        request,
        "development/contributions.html",
        {
            "region": region,
            "gdp": gdp,
            "table": table,
            "period_label": period_label,
            "picked": request.GET.get("period", ""),
        },
    )


VALUES_IMPORT = ImportPage(
    key="indicator_values",
    title=gettext_lazy("Import indicator values"),
    template_url="development:values_template",
    done_url="development:indicator_list",
    run=lambda user, upload: _run_import(user, upload),
)


def _run_import(user: User, upload: UploadedFile) -> str:
    result = imports.import_values(actor=user, upload=upload, filename=upload.name or "")
    return _("%(c)s values added, %(u)s changed (awaiting approval), %(n)s unchanged.") % {
        "c": result.created,
        "u": result.updated,
        "n": result.unchanged,
    }


@access(Perm.INDICATOR_ENTER)
def values_import(request: SignedInRequest) -> HttpResponse:
    return import_page(request, VALUES_IMPORT)


@access(Perm.INDICATOR_ENTER)
def values_template(request: SignedInRequest) -> HttpResponse:
    example = [[c.example for c in imports.COLUMNS]]
    content = write_workbook(
        imports.SHEET, imports.COLUMNS, example, notes=template_notes(imports.COLUMNS)
    )
    return xlsx_response(content, "indicator-values-template.xlsx")


@access(Perm.INDICATOR_VIEW)
def values_export(request: SignedInRequest) -> HttpResponse:
    return exports.respond(request, "indicator_values")


@exports.register("indicator_values")
def _export(user: User, params: QueryDict) -> exports.Export:
    qs = (
        dev_access.visible_values(user)
        .filter(status="approved")
        .order_by("element__code", "region_path", "period")
    )
    if params.get("element"):
        qs = qs.filter(element__code=params["element"])
    return exports.Export(
        sheet=imports.SHEET,
        columns=imports.COLUMNS,
        rows=imports.export_rows(qs),
        count=qs.count(),
        filename="indicator-values.xlsx",
    )
