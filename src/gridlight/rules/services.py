"""Writing rule sets: drafts are edited, checked and published; published versions never change.

Who may do this is decided by the caller (the domain app that owns the rule set) through the
access layer; these services check the definition, keep versions immutable and audit each step.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import User
from gridlight.rules.engine import DefinitionError, compile_definition, run_tests
from gridlight.rules.models import RuleSet, RuleSetVersion, VersionStatus
from gridlight.rules.subjects import FieldType, Subject, get_subject


def check_definition(rule_set: RuleSet, definition: Any) -> list[str]:
    """Every problem with a definition, including failing test cases; empty when it is usable."""
    subject = get_subject(rule_set.subject)
    try:
        compiled = compile_definition(definition, subject)
    except DefinitionError as exc:
        return exc.problems + outcome_problems(subject, definition)
    problems = outcome_problems(subject, definition) + case_problems(subject, compiled.tests)
    return problems or run_tests(compiled)


def outcome_problems(subject: Subject, definition: Any) -> list[str]:
    """Outcomes the subject does not know (a household's light is red, yellow or green): what
    reads the outcomes — the dashboard, the lists, the export — knows only the subject's."""
    outcomes = definition.get("outcomes") if isinstance(definition, dict) else None
    if not isinstance(outcomes, list):
        return []  # compile_definition says what is wrong with it
    unknown = [str(o) for o in outcomes if o not in subject.outcomes]
    if not unknown:
        return []
    return [
        _("outcomes may only be %(allowed)s, not %(unknown)s.")
        % {"allowed": ", ".join(subject.outcomes), "unknown": ", ".join(unknown)}
    ]


def case_problems(subject: Subject, cases: list[Any]) -> list[str]:
    """Test cases that cannot be run: each is a mapping whose ``values`` hold the subject's
    fields in their types (``grades`` a mapping of attribute to grade) and whose ``fired``, if
    given, is a list of rule codes."""
    fields = subject.fields()
    problems = []
    for i, case in enumerate(cases, start=1):
        values = (case.get("values") or {}) if isinstance(case, dict) else None
        if not isinstance(case, dict) or not isinstance(values, dict):
            bad = [_("it must be a mapping with a name, values and the expected outcome")]
        else:
            fired = case.get("fired")
            bad = [
                _("%(f)s must be %(t)s") % {"f": name, "t": _TYPE_NAMES[fields[name].type]}
                for name, value in values.items()
                if name in fields and not _is_of_type(value, fields[name].type)
            ]
            if not _are_grades(values.get("grades")):
                bad.append(_("grades must map attributes to whole numbers"))
            if fired is not None and not _is_of_type(fired, "list_string"):
                bad.append(_("fired must be a list of rule codes"))
        problems += [_("Test case %(i)s: %(p)s.") % {"i": i, "p": p} for p in bad]
    return problems


_TYPE_NAMES: dict[str, Any] = {
    "int": gettext_lazy("a whole number"),
    "bool": gettext_lazy("true or false"),
    "string": gettext_lazy("text"),
    "double": gettext_lazy("a number"),
    "date": gettext_lazy("a date (YYYY-MM-DD)"),
    "list_string": gettext_lazy("a list of names"),
}


def _is_of_type(value: Any, kind: FieldType) -> bool:
    """Whether a test case's value fits a field of type ``kind`` (None: not known)."""
    if value is None:
        return True
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "double":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "date":
        return isinstance(value, date)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _are_grades(grades: Any) -> bool:
    return grades is None or (
        isinstance(grades, dict)
        and all(isinstance(k, str) and _is_of_type(v, "int") for k, v in grades.items())
    )


def _storable(definition: Any) -> bool:
    """Whether the definition can be stored as JSON on both databases (YAML also reads dates,
    and PostgreSQL refuses NaN)."""
    try:
        json.dumps(definition, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


@transaction.atomic
def draft_create(
    *, actor: User, rule_set: RuleSet, base: RuleSetVersion | None = None, note: str = ""
) -> RuleSetVersion:
    """Start a new draft, copied from ``base`` (or the newest version)."""
    locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    source = base or locked.versions.order_by("-number").first()
    number = (locked.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    draft = RuleSetVersion.objects.create(
        rule_set=locked,
        number=number,
        definition=source.definition if source else {"outcomes": [], "default": "", "rules": []},
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="rules.draft",
        obj=draft,
        object_label=str(draft),
        changes={"from": source.number if source else None},
    )
    return draft


@transaction.atomic
def draft_update(
    *, actor: User, draft: RuleSetVersion, edit_version: int, definition: Any, note: str
) -> RuleSetVersion:
    """Replace a draft's definition; refused with every problem if it does not compile."""
    if draft.status != VersionStatus.DRAFT:
        raise DomainError(_("A published version cannot be changed; start a new draft."))
    if not _storable(definition):
        raise DomainError(
            _(
                "The definition may hold only text, numbers, true or false, lists and mappings "
                "(put a date in quotes)."
            )
        )
    subject = get_subject(draft.rule_set.subject)
    try:
        compiled = compile_definition(definition, subject)
    except DefinitionError as exc:
        raise DomainError("\n".join(exc.problems + outcome_problems(subject, definition))) from exc
    problems = outcome_problems(subject, definition) + case_problems(subject, compiled.tests)
    if problems:
        raise DomainError("\n".join(problems))
    updated = RuleSetVersion.objects.filter(
        pk=draft.pk, edit_version=edit_version, status=VersionStatus.DRAFT
    ).update(definition=definition, note=note, edit_version=F("edit_version") + 1)
    if not updated:
        raise ConflictError(_("This draft was changed by someone else. Reload and retry."))
    draft.refresh_from_db()
    audit.record(actor=actor, action="rules.edit", obj=draft, object_label=str(draft))
    return draft


@transaction.atomic
def publish(*, actor: User, draft: RuleSetVersion, effective_from: date) -> RuleSetVersion:
    """Publish a draft from ``effective_from``; the version it replaces ends that day.

    Refused if the definition has problems or any of its test cases fails.
    """
    draft = RuleSetVersion.objects.select_for_update().select_related("rule_set").get(pk=draft.pk)
    if draft.status != VersionStatus.DRAFT:
        raise DomainError(_("This version is already published."))
    problems = check_definition(draft.rule_set, draft.definition)
    if problems:
        raise DomainError("\n".join(problems))
    later = RuleSetVersion.objects.filter(
        rule_set=draft.rule_set, status=VersionStatus.PUBLISHED, effective_from__gte=effective_from
    )
    if later.exists():
        raise DomainError(_("A published version already starts on or after that day."))
    RuleSetVersion.objects.filter(
        rule_set=draft.rule_set, status=VersionStatus.PUBLISHED, effective_to__isnull=True
    ).update(effective_to=effective_from)
    draft.status = VersionStatus.PUBLISHED
    draft.effective_from = effective_from
    draft.published_at = timezone.now()
    draft.published_by = actor if getattr(actor, "is_authenticated", False) else None
    draft.save(update_fields=["status", "effective_from", "published_at", "published_by"])
    audit.record(
        actor=actor,
        action="rules.publish",
        obj=draft,
        object_label=str(draft),
        changes={"effective_from": effective_from.isoformat()},
    )
    return draft
