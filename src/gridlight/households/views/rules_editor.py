"""The form editor of a traffic-light draft: what the page needs to show it, saving it through
the rules services (the same draft_update the YAML goes through), and the rows htmx adds."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from gridlight.core.access import Perm, SignedInRequest, access
from gridlight.core.errors import DomainError
from gridlight.households.classify import RULE_SET, require_rules_scope
from gridlight.households.forms import RuleEditorForm
from gridlight.households.models import Light
from gridlight.rules import editor as ed
from gridlight.rules import services as rule_services
from gridlight.rules.conditions import ENTRIES
from gridlight.rules.models import RuleSetVersion, VersionStatus
from gridlight.rules.subjects import get_subject


def choices(version: RuleSetVersion, editor: ed.Editor | None = None) -> dict[str, Any]:
    """The lists the rows pick from: condition kinds (with their labels), the subject's
    attributes and graded attributes, the outcomes and the rule codes."""
    subject = get_subject(version.rule_set.subject)
    found = _choices(version, editor, subject)
    found["rule_codes"] = [code for code, _label in found["rules"]]
    return found


def _choices(version: RuleSetVersion, editor: ed.Editor | None, subject: Any) -> dict[str, Any]:
    outcomes = editor.outcomes if editor else [light.value for light in Light]
    tags = subject.tags()
    return {
        "leaves": [(k, str(ENTRIES[k].label)) for k in ed.LEAVES],
        "groups": [(k, str(ENTRIES[k].label)) for k in ed.GROUPS],
        "numbers": [k for k, e in ENTRIES.items() if e.argument == "number"],
        "bounds": {k: (e.low, e.high) for k, e in ENTRIES.items()},
        "negation": str(ENTRIES["not"].label),
        "tags": sorted(tags.items(), key=lambda kv: kv[1]),
        "tag_codes": list(tags),
        "graded": sorted(subject.grades().items(), key=lambda kv: kv[1]),
        "outcomes": [(o, outcome_label(o)) for o in outcomes],
        "outcome_values": list(outcomes),
        "rules": (
            [(r.code, r.label or r.code) for r in editor.rules if r.code]
            if editor
            else [
                (str(r.get("code")), str(r.get("label") or r.get("code")))
                for r in version.definition.get("rules") or []
                if isinstance(r, dict)
            ]
        ),
    }


def outcome_label(outcome: str) -> str:
    return str(Light(outcome).label) if outcome in Light.values else outcome


def sections(editor: ed.Editor) -> list[tuple[str, str, list[ed.Rule]]]:
    """The rules under their outcome, in the outcomes' order (a rule naming another outcome
    gets a section of its own, so saving never drops it)."""
    order = list(editor.outcomes) + [
        o for o in dict.fromkeys(r.outcome for r in editor.rules) if o not in editor.outcomes
    ]
    return [(o, outcome_label(o), editor.rules_for(o)) for o in order]


def editor_context(version: RuleSetVersion, editor: ed.Editor | None, form: Any) -> dict[str, Any]:
    if editor is None:
        return {"editor": None}
    return {
        "editor": editor,
        "editor_form": form,
        "sections": sections(editor),
        "choices": choices(version, editor),
    }


def load(version: RuleSetVersion) -> ed.Editor | None:
    """The editor for a stored definition, or None if only YAML can show it."""
    try:
        return ed.from_definition(version.definition, [light.value for light in Light])
    except ed.Unsupported:
        return None


def save(
    request: SignedInRequest, version: RuleSetVersion
) -> tuple[ed.Editor, RuleEditorForm, int]:
    """Save the submitted form through ``draft_update``; status 0 when saved, else the 4xx
    status with the problems on the editor and its rows."""
    graded = list(get_subject(version.rule_set.subject).grades())
    editor = ed.from_post(request.POST, graded)
    form = RuleEditorForm(request.POST)
    if not form.is_valid():
        editor.errors.append(str(form.errors.as_text()))
        return editor, form, 400
    definition, problems = ed.to_definition(editor)
    if definition is None:
        editor.errors = problems
        return editor, form, 400
    try:
        rule_services.draft_update(
            actor=request.user,
            draft=version,
            edit_version=form.cleaned_data["edit_version"],
            definition=definition,
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        editor.errors = str(exc.message).split("\n")
        return editor, form, exc.status
    return editor, form, 0


def _draft(request: HttpRequest, pk: int) -> RuleSetVersion:
    require_rules_scope(request.user)
    version = RuleSetVersion.objects.filter(
        rule_set__code=RULE_SET, pk=pk, status=VersionStatus.DRAFT
    ).first()
    if version is None:
        raise Http404
    return version


def _token(raw: Any) -> str:
    text = str(raw or "")
    return text if ed.TOKEN.match(text) else ""


@access(Perm.RULES_MANAGE)
def editor_node(request: SignedInRequest, pk: int) -> HttpResponse:
    """A new condition row under ``parent`` (``kind`` a condition or a group), or the row
    ``token`` again with the kind just picked in it."""
    version = _draft(request, pk)
    parent = _token(request.GET.get("parent"))
    token = _token(request.GET.get("token"))
    kind = request.GET.get(f"node-{token}-kind" if token else "kind", "has_tag")
    if kind in ed.GROUPS:
        node = ed.new_group(kind)
    elif kind in ed.LEAVES:
        node = ed.new_leaf(token or None, kind)
    else:
        raise Http404
    return render(
        request,
        "households/_rule_node.html",
        {"node": node, "parent": parent, "removable": True, "version": version}
        | {"choices": choices(version)},
    )


@access(Perm.RULES_MANAGE)
def editor_rule(request: SignedInRequest, pk: int) -> HttpResponse:
    """A new rule with one condition, for the outcome asked."""
    version = _draft(request, pk)
    outcome = request.GET.get("outcome", "")
    if outcome not in Light.values:
        raise Http404
    rule = ed.Rule(ed.new_token(), "", outcome, "", ed.new_group())
    return render(
        request,
        "households/_rule_row.html",
        {"rule": rule, "version": version, "choices": choices(version)},
    )


@access(Perm.RULES_MANAGE)
def editor_case(request: SignedInRequest, pk: int) -> HttpResponse:
    """A new, empty test case."""
    version = _draft(request, pk)
    case = ed.Case(ed.new_token(), expect=Light.GREEN.value)
    return render(
        request,
        "households/_rule_case.html",
        {"case": case, "version": version, "choices": choices(version)},
    )


@access(Perm.RULES_MANAGE)
def editor_remove(request: SignedInRequest, pk: int) -> HttpResponse:
    """Nothing: the row that asked is removed by htmx (``hx-swap="delete"``)."""
    _draft(request, pk)
    return HttpResponse("")
