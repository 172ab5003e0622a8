"""Reading the policy catalogue and evaluating policies for one subject.

Lists are limited to what the caller may see (``access.policies_visible``). Evaluating a talent
or an enterprise is a read: the caller has already fetched the subject through its own access
function (a commissioner its talents, a talent its own profile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from gridlight.core.access import Viewer
from gridlight.policies.access import policies_visible
from gridlight.policies.definition import (
    CompiledPolicy,
    MissingFact,
    PolicyDefinitionError,
    Result,
    compile_policy,
    evaluate,
    rank_missing,
)
from gridlight.policies.models import Policy, PolicySourceFile, PolicyVersion, VersionStatus
from gridlight.rules.conditions import Verdict
from gridlight.rules.subjects import get_subject


def in_force(day: date) -> Q:
    """Published versions in force on ``day``."""
    return Q(status=VersionStatus.PUBLISHED, effective_from__lte=day) & (
        Q(effective_to__isnull=True) | Q(effective_to__gt=day)
    )


def source_file_of(policy: Policy, *, with_data: bool = False) -> PolicySourceFile | None:
    """The policy's issuing document, if one was uploaded (its bytes only when asked)."""
    qs = PolicySourceFile.objects.filter(pk=policy.pk)
    return (qs if with_data else qs.defer("data")).first()


def policies_list(
    user: Viewer,
    *,
    q: str = "",
    subject_type: str = "",
    mode: str = "",
    state: str = "",
    day: date | None = None,
) -> QuerySet[Policy]:
    """The policies ``user`` may see, filtered; ``in_force`` is annotated (a version is in
    force on ``day``); ``state``: "in_force" or "not_in_force"."""
    from django.utils import timezone

    day = day or timezone.localdate()
    qs = policies_visible(user).annotate(
        in_force=Exists(PolicyVersion.objects.filter(in_force(day), policy=OuterRef("pk")))
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(doc_number__icontains=q) | Q(code__icontains=q))
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if mode:
        qs = qs.filter(mode=mode)
    if state == "in_force":
        qs = qs.filter(in_force=True)
    elif state == "not_in_force":
        qs = qs.filter(in_force=False)
    return qs.order_by("subject_type", "code")


def versions(policy: Policy) -> QuerySet[PolicyVersion]:
    return policy.versions.select_related("created_by", "published_by").order_by("-number")


def version_in_force(policy: Policy, day: date) -> PolicyVersion | None:
    return policy.versions.filter(in_force(day)).order_by("-effective_from", "-number").first()


def compiled_in_force(
    subject_type: str, day: date
) -> list[tuple[Policy, PolicyVersion, CompiledPolicy]]:
    """Every policy for ``subject_type`` with a version in force on ``day``, compiled (one
    query). A stored version that no longer compiles (a tag removed since) is left out."""
    subject = get_subject(subject_type)
    rows = (
        PolicyVersion.objects.filter(in_force(day), policy__subject_type=subject_type)
        .select_related("policy")
        .order_by("policy__code", "-effective_from")
    )
    out = []
    seen: set[int] = set()
    for v in rows:
        if v.policy_id in seen:
            continue
        seen.add(v.policy_id)
        try:
            compiled = compile_policy(
                v.definition,
                subject,
                code=v.policy.code,
                group=v.policy.exclusive_group,
                title=v.policy.title,
            )
        except PolicyDefinitionError:
            continue
        out.append((v.policy, v, compiled))
    return out


@dataclass
class Seen:
    """A value an explanation used, where it came from and as of when."""

    label: str
    value: Any
    source: str = ""
    as_of: date | None = None


@dataclass
class Line:
    label: str
    state: str  # met / not_met / unknown
    depth: int
    seen: list[Seen] = field(default_factory=list)


@dataclass
class PolicyResult:
    policy: Policy
    version: PolicyVersion
    result: Result
    lines: list[Line]


@dataclass
class SubjectPolicies:
    """Every policy in force for one subject, with explanations and the facts to add."""

    results: list[PolicyResult]
    missing: list[MissingFact]
    field_labels: dict[str, str]
    as_of: date

    def in_state(self, state: str) -> list[PolicyResult]:
        return [r for r in self.results if r.result.state == state]


_STATE = {"pass": "met", "fail": "not_met", "unknown": "unknown"}


def _lines(verdict: Verdict, sources: dict[str, Any], by_label: dict[str, str]) -> list[Line]:
    out: list[Line] = []

    def walk(v: Verdict, depth: int) -> None:
        seen = []
        if not v.parts:
            for label, value in v.seen.items():
                src = sources.get(by_label.get(str(label), "tags"))
                seen.append(
                    Seen(str(label), value, src.label if src else "", src.as_of if src else None)
                )
        out.append(Line(v.label, _STATE[v.state], depth, seen))
        for part in v.parts:
            walk(part, depth + 1)

    walk(verdict, 0)
    return out


def policies_for(
    subject_type: str, obj: Any, day: date, *, receiving: set[str] | None = None
) -> SubjectPolicies:
    """Evaluate every policy in force on ``day`` for one talent, enterprise or household:
    three-valued per policy and per condition, amounts in fen, exclusive groups applied, the
    missing facts ranked by how many policies they would decide. ``receiving``: the codes of
    policies the subject already receives (not offered again)."""
    subject = get_subject(subject_type)
    values = subject.values(obj, day)
    provenance = getattr(subject, "provenance", None)
    sources = provenance(obj) if provenance else {}
    fields = subject.fields()
    by_label = {str(spec.label): name for name, spec in fields.items()}
    compiled = compiled_in_force(subject_type, day)
    results = evaluate([c for _p, _v, c in compiled], values, receiving=receiving or set())
    rows = [
        PolicyResult(p, v, results[c.code], _lines(results[c.code].verdict, sources, by_label))
        for p, v, c in compiled
    ]
    order = {"met": 0, "unknown": 1, "not_met": 2}
    rows.sort(key=lambda r: (order[r.result.state], r.policy.code))
    labels = {name: str(spec.label) for name, spec in fields.items()}
    return SubjectPolicies(rows, rank_missing(results.values()), labels, day)
