"""Policy pages: the catalogue with filters, a policy with its versions, a draft edited as YAML,
its simulation and publishing, and the policies for one talent or enterprise."""

from __future__ import annotations

from typing import Any

import yaml
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core.access import Perm, SignedInRequest, Viewer, access
from gridlight.core.errors import DomainError
from gridlight.core.uploads import download_response
from gridlight.core.views.common import paginate, query_without_page, submit
from gridlight.policies import services
from gridlight.policies.access import get_policy, get_version, require_manage
from gridlight.policies.forms import DraftForm, PolicyFilterForm, PolicyForm, PublishForm
from gridlight.policies.models import PolicyVersion, VersionStatus
from gridlight.policies.selectors import (
    policies_for,
    policies_list,
    source_file_of,
    version_in_force,
    versions,
)
from gridlight.policies.simulate import simulate
from gridlight.talent.access import get_enterprise, get_talent


def _can_manage(user: Viewer, path: str) -> bool:
    try:
        require_manage(user, path)
    except PermissionDenied:
        return False
    return True


@access(Perm.POLICY_VIEW)
def policy_list(request: SignedInRequest) -> HttpResponse:
    form = PolicyFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = policies_list(
        request.user,
        q=data.get("q", ""),
        subject_type=data.get("subject_type", ""),
        mode=data.get("mode", ""),
        state=data.get("state", ""),
    )
    return render(
        request,
        "policies/policy_list.html",
        {"form": form, "page": paginate(request, qs), "query": query_without_page(request)},
    )


@access(Perm.POLICY_VIEW)
def policy_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    policy = get_policy(request.user, pk)
    return render(
        request,
        "policies/policy_detail.html",
        {
            "policy": policy,
            "versions": versions(policy),
            "in_force": version_in_force(policy, timezone.localdate()),
            "can_manage": _can_manage(request.user, policy.region_path),
            "source_file": source_file_of(policy),
        },
    )


@access(Perm.POLICY_VIEW)
def policy_source(request: SignedInRequest, pk: int) -> HttpResponse:
    """The policy's issuing document, to whoever may see the policy (a 404 otherwise)."""
    found = source_file_of(get_policy(request.user, pk), with_data=True)
    if found is None:
        raise Http404
    return download_response(bytes(found.data), found.content_type, f"policy-{pk}-source")


@access(Perm.POLICY_MANAGE)
def policy_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    """A policy's catalogue entry, its lead department (牵头部门) among it."""
    policy = get_policy(request.user, pk)
    require_manage(request.user, policy.region_path)
    form = PolicyForm(
        request.POST or None,
        request.FILES or None,
        units=services.lead_unit_choices(policy.region_path),
        initial=PolicyForm.initial_for(policy),
    )
    done, status = submit(
        request,
        form,
        lambda d: services.policy_update(
            actor=request.user, policy=policy, version=d["version"], **form.values()
        ),
    )
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("policies:detail", pk=policy.pk)
    return render(
        request, "policies/policy_form.html", {"form": form, "policy": policy}, status=status
    )


@require_POST
@access(Perm.POLICY_MANAGE)
def draft_new(request: SignedInRequest, pk: int) -> HttpResponse:
    policy = get_policy(request.user, pk)
    draft = services.draft_create(actor=request.user, policy=policy)
    messages.success(request, _("New draft v%(n)s created.") % {"n": draft.number})
    return redirect("policies:version", pk=draft.pk)


def _dump(definition: Any) -> str:
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100)


@access(Perm.POLICY_VIEW)
def version_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """A version; a draft is edited here as YAML and saved by ``draft_update``."""
    version = get_version(request.user, pk)
    can_manage = _can_manage(request.user, version.policy.region_path)
    editable = version.status == VersionStatus.DRAFT and can_manage
    status = 200
    form = None
    if request.method == "POST":
        if not editable:
            require_manage(request.user, version.policy.region_path)
            raise DomainError(_("A published version cannot be changed; start a new draft."))
        form, status = _save(request, version)
        if status == 0:
            messages.success(request, _("Draft saved."))
            return redirect("policies:version", pk=version.pk)
    elif editable:
        form = DraftForm(
            initial={
                "definition": _dump(version.definition),
                "note": version.note,
                "edit_version": version.edit_version,
            }
        )
    return render(
        request,
        "policies/version_detail.html",
        {
            "version": version,
            "policy": version.policy,
            "form": form,
            "text": _dump(version.definition),
            "problems": services.check_definition(version.policy, version.definition)
            if editable
            else [],
            "publish_form": PublishForm(initial={"effective_from": timezone.localdate()}),
            "editable": editable,
        },
        status=status,
    )


def _save(request: SignedInRequest, version: PolicyVersion) -> tuple[DraftForm, int]:
    """Save the posted YAML: status 0 when saved, else the 4xx with the problem on the form."""
    form = DraftForm(request.POST)
    if not form.is_valid():
        return form, 400
    try:
        definition = yaml.safe_load(form.cleaned_data["definition"])
        services.draft_update(
            actor=request.user,
            draft=version,
            edit_version=form.cleaned_data["edit_version"],
            definition=definition,
            note=form.cleaned_data["note"],
        )
    except yaml.YAMLError as exc:
        form.add_error("definition", _("Not valid YAML: %(e)s") % {"e": exc})
        return form, 400
    except DomainError as exc:
        form.add_error("definition", exc.message)
        return form, exc.status
    return form, 0


@access(Perm.POLICY_MANAGE)
def version_simulate(request: SignedInRequest, pk: int) -> HttpResponse:
    version = get_version(request.user, pk)
    require_manage(request.user, version.policy.region_path)
    try:
        result = simulate(request.user, version, timezone.localdate())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("policies:version", pk=version.pk)
    return render(
        request,
        "policies/simulate.html",
        {"version": version, "policy": version.policy, "result": result},
    )


@require_POST
@access(Perm.POLICY_MANAGE)
def version_publish(request: SignedInRequest, pk: int) -> HttpResponse:
    version = get_version(request.user, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        require_manage(request.user, version.policy.region_path)
        messages.error(request, _("Choose the day the version comes into force."))
        return redirect("policies:version", pk=version.pk)
    try:
        services.publish(
            actor=request.user,
            draft=version,
            effective_from=form.cleaned_data["effective_from"],
            effective_to=form.cleaned_data["effective_to"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("policies:version", pk=version.pk)
    messages.success(request, _("Published."))
    return redirect("policies:detail", pk=version.policy_id)


def _for_subject(request: SignedInRequest, subject_type: str, obj: Any) -> HttpResponse:
    from gridlight.policies.tracking import subject_matches

    found = policies_for(subject_type, obj, timezone.localdate())
    tracked = subject_matches(subject_type, obj.pk)
    return render(
        request,
        "policies/for_subject.html",
        {"subject": obj, "found": found, "tracked": tracked},
    )


@access()
def talent_policies(request: SignedInRequest, pk: int) -> HttpResponse:
    """The policies for one talent (its commissioner, its street, or the talent itself)."""
    return _for_subject(request, "talent", get_talent(request.user, pk))


@access()
def enterprise_policies(request: SignedInRequest, pk: int) -> HttpResponse:
    return _for_subject(request, "enterprise", get_enterprise(request.user, pk))
