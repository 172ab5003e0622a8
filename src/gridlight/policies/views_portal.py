"""The applicant's pages in the talent portal (/me/talent/policies/, phone first): my
applications and the grants offered to me; applying for a policy with its materials checklist,
pre-filled from my profile; following an application step by step, correcting and
resubmitting it, withdrawing it; confirming a grant without application with one click."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core.access import SignedInRequest, access
from gridlight.core.errors import DomainError
from gridlight.core.uploads import MAX_BYTES, Upload
from gridlight.policies import applications as apps
from gridlight.policies import grants
from gridlight.policies.access import get_own_application, policies_open_to, subject_q
from gridlight.policies.models import Application, ApplicationStatus, Grant, Mode, Policy
from gridlight.talent.models import Talent
from gridlight.talent.portal import portal_record


def _record(request: SignedInRequest) -> apps.Subject:
    record = portal_record(request.user)
    if record is None:
        raise Http404
    return record


@access()
def mine(request: SignedInRequest) -> HttpResponse:
    from gridlight.policies.models import PolicyVersion
    from gridlight.policies.selectors import in_force

    record = _record(request)
    subject_type = "talent" if isinstance(record, Talent) else "enterprise"
    open_for = (
        policies_open_to(record.region_path)
        .filter(
            mode=Mode.APPLY,
            subject_type=subject_type,
            pk__in=PolicyVersion.objects.filter(in_force(timezone.localdate())).values("policy_id"),
        )
        .order_by("code")
    )
    return render(
        request,
        "policies/portal/mine.html",
        {
            "applications": Application.objects.filter(subject_q(request.user)).select_related(
                "policy"
            )[:50],
            "offers": grants.offers_for(request.user),
            "grants": Grant.objects.filter(subject_q(request.user)).select_related(
                "policy", "policy_version"
            )[:50],
            "open_for": open_for,
        },
    )


def _uploads(request: SignedInRequest, policy: Policy) -> dict[str, Upload]:
    out = {}
    for i, material in enumerate(policy.materials or []):
        f = request.FILES.get(f"material_{i}")
        if f is not None:
            out[material] = Upload(f.name or "", f.read(MAX_BYTES + 1))
    return out


@access()
def apply(request: SignedInRequest, pk: int) -> HttpResponse:
    record = _record(request)
    policy = (
        policies_open_to(record.region_path)
        .filter(
            pk=pk,
            mode=Mode.APPLY,
            subject_type="talent" if isinstance(record, Talent) else "enterprise",
        )
        .first()
    )
    if policy is None:
        raise Http404
    status = 200
    error = ""
    if request.method == "POST":
        try:
            app = apps.submit(
                actor=request.user,
                policy=policy,
                statement=request.POST.get("statement", ""),
                uploads=_uploads(request, policy),
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("Your application was submitted."))
            return redirect("policy_portal:application", pk=app.pk)
    try:
        found = apps.assess(policy, record, timezone.localdate())
    except DomainError as exc:
        found, error = None, error or exc.message
    return render(
        request,
        "policies/portal/apply.html",
        {
            "policy": policy,
            "record": record,
            "found": found,
            "materials": list(enumerate(policy.materials or [])),
            "error": error,
            "statement": request.POST.get("statement", ""),
        },
        status=status,
    )


@access()
def application(request: SignedInRequest, pk: int) -> HttpResponse:
    app = get_own_application(request.user, pk)
    return render(
        request,
        "policies/portal/application.html",
        {
            "app": app,
            "history": app.steps.all(),
            "materials": apps.current_materials(app),
            "checklist": list(enumerate(app.policy.materials or [])),
            "returned": app.status == ApplicationStatus.RETURNED,
            "open": app.status
            in (
                ApplicationStatus.SUBMITTED,
                ApplicationStatus.ACCEPTED,
                ApplicationStatus.RETURNED,
            ),
        },
    )


def _version(request: SignedInRequest) -> int:
    try:
        return int(request.POST.get("edit_version", ""))
    except ValueError as exc:
        raise DomainError(_("Reload the page and try again.")) from exc


@require_POST
@access()
def resubmit(request: SignedInRequest, pk: int) -> HttpResponse:
    app = get_own_application(request.user, pk)
    try:
        apps.resubmit(
            actor=request.user,
            application=app,
            edit_version=_version(request),
            statement=request.POST.get("statement") or None,
            uploads=_uploads(request, app.policy),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your application was resubmitted."))
    return redirect("policy_portal:application", pk=app.pk)


@require_POST
@access()
def withdraw(request: SignedInRequest, pk: int) -> HttpResponse:
    app = get_own_application(request.user, pk)
    try:
        apps.withdraw(actor=request.user, application=app, edit_version=_version(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect("policy_portal:application", pk=app.pk)


@require_POST
@access()
def confirm(request: SignedInRequest, pk: int) -> HttpResponse:
    _record(request)
    try:
        grants.confirm(actor=request.user, match_id=pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Confirmed. The department checks it once more, then it is paid.")
        )
    return redirect("policy_portal:mine")
