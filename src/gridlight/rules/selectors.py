"""Reading rule sets and versions."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from gridlight.rules.models import RuleSet, RuleSetVersion, VersionStatus


def version_in_force(code: str, day: date) -> RuleSetVersion | None:
    """The published version of rule set ``code`` in force on ``day``."""
    return (
        RuleSetVersion.objects.select_related("rule_set")
        .filter(rule_set__code=code, status=VersionStatus.PUBLISHED, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=day))
        .order_by("-effective_from", "-number")
        .first()
    )


def versions(rule_set: RuleSet) -> QuerySet[RuleSetVersion]:
    return rule_set.versions.select_related("created_by", "published_by").order_by("-number")
