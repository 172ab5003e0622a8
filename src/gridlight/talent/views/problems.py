"""Staff pages of talent problems: the commissioners' list, raising a problem for a talent or
an enterprise, and the "problems solved" KPI with its chart and Excel export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, Viewer, access
from gridlight.core.models import User
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import Column
from gridlight.core.views.common import paginate, query_without_page, submit
from gridlight.talent import problems
from gridlight.talent.access import enterprises_visible, get_enterprise, get_talent
from gridlight.talent.models import Enterprise, Talent
from gridlight.talent.portal_forms import ProblemFilterForm, RaiseForm, SolvedFilterForm


def _filter_form(
    form_class: type[ProblemFilterForm], user: Viewer, data: QueryDict, **kwargs: Any
) -> Any:
    return form_class(data or None, commissioners=problems.commissioners_in(user), **kwargs)


def _without(request: SignedInRequest, *keys: str) -> str:
    params = request.GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()


def _chosen_enterprise(user: Viewer, pk: int | None) -> Enterprise | None:
    """The enterprise the list is narrowed to, to name it above the list (None: all)."""
    return enterprises_visible(user).filter(pk=pk).first() if pk is not None else None


@access(Perm.TALENT_VIEW)
def problem_list(request: SignedInRequest) -> HttpResponse:
    form = _filter_form(ProblemFilterForm, request.user, request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    filters = problems.ProblemFilters(
        category=data.get("category") or "",
        status=data.get("status") or "",
        commissioner=data.get("commissioner"),
        enterprise=data.get("enterprise"),
        month=data.get("month"),
        q=data.get("q") or "",
    )
    page = paginate(request, problems.problem_list(request.user, filters))
    return render(
        request,
        "talent/problems/list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "enterprise": _chosen_enterprise(request.user, filters.enterprise),
            "query_without_enterprise": _without(request, "enterprise", "page"),
        },
    )


def _record(request: SignedInRequest) -> Talent | Enterprise:
    """The talent or enterprise named in the query string, if the user may see it (else 404)."""
    talent = parse_id(request.GET.get("talent"))
    if talent is not None:
        return get_talent(request.user, talent)
    enterprise = parse_id(request.GET.get("enterprise"))
    if enterprise is not None:
        return get_enterprise(request.user, enterprise)
    raise Http404


@access(Perm.TALENT_VIEW)
def problem_raise(request: SignedInRequest) -> HttpResponse:
    """A commissioner (or the district) raises a problem for a talent or an enterprise
    (``?talent=<id>`` or ``?enterprise=<id>``); the ticket's page follows."""
    record = _record(request)
    form = RaiseForm(request.POST or None)
    is_talent = isinstance(record, Talent)
    problem, status = submit(
        request,
        form,
        lambda d: problems.raise_problem(
            actor=request.user,
            talent=record if is_talent else None,  # type: ignore[arg-type]
            enterprise=None if is_talent else record,  # type: ignore[arg-type]
            category=d["category"],
            title=d["title"],
            description=d["description"],
        ),
    )
    if problem is not None:
        return redirect("tickets:detail", problem.ticket_id)
    return render(
        request,
        "talent/problems/raise.html",
        {"form": form, "record": record, "is_talent": is_talent},
        status=status,
    )


# --- problems solved ----------------------------------------------------------------------------


@dataclass
class SolvedQuery:
    by: problems.Dimension
    start: date
    end: date
    category: str
    commissioner: int | None
    enterprise: int | None


def _solved_query(user: Viewer, data: QueryDict) -> tuple[SolvedFilterForm, SolvedQuery]:
    """The form as filled in and the report it asks for: valid fields are used, the others
    fall back to their defaults (the last twelve months, rows by commissioner)."""
    last = timezone.localdate().replace(day=1)
    form = _filter_form(
        SolvedFilterForm,
        user,
        data,
        initial={"start": problems.shift_month(last, -11), "end": last, "by": "commissioner"},
    )
    form.is_valid()
    d: dict[str, Any] = dict(getattr(form, "cleaned_data", {}))
    end = (d.get("end") or timezone.localdate()).replace(day=1)
    start = (d.get("start") or problems.shift_month(end, -11)).replace(day=1)
    if start > end or len(problems.months_between(start, end)) > problems.MAX_MONTHS:
        form.add_error(
            None,
            _("Choose a period of at most %(n)s months that ends after it starts.")
            % {"n": problems.MAX_MONTHS},
        )
        end = timezone.localdate().replace(day=1)
        start = problems.shift_month(end, -11)
    return form, SolvedQuery(
        by=cast(problems.Dimension, d.get("by") or "commissioner"),
        start=start,
        end=end,
        category=d.get("category") or "",
        commissioner=d.get("commissioner"),
        enterprise=d.get("enterprise"),
    )


def solved(user: Viewer, data: QueryDict) -> tuple[SolvedFilterForm, problems.SolvedReport]:
    form, q = _solved_query(user, data)
    report = problems.solved_report(
        user,
        by=q.by,
        start=q.start,
        end=q.end,
        category=q.category,
        commissioner=q.commissioner,
        enterprise=q.enterprise,
    )
    return form, report


@access(Perm.TALENT_VIEW)
def solved_page(request: SignedInRequest) -> HttpResponse:
    form, report = solved(request.user, request.GET)
    return render(
        request,
        "talent/problems/solved.html",
        {
            "form": form,
            "report": report,
            "by_label": problems.DIMENSIONS[report.by],
            "chart": problems.chart_data(report),
            "query": request.GET.urlencode(),
            "enterprise": _chosen_enterprise(
                request.user, getattr(form, "cleaned_data", {}).get("enterprise")
            ),
            "query_without_enterprise": _without(request, "enterprise", "page"),
        },
    )


_KEY_HEADERS = {
    "commissioner": ("人才专员", "commissioner"),
    "category": ("问题类别", "category"),
    "enterprise": ("企业", "enterprise"),
    "month": ("月份", "month"),
}


@exports.register("talent.problems_solved")
def _solved_export(user: User, query: QueryDict) -> exports.Export:
    _form, report = solved(user, query)
    rows = [[r.label, r.solved, r.raised] for r in [*report.rows, report.total]]
    return exports.Export(
        sheet="solved",
        columns=[
            Column("name", *_KEY_HEADERS[report.by]),
            Column("solved", "已解决问题", "problems solved"),
            Column("raised", "新提出问题", "problems raised"),
        ],
        rows=rows,
        count=len(rows),
        filename=f"talent-problems-solved-{report.by}-{report.start:%Y%m}-{report.end:%Y%m}.xlsx",
        notes=[
            _("Problems solved: tickets closed as resolved, by the month closed, %(a)s to %(b)s.")
            % {"a": f"{report.start:%Y-%m}", "b": f"{report.end:%Y-%m}"},
            _("Problems raised: by the month raised."),
        ],
    )


@access(Perm.TALENT_VIEW)
def solved_export(request: SignedInRequest) -> HttpResponse:
    return exports.respond(request, "talent.problems_solved")
