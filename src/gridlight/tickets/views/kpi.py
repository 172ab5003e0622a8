"""The ticket KPI page (考核指标) and its Excel export: the rates per unit, street, category or
month of a period, with the counts they come from and the monthly trend (see tickets/kpi.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gridlight.core.access import Perm, Scope, SignedInRequest, access, require
from gridlight.core.forms import Form
from gridlight.core.models import Region, RegionLevel
from gridlight.core.spreadsheets import Column, write_workbook
from gridlight.core.views.common import xlsx_response
from gridlight.tickets import kpi
from gridlight.tickets.models import Category, Unit

MAX_MONTHS = 60
MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


def _month_input() -> forms.DateInput:
    """The browser's month picker; its value is YYYY-MM whatever the language."""
    return forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


def _overlaps(scope: Scope, path: str) -> bool:
    """Whether the subtree at ``path`` shares anything with ``scope`` (lies in it, or holds
    part of it): a district department serves a street, a street office a community in it."""
    return scope.contains(path) or any(root.startswith(path + ".") for root in scope.paths)


def _shift(month: date, n: int) -> date:
    months = month.year * 12 + month.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months, the current one included."""
    end = (today or timezone.localdate()).replace(day=1)
    return _shift(end, -11), end


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The months asked for: both ends as given; one end alone means twelve months from (or
    to) it; none, the last twelve months."""
    if start and end:
        return start, end
    if start:
        return start, _shift(start.replace(day=1), 11)
    if end:
        return _shift(end.replace(day=1), -11), end
    return default_period()


# Months outside these years are refused (tickets are recorded from 2000 on).
YEARS = (2000, 2100)


