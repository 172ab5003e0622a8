"""Pages of matching and precise push: a policy's matches and pushes (filters, pages), the
reminder worklist, the push KPIs, and "policies for me" in the portal of talents and
enterprises."""

from __future__ import annotations

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, access
from gridlight.core.models import User
from gridlight.core.spreadsheets import Column
from gridlight.core.views.common import paginate, query_without_page
from gridlight.policies import kpi, matching, tracking
from gridlight.policies.access import get_policy
from gridlight.policies.definition import rank_missing
from gridlight.policies.forms import MatchFilterForm
from gridlight.rules.subjects import get_subject
from gridlight.talent.models import Talent
from gridlight.talent.portal import portal_record

KPI_PAGE = 50  # rows of the push KPI table a page


@access(Perm.POLICY_VIEW)
def policy_matches(request: SignedInRequest, pk: int) -> HttpResponse:
    policy = get_policy(request.user, pk)
    form = MatchFilterForm(request.GET or None, streets=tracking.street_choices(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    f = tracking.MatchFilter(
        state=data.get("state", ""),
        status=data.get("status", ""),
        tracking=data.get("tracking", ""),
        street=data.get("street", ""),
        new=bool(data.get("new")),
    )
    qs = tracking.policy_matches(request.user, policy, f)
    return render(
        request,
        "policies/matches.html",
        {
            "policy": policy,
            "form": form,
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "kpis": tracking.push_kpis(request.user, policy=policy)[:24],
        },
    )


@access(Perm.POLICY_VIEW)
def reminders(request: SignedInRequest) -> HttpResponse:
    qs = tracking.reminders(request.user)
    return render(
        request,
        "policies/reminders.html",
        {
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "workdays": tracking.reminder_workdays(),
        },
    )


@access(Perm.POLICY_VIEW)
def push_kpi(request: SignedInRequest) -> HttpResponse:
    industry = request.GET.get("by") == "industry"
    rows = tracking.push_kpis(request.user, industry=industry)
    # The chart and the total are over every row; the table shows a page of them (a district
    # has a row per policy, street and month: thousands in a year).
    return render(
        request,
        "policies/push_kpi.html",
        {
            "page": paginate(request, rows, KPI_PAGE),
            "query": query_without_page(request),
            "total": kpi.push_total(rows),
            "chart": kpi.push_chart_data(rows),
            "industry": industry,
        },
    )


@exports.register("policies.push_kpi")
def _push_kpi_export(user: User, query: QueryDict) -> exports.Export:
    """The push KPI page's rows and total, as the page shows them."""
    industry = query.get("by") == "industry"
    rows = tracking.push_kpis(user, industry=industry)
    total = kpi.push_total(rows)
    by = [[r.industry] if industry else [] for r in rows]
    lines = [
        [r.month, r.policy, r.street, *i, r.pushes, r.opened, r.reach, r.applied]
        for r, i in zip(rows, by, strict=True)
    ]
    blank = [""] if industry else []
    lines.append(
        [total.month, "", "", *blank, total.pushes, total.opened, total.reach, total.applied]
    )
    return exports.Export(
        sheet="pushes",
        columns=[
            Column("month", "推送月份", "month"),
            Column("policy", "政策", "policy"),
            Column("street", "街道", "street"),
            *([Column("industry", "行业", "industry")] if industry else []),
            Column("pushes", "推送数", "pushes"),
            Column("opened", "已查看", "opened"),
            Column("reach", "触达率(%)", "reach rate (%)"),
            Column("applied", "已申报", "applied"),
        ],
        rows=lines,
        count=len(lines),
        filename=f"policy-pushes-{timezone.localdate():%Y%m%d}.xlsx",
    )


@access(Perm.POLICY_VIEW)
def push_kpi_export(request: SignedInRequest) -> HttpResponse:
    return exports.respond(request, "policies.push_kpi")


@access()
def my_policies(request: SignedInRequest) -> HttpResponse:
    """ "Policies for me": the signed-in talent's or enterprise's matches and what it
    receives; visiting marks the pushed ones opened."""
    record = portal_record(request.user)
    if record is None:
        raise Http404
    subject_type = "talent" if isinstance(record, Talent) else "enterprise"
    matching.mark_opened(subject_type, record.pk)
    mine = tracking.my_policies(subject_type, record.pk)
    labels = {n: str(s.label) for n, s in get_subject(subject_type).fields().items()}
    return render(
        request,
        "policies/my_policies.html",
        {
            "record": record,
            "matched": [m for m in mine if m.state == "met"],
            "possible": [m for m in mine if m.state == "unknown"],
            "grants": tracking.my_grants(subject_type, record.pk),
            # The facts to add first: how many more policies each would decide.
            "missing": [(fact, labels.get(fact.field, fact.field)) for fact in rank_missing(mine)],
        },
    )
