"""Helpers shared by the household views."""

from __future__ import annotations

from functools import lru_cache

from gridlight.households.classify import compiled_for, current_version
from gridlight.rules.models import RuleSetVersion


@lru_cache(maxsize=16)
def _labels(version_id: int, edit_version: int) -> dict[str, tuple[str, str]]:
    version = RuleSetVersion.objects.get(pk=version_id)
    return {r.code: (r.label, r.outcome) for r in compiled_for(version).rules}


def rule_labels(version: RuleSetVersion | None = None) -> dict[str, tuple[str, str]]:
    """Rule code → (label, outcome) for a version (by default the one in force)."""
    v = version or current_version()
    return _labels(v.pk, v.edit_version)