class KpiFilterForm(Form):
    start = forms.DateField(
        label=gettext_lazy("From month"),
        required=False,
        input_formats=MONTH_FORMATS,
        widget=_month_input(),
    )
    end = forms.DateField(
        label=gettext_lazy("To month"),
        required=False,
        input_formats=MONTH_FORMATS,
        widget=_month_input(),
    )
    by = forms.ChoiceField(
        label=gettext_lazy("Rows by"),
        required=False,
        choices=[(d, label) for d, label in kpi.DIMENSION_LABELS.items()],
    )
    unit = forms.TypedChoiceField(
        label=gettext_lazy("Unit"), required=False, coerce=int, empty_value=None
    )
    street = forms.TypedChoiceField(
        label=gettext_lazy("Street"), required=False, coerce=int, empty_value=None
    )
    category = forms.TypedChoiceField(
        label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None
    )
    talent = forms.BooleanField(label=gettext_lazy("Talent service only"), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only units and streets that touch the user's scope: their names are not for others.
        units = [
            (u.pk, u.name)
            for u in Unit.objects.only("pk", "name", "region_path")
            if _overlaps(scope, u.region_path)
        ]
        streets = [
            (r.pk, r.name)
            for r in Region.objects.filter(level=RegionLevel.STREET).only("pk", "name", "path")
            if _overlaps(scope, r.path)
        ]
        english = (get_language() or "").startswith("en")
        categories = [
            (c.pk, c.name_en if english and c.name_en else c.name)
            for c in Category.objects.filter(children__isnull=True).only("pk", "name", "name_en")
        ]
        for name, choices, everything in (
            ("unit", units, _("All units")),
            ("street", streets, _("All streets")),
            ("category", categories, _("All categories")),
        ):
            f = self.fields[name]
            assert isinstance(f, forms.ChoiceField)
            f.choices = [("", everything), *choices]

    def _month(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
            raise forms.ValidationError(
                _("Choose a month between %(a)s and %(b)s.") % {"a": YEARS[0], "b": YEARS[1]}
            )
        return value

    def clean_start(self) -> date | None:
        return self._month("start")

    def clean_end(self) -> date | None:
        return self._month("end")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "start" in self.errors or "end" in self.errors:
            return data
        # A period with one end given runs to (or from) the default's other end.
        start, end = period(data.get("start"), data.get("end"))
        if start > end:
            self.add_error("end", _("The period ends before it starts."))
        elif len(kpi.months_between(start, end)) > MAX_MONTHS:
            self.add_error("end", _("Choose at most %(n)s months.") % {"n": MAX_MONTHS})
        return data


@dataclass
class Query:
    by: kpi.Dimension
    start: date
    end: date
    unit: int | None
    street: int | None
    category: int | None
    talent_only: bool


def _query(request: HttpRequest) -> tuple[KpiFilterForm, Query]:
    """The form as filled in, and the report it asks for (defaults for anything invalid)."""
    scope = require(request.user, Perm.TICKET_VIEW)
    start, end = default_period()
    form = KpiFilterForm(
        request.GET or None, scope=scope, initial={"start": start, "end": end, "by": "unit"}
    )
    form.is_valid()
    # Fields that are valid are used, the others fall back to their defaults (the errors are
    # shown); a period that is wrong as a whole falls back as a whole.
    data: dict[str, Any] = dict(getattr(form, "cleaned_data", {}))
    if "start" in form.errors or "end" in form.errors:
        data.pop("start", None)
        data.pop("end", None)
    asked = period(data.get("start"), data.get("end"))
    return form, Query(
        by=cast(kpi.Dimension, data.get("by") or "unit"),
        start=asked[0],
        end=asked[1],
        unit=data.get("unit"),
        street=data.get("street"),
        category=data.get("category"),
        talent_only=bool(data.get("talent")),
    )


def _report(request: HttpRequest, q: Query) -> kpi.KpiReport:
    return kpi.kpis(
        request.user,
        by=q.by,
        start=q.start,
        end=q.end,
        unit=q.unit,
        street=q.street,
        category=q.category,
        talent_only=q.talent_only,
    )


def _definitions() -> list[dict[str, str]]:
    return [
        {
            "label": str(k.label),
            "numerator": str(kpi.COUNT_LABELS[k.numerator]),
            "denominator": str(kpi.COUNT_LABELS[k.denominator]),
        }
        for k in kpi.KPIS
    ]


@access(Perm.TICKET_VIEW)
def kpi_page(request: SignedInRequest) -> HttpResponse:
    form, q = _query(request)
    report = _report(request, q)
    return render(
        request,
        "tickets/kpi.html",
        {
            "form": form,
            "q": q,
            "report": report,
            "kpis": kpi.KPIS,
            "by_label": kpi.DIMENSION_LABELS[q.by],
            "definitions": _definitions(),
            "chart": kpi.chart_data(report),
            "query": request.GET.urlencode(),
        },
    )


# Headers as staff write them (Chinese), with the English ones beside.
_KEY_HEADERS = {
    "unit": "承办单位",
    "street": "街道",
    "community": "社区（村）",
    "category": "问题类别",
    "month": "月份",
}
_COUNT_HEADERS = {
    "dispatches": ("派单数", "dispatches"),
    "responded": ("已响应", "responded"),
    "responded_on_time": ("按时响应", "responded on time"),
    "returned": ("退单", "returned"),
    "handled": ("已办理", "handled"),
    "handled_on_time": ("按期办理", "handled on time"),
    "timed": ("时限已判定", "outcome on time known"),
    "overdue": ("超期", "overdue"),
    "rated": ("已评价", "rated"),
    "resolved": ("已解决", "resolved"),
    "satisfied": ("满意（含基本满意）", "satisfied"),
    "reopened": ("重办", "reopened"),
}
_RATE_HEADERS = {
    "response": ("响应率(%)", "response rate (%)"),
    "on_time": ("按期办结率(%)", "on-time rate (%)"),
    "resolution": ("解决率(%)", "resolution rate (%)"),
    "satisfaction": ("满意率(%)", "satisfaction rate (%)"),
    "return": ("退单率(%)", "return rate (%)"),
    "reopen": ("重办率(%)", "reopen rate (%)"),
    "overdue": ("超期率(%)", "overdue rate (%)"),
}


def export_columns(by: kpi.Dimension) -> list[Column]:
    return [
        Column("name", _KEY_HEADERS[by], by),
        *(Column(f, *_COUNT_HEADERS[f]) for f in kpi.COUNT_FIELDS),
        *(Column(k.code, *_RATE_HEADERS[k.code]) for k in kpi.KPIS),
    ]


def export_rows(report: kpi.KpiReport) -> list[list[Any]]:
    """The table's rows and its total; a rate with nothing to count is "—", not 0."""
    return [
        [
            r.label,
            *(getattr(r.counts, f) for f in kpi.COUNT_FIELDS),
            *(kpi.NO_VALUE if rate.percent is None else rate.percent for rate in r.rates),
        ]
        for r in [*report.rows, report.total]
    ]


@access(Perm.TICKET_VIEW)
def kpi_export(request: SignedInRequest) -> HttpResponse:
    _form, q = _query(request)
    report = _report(request, q)
    notes = [
        _("Dispatches from %(start)s to %(end)s, by the month each was dispatched in.")
        % {"start": f"{report.start:%Y-%m}", "end": f"{report.end:%Y-%m}"},
        *(f"{d['label']} = {d['numerator']} / {d['denominator']}" for d in _definitions()),
        _("A rate whose denominator is zero is shown as “—”."),
    ]
    content = write_workbook("kpi", export_columns(q.by), export_rows(report), notes=notes)
    return xlsx_response(content, f"ticket-kpi-{q.by}-{report.start:%Y%m}-{report.end:%Y%m}.xlsx")
