"""Writing the policy catalogue: policies, drafts, publishing.

Each service checks the actor's write scope (``policy.manage`` on the issuing region), writes,
and records its audit event in one transaction. Updates are optimistic (the caller passes the
version it read). A published version never changes; editing starts a new draft. A draft is
refused with every problem — an unknown field, a formula that would make a cycle among
policies, a cap below a floor, a table with a gap — and publishing runs its test cases and is
refused if one fails. Nothing is written when a check fails.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import Region, User
from gridlight.core.uploads import Upload, check_upload
from gridlight.policies.access import require_manage
from gridlight.policies.benefits import BenefitError, find_cycle, parse_benefit
from gridlight.policies.definition import PolicyDefinitionError, compile_policy, run_tests
from gridlight.policies.models import (
    Mode,
    Policy,
    PolicySourceFile,
    PolicyVersion,
    SubjectType,
    VersionStatus,
)
from gridlight.rules.subjects import get_subject
from gridlight.tickets.models import Unit

CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
EDITABLE = (
    "title",
    "issuer",
    "doc_number",
    "source_url",
    "mode",
    "budget_fen",
    "period_start",
    "period_end",
    "materials",
    "exclusive_group",
    "lead_unit",
)
MAX_MATERIALS = 30


def lead_unit_of(pk: Any) -> Unit | None:
    """The department to lead a policy (牵头部门), by its id: an active unit, or None for
    none (blank). Refused (400) with the reason when there is no such active unit."""
    if pk is None or pk == "":
        return None
    try:
        unit = Unit.objects.filter(pk=int(pk), active=True).first()
    except (TypeError, ValueError):
        unit = None
    if unit is None:
        raise DomainError(_("There is no active department with the id %(id)s.") % {"id": pk})
    return unit


def _related(unit_path: str, policy_path: str) -> bool:
    """A unit may lead a policy of its own region, above it or under it (a district office a
    street's policy, a street office one of its own), not another district's."""
    return unit_path.startswith(policy_path) or policy_path.startswith(unit_path)


def lead_unit_choices(policy_path: str) -> list[tuple[int, str]]:
    """The units that may lead a policy issued at ``policy_path``: active, in its region's
    line (:func:`_related`), by kind and name."""
    units = Unit.objects.filter(active=True).order_by("kind", "name")
    return [
        (pk, name)
        for pk, name, path in units.values_list("pk", "name", "region_path")
        if _related(path, policy_path)
    ]


def _check_lead(unit: Any, policy_path: str) -> None:
    if unit is None:
        return
    if not isinstance(unit, Unit) or not unit.active:
        raise DomainError(_("The lead department must be an active department."))
    if not _related(unit.region_path, policy_path):
        raise DomainError(
            _("%(unit)s works in another region: it cannot lead this policy.") % {"unit": unit}
        )


def _check_fields(values: dict[str, Any]) -> None:
    problems = []
    if not str(values.get("title") or "").strip():
        problems.append(_("A policy needs a title."))
    if not str(values.get("issuer") or "").strip():
        problems.append(_("A policy needs its issuing body."))
    if values.get("mode") not in Mode.values:
        problems.append(_("Unknown mode."))
    budget = values.get("budget_fen")
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, int) or budget < 0
    ):
        problems.append(_("The budget is a whole number of fen, not negative."))
    start, end = values.get("period_start"), values.get("period_end")
    if start and end and end < start:
        problems.append(_("The period ends before it starts."))
    materials = values.get("materials") or []
    if (
        not isinstance(materials, list)
        or len(materials) > MAX_MATERIALS
        or not all(isinstance(m, str) and 0 < len(m.strip()) <= 100 for m in materials)
    ):
        problems.append(
            _("Required materials are a list of at most %(n)s names, each up to 100 characters.")
            % {"n": MAX_MATERIALS}
        )
    group = values.get("exclusive_group") or ""
    if group and not CODE.match(group):
        problems.append(_("The exclusive group is a short lowercase name."))
    if problems:
        raise DomainError("\n".join(problems))


@transaction.atomic
def policy_create(
    *, actor: User, code: str, region: Region, subject_type: str, **values: Any
) -> Policy:
    """Add a policy to the catalogue (no version yet: start a draft next)."""
    require_manage(actor, region.path)
    if not CODE.match(code or ""):
        raise DomainError(_("The code is a short lowercase name (letters, digits, _)."))
    if subject_type not in SubjectType.values:
        raise DomainError(_("Unknown subject type."))
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise TypeError(f"unknown policy fields: {unknown}")
    _check_fields(values)
    _check_lead(values.get("lead_unit"), region.path)
    if Policy.objects.filter(code=code).exists():
        raise DomainError(_("A policy with this code exists already."))
    values["materials"] = [m.strip() for m in values.get("materials") or []]
    policy = Policy.objects.create(
        code=code, region=region, region_path=region.path, subject_type=subject_type, **values
    )
    audit.record(
        actor=actor,
        action="policy.create",
        obj=policy,
        object_label=policy.title,
        region_path=policy.region_path,
        changes={
            "code": code,
            "subject_type": subject_type,
            "mode": policy.mode,
            **({"lead_unit": str(policy.lead_unit)} if policy.lead_unit else {}),
        },
    )
    return policy


@transaction.atomic
def policy_update(
    *,
    actor: User,
    policy: Policy,
    version: int,
    source_file: Upload | None = None,
    **values: Any,
) -> Policy:
    """Change a policy's catalogue entry (not its subject type: versions are written for it).
    ``source_file``: a new issuing document (PDF or image), checked by content type and size
    as application materials are; it replaces the one kept."""
    require_manage(actor, policy.region_path)
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise TypeError(f"unknown policy fields: {unknown}")
    merged = {name: getattr(policy, name) for name in EDITABLE if name != "lead_unit"} | values
    _check_fields(merged)
    content_type = check_upload(source_file) if source_file is not None else ""
    if "lead_unit" in values:  # checked when it changes (a unit closed since stays until then)
        _check_lead(values["lead_unit"], policy.region_path)
    before = {name: getattr(policy, name) for name in values}
    updated = Policy.objects.filter(pk=policy.pk, version=version).update(
        **values, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ConflictError(_("This policy was changed by someone else. Reload and retry."))
    after = dict(values)
    if source_file is not None:
        kept = PolicySourceFile.objects.filter(pk=policy.pk).values_list("name", flat=True)
        before["source_file"] = kept.first()
        after["source_file"] = source_file.name[:120]
        PolicySourceFile.objects.update_or_create(
            policy=policy,
            defaults={
                "name": after["source_file"],
                "content_type": content_type,
                "size": len(source_file.data),
                "data": source_file.data,
                "uploaded_by": actor,
                "created_at": timezone.now(),
            },
        )
    policy.refresh_from_db()
    audit.record(
        actor=actor,
        action="policy.update",
        obj=policy,
        object_label=policy.title,
        region_path=policy.region_path,
        changes=audit.diff(before, after),
    )
    return policy


def _storable(definition: Any) -> bool:
    try:
        json.dumps(definition, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _dependency_edges(policy: Policy, definition: Any) -> dict[str, frozenset[str]]:
    """Which policies' benefits each policy's formula reads: the newest version of every other
    policy (a draft counts, so two drafts cannot close a cycle between them), and ``definition``
    for ``policy``."""
    edges: dict[str, frozenset[str]] = {}
    newest = (
        PolicyVersion.objects.exclude(policy=policy)
        .order_by("policy_id", "-number")
        .values_list("policy__code", "policy__subject_type", "definition")
    )
    for code, subject_type, other in newest:
        if code in edges:
            continue
        try:
            spec = other.get("benefit") if isinstance(other, dict) else None
            edges[code] = parse_benefit(spec, get_subject(subject_type).fields()).depends_on
        except BenefitError:
            edges[code] = frozenset()
    spec = definition.get("benefit") if isinstance(definition, dict) else None
    try:
        edges[policy.code] = parse_benefit(
            spec, get_subject(policy.subject_type).fields()
        ).depends_on
    except BenefitError:
        edges[policy.code] = frozenset()
    return edges


def check_definition(policy: Policy, definition: Any) -> list[str]:
    """Every problem with a definition (not running its tests); empty when it may be saved."""
    if not _storable(definition):
        return [
            _(
                "The definition may hold only text, numbers, true or false, lists and mappings "
                "(put a date in quotes)."
            )
        ]
    subject = get_subject(policy.subject_type)
    try:
        compiled = compile_policy(
            definition, subject, code=policy.code, group=policy.exclusive_group
        )
    except PolicyDefinitionError as exc:
        return exc.problems
    problems = []
    if compiled.depends_on:
        known = dict(
            Policy.objects.filter(code__in=compiled.depends_on).values_list("code", "subject_type")
        )
        for code in sorted(compiled.depends_on):
            if code not in known:
                problems.append(
                    _("Benefit: the formula reads an unknown policy: %(c)s") % {"c": code}
                )
            elif known[code] != policy.subject_type:
                problems.append(_("Benefit: %(c)s is for another kind of subject.") % {"c": code})
        cycle = find_cycle(_dependency_edges(policy, definition))
        if cycle:
            problems.append(
                _("Benefit: the formulas would read each other in a cycle: %(c)s")
                % {"c": " → ".join(cycle)}
            )
    return problems


@transaction.atomic
def draft_create(
    *, actor: User, policy: Policy, base: PolicyVersion | None = None, note: str = ""
) -> PolicyVersion:
    """Start a new draft, copied from ``base`` (or the newest version)."""
    require_manage(actor, policy.region_path)
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    source = base or locked.versions.order_by("-number").first()
    number = (locked.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    draft = PolicyVersion.objects.create(
        policy=locked,
        number=number,
        definition=source.definition if source else {"when": {"all_of": []}, "tests": []},
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="policy.draft",
        obj=draft,
        object_label=str(draft),
        region_path=locked.region_path,
        changes={"from": source.number if source else None},
    )
    return draft


@transaction.atomic
def draft_update(
    *, actor: User, draft: PolicyVersion, edit_version: int, definition: Any, note: str = ""
) -> PolicyVersion:
    """Replace a draft's definition; refused with every problem, and nothing written."""
    policy = draft.policy
    require_manage(actor, policy.region_path)
    if draft.status != VersionStatus.DRAFT:
        raise DomainError(_("A published version cannot be changed; start a new draft."))
    if len(note) > 200:
        raise DomainError(_("The note is at most 200 characters."))
    problems = check_definition(policy, definition)
    if problems:
        raise DomainError("\n".join(problems))
    updated = PolicyVersion.objects.filter(
        pk=draft.pk, edit_version=edit_version, status=VersionStatus.DRAFT
    ).update(definition=definition, note=note, edit_version=F("edit_version") + 1)
    if not updated:
        raise ConflictError(_("This draft was changed by someone else. Reload and retry."))
    draft.refresh_from_db()
    audit.record(
        actor=actor,
        action="policy.edit",
        obj=draft,
        object_label=str(draft),
        region_path=policy.region_path,
    )
    return draft


@transaction.atomic
def publish(
    *, actor: User, draft: PolicyVersion, effective_from: date, effective_to: date | None = None
) -> PolicyVersion:
    """Publish a draft for ``effective_from`` ≤ day < ``effective_to`` (open-ended if None); the
    open version it replaces ends that day. Refused if the definition has a problem or one of
    its test cases fails."""
    policy = draft.policy
    require_manage(actor, policy.region_path)
    draft = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=draft.pk)
    if draft.status != VersionStatus.DRAFT:
        raise DomainError(_("This version is already published."))
    if effective_to is not None and effective_to <= effective_from:
        raise DomainError(_("A version must end after it starts."))
    problems = check_definition(policy, draft.definition)
    if problems:
        raise DomainError("\n".join(problems))
    compiled = compile_policy(
        draft.definition,
        get_subject(policy.subject_type),
        code=policy.code,
        group=policy.exclusive_group,
    )
    if not compiled.tests:
        raise DomainError(_("A policy is published with at least one test case."))
    failures = run_tests(compiled)
    if failures:
        raise DomainError("\n".join([_("Test cases fail:"), *failures]))
    published = PolicyVersion.objects.filter(policy=policy, status=VersionStatus.PUBLISHED)
    if published.filter(effective_from__gte=effective_from).exists():
        raise DomainError(_("A published version already starts on or after that day."))
    published.filter(effective_to__isnull=True).update(effective_to=effective_from)
    published.filter(effective_to__gt=effective_from).update(effective_to=effective_from)
    draft.status = VersionStatus.PUBLISHED
    draft.effective_from = effective_from
    draft.effective_to = effective_to
    draft.published_at = timezone.now()
    draft.published_by = actor if getattr(actor, "is_authenticated", False) else None
    draft.save(
        update_fields=["status", "effective_from", "effective_to", "published_at", "published_by"]
    )
    audit.record(
        actor=actor,
        action="policy.publish",
        obj=draft,
        object_label=str(draft),
        region_path=policy.region_path,
        changes={
            "effective_from": effective_from.isoformat(),
            "effective_to": effective_to.isoformat() if effective_to else None,
        },
    )
    version_id = draft.pk
    transaction.on_commit(lambda: _match_published(version_id))
    return draft


@cache
def _celery_client() -> Any:
    """A Celery client configured from the settings, as the worker's app is (the project's
    ``gridlight.celery`` module sits above the apps)."""
    from celery import Celery  # type: ignore[import-untyped]

    client = Celery("gridlight-policies-client")
    client.config_from_object("django.conf:settings", namespace="CELERY")
    return client


def _match_published(version_id: int) -> None:
    """Match the published version's subjects once committed: through Celery when a broker is
    configured, here otherwise."""
    from django.conf import settings

    if settings.GRIDLIGHT_BROKER_URL:
        _celery_client().send_task(
            "gridlight.policies.match_published", kwargs={"version_id": version_id}
        )
        return
    from gridlight.policies.matching import on_published

    on_published(PolicyVersion.objects.select_related("policy").get(pk=version_id))
