"""Writing rule sets: drafts are edited, checked and published; published versions never change.

Who may do this is decided by the caller (the domain app that owns the rule set) through the
access layer; these services check the definition, keep versions immutable and audit each step.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.errors import ConflictError, DomainError
from gridlight.rules.engine import DefinitionError, compile_definition, run_tests
from gridlight.rules.models import RuleSet, RuleSetVersion, VersionStatus
from gridlight.rules.subjects import get_subject


def check_definition(rule_set: RuleSet, definition: Any) -> list[str]:
    """Every problem with a definition, including failing test cases; empty when it is usable."""
    try:
        compiled = compile_definition(definition, get_subject(rule_set.subject))
    except DefinitionError as exc:
        return exc.problems
    return run_tests(compiled)


@transaction.atomic
def draft_create(
    *, actor: Any, rule_set: RuleSet, base: RuleSetVersion | None = None, note: str = ""
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
    *, actor: Any, draft: RuleSetVersion, edit_version: int, definition: Any, note: str
) -> RuleSetVersion:
    """Replace a draft's definition; refused with every problem if it does not compile."""
    if draft.status != VersionStatus.DRAFT:
        raise DomainError(_("A published version cannot be changed; start a new draft."))
    try:
        compile_definition(definition, get_subject(draft.rule_set.subject))
    except DefinitionError as exc:
        raise DomainError("\n".join(exc.problems)) from exc
    updated = RuleSetVersion.objects.filter(
        pk=draft.pk, edit_version=edit_version, status=VersionStatus.DRAFT
    ).update(definition=definition, note=note, edit_version=F("edit_version") + 1)
    if not updated:
        raise ConflictError(_("This draft was changed by someone else. Reload and retry."))
    draft.refresh_from_db()
    audit.record(actor=actor, action="rules.edit", obj=draft, object_label=str(draft))
    return draft


@transaction.atomic
def publish(*, actor: Any, draft: RuleSetVersion, effective_from: date) -> RuleSetVersion:
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
