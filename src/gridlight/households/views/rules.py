"""The traffic-light rules: versions, editing a draft, simulating it and publishing it."""

from __future__ import annotations

import yaml
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core import jobs
from gridlight.core.access import Perm, SignedInRequest, access
from gridlight.core.errors import DomainError
from gridlight.households import simulate
from gridlight.households.classify import RULE_SET, require_rules_scope
from gridlight.households.forms import PublishForm, RuleDraftForm, RuleEditorForm
from gridlight.households.views import rules_editor
from gridlight.rules import services as rule_services
from gridlight.rules.models import RuleSet, RuleSetVersion, VersionStatus
from gridlight.rules.selectors import version_in_force, versions


def _rule_set() -> RuleSet:
    rule_set = RuleSet.objects.filter(code=RULE_SET).first()
    if rule_set is None:
        raise Http404
    return rule_set


def _version(pk: int) -> RuleSetVersion:
    version = RuleSetVersion.objects.filter(rule_set__code=RULE_SET, pk=pk).first()
    if version is None:
        raise Http404
    return version


@access(Perm.HOUSEHOLD_VIEW)
def rules_index(request: SignedInRequest) -> HttpResponse:
    rule_set = _rule_set()
    return render(
        request,
        "households/rules_index.html",
        {
            "rule_set": rule_set,
            "versions": versions(rule_set),
            "in_force": version_in_force(RULE_SET, timezone.localdate()),
            "can_manage": _can_manage(request),
        },
    )


def _can_manage(request: HttpRequest) -> bool:
    try:
        require_rules_scope(request.user)
    except PermissionDenied:
        return False
    return True


@access(Perm.HOUSEHOLD_VIEW)
def rules_version(request: SignedInRequest, pk: int) -> HttpResponse:
    """A version; a draft is edited here, in the form editor (``mode=form``) or as YAML, both
    saved by ``draft_update``."""
    version = _version(pk)
    editable = version.status == VersionStatus.DRAFT and _can_manage(request)
    if request.method == "POST" and not editable:
        require_rules_scope(request.user)
        raise DomainError(_("A published version cannot be changed; start a new draft."))
    form = editor = editor_form = None
    status = 200
    if editable:
        editor = rules_editor.load(version)
        editor_form = RuleEditorForm(
            initial={"note": version.note, "edit_version": version.edit_version}
        )
        by_form = request.method == "POST" and request.POST.get("mode") == "form"
        form, status = _yaml_form(request, version, bound=not by_form)
        if by_form:
            editor, editor_form, status = rules_editor.save(request, version)
        if request.method == "POST" and status == 0:
            messages.success(request, _("Draft saved."))
            return redirect("households:rules_version", pk=version.pk)
        status = status or 200
    problems = rule_services.check_definition(version.rule_set, version.definition)
    return render(
        request,
        "households/rules_version.html",
        {
            "version": version,
            "form": form,
            "problems": problems,
            "publish_form": PublishForm(initial={"effective_from": timezone.localdate()}),
            "can_manage": _can_manage(request),
            "text": yaml.safe_dump(
                version.definition, allow_unicode=True, sort_keys=False, width=100
            ),
        }
        | rules_editor.editor_context(version, editor, editor_form),
        status=status,
    )


def _yaml_form(
    request: SignedInRequest, version: RuleSetVersion, *, bound: bool
) -> tuple[RuleDraftForm, int]:
    """The YAML (exchange format) editor of a draft; on POST, saved by ``draft_update``:
    status 0 when saved, else the 4xx status with the problem on the form."""
    text = yaml.safe_dump(version.definition, allow_unicode=True, sort_keys=False, width=100)
    form = RuleDraftForm(
        request.POST if bound and request.method == "POST" else None,
        initial={"definition": text, "note": version.note, "edit_version": version.edit_version},
    )
    if not form.is_bound:
        return form, 200
    if not form.is_valid():
        return form, 400
    try:
        definition = yaml.safe_load(form.cleaned_data["definition"])
        rule_services.draft_update(
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


@require_POST
@access(Perm.RULES_MANAGE)
def rules_draft(request: SignedInRequest) -> HttpResponse:
    require_rules_scope(request.user)
    draft = rule_services.draft_create(actor=request.user, rule_set=_rule_set())
    messages.success(request, _("New draft v%(n)s created.") % {"n": draft.number})
    return redirect("households:rules_version", pk=draft.pk)


@access(Perm.RULES_MANAGE)
def rules_simulate(request: SignedInRequest, pk: int) -> HttpResponse:
    """A version's preview: POST starts one (a background job), GET shows the latest, its
    progress while it runs (htmx polls the part that changes) and then what would change."""
    require_rules_scope(request.user)
    version = _version(pk)
    if request.method == "POST":
        try:
            simulate.start_preview(request.user, version)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("households:rules_version", pk=version.pk)
        return redirect("households:rules_simulate", pk=version.pk)
    context = {"version": version, "preview": simulate.latest_preview(request.user, version)}
    if request.headers.get("HX-Request"):
        return render(request, "households/_simulation.html", context)
    return render(request, "households/rules_simulate.html", context)


@require_POST
@access(Perm.RULES_MANAGE)
def rules_publish(request: SignedInRequest, pk: int) -> HttpResponse:
    require_rules_scope(request.user)
    version = _version(pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the day the version comes into force."))
        return redirect("households:rules_version", pk=version.pk)
    try:
        rule_services.publish(
            actor=request.user, draft=version, effective_from=form.cleaned_data["effective_from"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("households:rules_version", pk=version.pk)
    messages.success(request, _("Published. Recompute the lights to apply it now."))
    return redirect("households:rules_index")


@require_POST
@access(Perm.RULES_MANAGE)
def rules_recompute(request: SignedInRequest) -> HttpResponse:
    """Recompute every light now, as a background job whose page shows its progress and
    then what changed."""
    require_rules_scope(request.user)
    job = jobs.start(
        "households.recompute", actor=request.user, params={"next": reverse("households:dashboard")}
    )
    return redirect("core:job_detail", pk=job.pk)
