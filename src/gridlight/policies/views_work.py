"""Staff pages of applications and grants: the review queue (filters, pagination), an
application with its facts, materials, history and the steps it allows; the grant console with
batch re-confirmation (二次确认); payment batches with their Excel export, the returned sheet's
import and marking paid; the KPIs with a chart and Excel export."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, Viewer, access
from gridlight.core.errors import DomainError, ImportRejected
from gridlight.core.forms import Form, date_input
from gridlight.core.models import User
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import Column
from gridlight.core.views.common import paginate, query_without_page
from gridlight.policies import applications as apps
from gridlight.policies import grants, kpi, steps
from gridlight.policies.access import (
    applications_reviewable,
    batches_visible,
    get_application,
    get_batch,
    grants_workable,
)
from gridlight.policies.models import ApplicationStatus, GrantStatus
from gridlight.policies.templatetags.policies import benefit, yuan


class QueueFilter(Form):
    q = forms.CharField(label=gettext_lazy("Applicant"), max_length=60, required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("Open")),
            ("all", gettext_lazy("All")),
            *ApplicationStatus.choices,
        ],
    )
    policy = forms.IntegerField(label=gettext_lazy("Policy"), required=False, min_value=1)


@access(Perm.POLICY_REVIEW)
def queue(request: SignedInRequest) -> HttpResponse:
    form = QueueFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = applications_reviewable(request.user).select_related("policy", "policy_version", "street")
    status = data.get("status") or ""
    if not status:
        qs = qs.filter(
            status__in=[
                ApplicationStatus.SUBMITTED,
                ApplicationStatus.ACCEPTED,
                ApplicationStatus.FIRST_PASSED,
            ]
        )
    elif status != "all":
        qs = qs.filter(status=status)
    if data.get("q"):
        qs = qs.filter(subject_name__icontains=data["q"])
    if data.get("policy"):
        qs = qs.filter(policy_id=data["policy"])
    return render(
        request,
        "policies/work/queue.html",
        {
            "form": form,
            "page": paginate(request, qs.order_by("due_on", "pk")),
            "query": query_without_page(request),
            "today": timezone.localdate(),
        },
    )


@access(Perm.POLICY_REVIEW)
def application_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    app = get_application(request.user, pk)
    return render(
        request,
        "policies/work/application.html",
        {
            "app": app,
            "materials": apps.current_materials(app),
            "history": app.steps.select_related("actor"),
            "steps": steps.available(app),
            "inputs": steps.INPUTS,
            "facts": _facts(app),
        },
    )


def _facts(app: Any) -> list[tuple[str, Any]]:
    from gridlight.rules.subjects import get_subject

    fields = get_subject(app.subject_type).fields()
    return [
        (str(fields[name].label) if name in fields else name, value)
        for name, value in app.facts.items()
        if name in fields and value not in (None, "", [])
    ]


@require_POST
@access(Perm.POLICY_REVIEW)
def application_step(request: SignedInRequest, pk: int, step: str) -> HttpResponse:
    app = get_application(request.user, pk)
    try:
        version = int(request.POST.get("edit_version", ""))
        steps.take(
            step, actor=request.user, application=app, edit_version=version, data=request.POST
        )
    except ValueError:
        messages.error(request, _("Reload the page and try again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("policies:application", pk=app.pk)


@access(Perm.POLICY_REVIEW)
def application_material(request: SignedInRequest, pk: int, mid: int) -> HttpResponse:
    from django.http import Http404

    app = get_application(request.user, pk)
    material = app.materials.filter(pk=parse_id(mid) or 0).first()
    if material is None:
        raise Http404
    response = HttpResponse(bytes(material.data), content_type=material.content_type)
    response["Content-Disposition"] = f'attachment; filename="material-{material.pk}"'
    return response


# --- grants ------------------------------------------------------------------------------------


@access(Perm.POLICY_GRANT)
def grant_console(request: SignedInRequest) -> HttpResponse:
    status = request.GET.get("status") or GrantStatus.PENDING
    if status not in GrantStatus.values:
        status = GrantStatus.PENDING
    qs = (
        grants_workable(request.user)
        .filter(status=status)
        .select_related("policy", "policy_version", "street")
    )
    policies = (
        grants_workable(request.user)
        .filter(status=GrantStatus.CONFIRMED, amount_fen__gt=0)
        .values_list("policy_id", "policy__title")
        .distinct()
        .order_by("policy_id")
    )
    return render(
        request,
        "policies/work/grants.html",
        {
            "page": paginate(request, qs.order_by("pk")),
            "query": query_without_page(request),
            "status": status,
            "statuses": GrantStatus.choices,
            "batchable": list(policies),
        },
    )


@require_POST
@access(Perm.POLICY_GRANT)
def grant_reconfirm(request: SignedInRequest) -> HttpResponse:
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("grant")) if i]
    try:
        n = grants.reconfirm(
            actor=request.user,
            grant_ids=ids,
            approve=request.POST.get("decision") != "cancel",
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)s grants done.") % {"n": n})
    return redirect("policies:grants")


@require_POST
@access(Perm.POLICY_GRANT)
def batch_create(request: SignedInRequest, pk: int) -> HttpResponse:
    from gridlight.policies.access import get_policy

    policy = get_policy(request.user, pk)
    try:
        batch = grants.create_batch(actor=request.user, policy=policy)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("policies:grants")
    return redirect("policies:batch", pk=batch.pk)


@access(Perm.POLICY_GRANT)
def batch_list(request: SignedInRequest) -> HttpResponse:
    qs = batches_visible(request.user).select_related("policy")
    return render(
        request,
        "policies/work/batches.html",
        {"page": paginate(request, qs), "query": query_without_page(request)},
    )


@access(Perm.POLICY_GRANT)
def batch_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    batch = get_batch(request.user, pk)
    errors = request.session.pop(f"batch-errors-{batch.pk}", []) if request.method == "GET" else []
    return render(
        request,
        "policies/work/batch.html",
        {
            "batch": batch,
            "grants": batch.grants.select_related("street").order_by("pk"),
            "errors": errors,
        },
    )


@require_POST
@access(Perm.POLICY_GRANT)
def batch_paid(request: SignedInRequest, pk: int) -> HttpResponse:
    batch = get_batch(request.user, pk)
    try:
        version = int(request.POST.get("version", ""))
        upload = request.FILES.get("sheet")
        if upload is not None:
            grants.import_paid(
                actor=request.user,
                batch=batch,
                version=version,
                data=upload.read(5 * 1024 * 1024 + 1),
            )
        else:
            grants.mark_paid(actor=request.user, batch=batch, version=version)
    except ValueError:
        messages.error(request, _("Reload the page and try again."))
    except ImportRejected as exc:
        messages.error(request, _("Nothing was marked paid: the sheet has errors."))
        request.session[f"batch-errors-{batch.pk}"] = [
            [e.row, e.column, e.message] for e in exc.errors[:100]
        ]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The batch is marked paid."))
    return redirect("policies:batch", pk=batch.pk)


@exports.register("policies.payment_batch")
def _batch_export(user: User, query: QueryDict) -> exports.Export:
    batch = get_batch(user, query.get("batch"))
    rows = (
        [g.pk, g.subject_name, g.street.name, g.period, g.amount_fen, yuan(g.amount_fen), ""]
        for g in batch.grants.select_related("street").order_by("pk").iterator()
    )
    return exports.Export(
        sheet=grants.PAY_SHEET,
        columns=grants.PAY_COLUMNS,
        rows=rows,
        count=batch.count,
        filename=f"payment-{batch.policy.code}-{batch.number}.xlsx",
        notes=[
            _("Payment batch %(n)s of %(p)s: %(c)s grants, %(y)s yuan.")
            % {
                "n": batch.number,
                "p": batch.policy.title,
                "c": batch.count,
                "y": yuan(batch.total_fen),
            },
            _(
                "Fill in 已支付 with 是 for each grant paid and return the sheet; "
                "nothing else may change."
            ),
        ],
    )


@access(Perm.POLICY_GRANT)
def batch_export(request: SignedInRequest, pk: int) -> HttpResponse:
    batch = get_batch(request.user, pk)
    query = QueryDict(mutable=True)
    query["batch"] = str(batch.pk)
    request.GET = query  # type: ignore[assignment]  # the builder reads the batch from the query
    return exports.respond(request, "policies.payment_batch")


# --- KPIs ---------------------------------------------------------------------------------------


class KpiFilter(Form):
    by = forms.ChoiceField(
        label=gettext_lazy("Rows"), choices=list(kpi.DIMENSIONS.items()), required=False
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=date_input())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=date_input())
    policy = forms.IntegerField(label=gettext_lazy("Policy"), required=False, min_value=1)


def _kpi(user: Viewer, data: QueryDict) -> tuple[KpiFilter, kpi.Report]:
    form = KpiFilter(data or None)
    d: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    end = d.get("end") or today
    start = d.get("start") or date(end.year, 1, 1)
    if start > end:
        start, end = end, start
    rep = kpi.report(
        user,
        by=cast(kpi.Dimension, d.get("by") or "policy"),
        start=start,
        end=end,
        policy=d.get("policy"),
    )
    return form, rep


@access(Perm.POLICY_VIEW)
def kpi_page(request: SignedInRequest) -> HttpResponse:
    form, rep = _kpi(request.user, request.GET)
    return render(
        request,
        "policies/work/kpi.html",
        {
            "form": form,
            "report": rep,
            "chart": kpi.chart_data(rep),
            "query": request.GET.urlencode(),
        },
    )


@exports.register("policies.kpi")
def _kpi_export(user: User, query: QueryDict) -> exports.Export:
    _form, rep = _kpi(user, query)
    rows = [
        [
            r.label,
            r.applications,
            r.matched,
            r.rate,
            r.decided,
            r.approved,
            r.approval_days,
            r.grants,
            benefit(r.granted_fen, r) if r.in_kind else r.granted_fen / 100,
        ]
        for r in [*rep.rows, rep.total]
    ]
    return exports.Export(
        sheet="kpi",
        columns=[
            Column("name", str(kpi.DIMENSIONS[rep.by]), rep.by),
            Column("applications", "申报数", "applications"),
            Column("matched", "匹配对象数", "matched"),
            Column("rate", "申报率(%)", "application rate (%)"),
            Column("decided", "办结数", "decided"),
            Column("approved", "批准数", "approved"),
            Column("days", "平均审批工作日", "approval time (working days)"),
            Column("grants", "兑现笔数", "grants"),
            Column("granted", "兑现金额(元)", "granted (yuan)"),
        ],
        rows=rows,
        count=len(rows),
        filename=f"policy-kpi-{rep.by}-{rep.start:%Y%m%d}-{rep.end:%Y%m%d}.xlsx",
        notes=[_("From %(a)s to %(b)s.") % {"a": rep.start, "b": rep.end}],
    )


@access(Perm.POLICY_VIEW)
def kpi_export(request: SignedInRequest) -> HttpResponse:
    return exports.respond(request, "policies.kpi")
