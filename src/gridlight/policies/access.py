"""Who may see and manage policies.

A policy belongs to the region that issued it (the district). Staff holding ``policy.view``
see the policies issued at or above their scope (a commissioner of a street sees the
district's policies) and those issued inside it; managing one (``policy.manage``) needs the
issuing region inside the write scope. Anything else is a 404, never a 403 that would confirm
the policy exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from gridlight.core.access import Perm, Viewer, require, require_path
from gridlight.core.models.regions import SEGMENT_WIDTH
from gridlight.policies.models import Policy, PolicyVersion


def _covering(paths: tuple[str, ...]) -> set[str]:
    """Every path at or above the given roots (a root's ancestors and itself)."""
    out: set[str] = set()
    for path in paths:
        for end in range(SEGMENT_WIDTH, len(path) + 1, SEGMENT_WIDTH + 1):
            out.add(path[:end])
    return out


def policies_visible(user: Viewer) -> QuerySet[Policy]:
    """The policies ``user`` may see (403 if it holds ``policy.view`` nowhere)."""
    scope = require(user, Perm.POLICY_VIEW)
    return Policy.objects.filter(scope.q("region_path") | Q(region_path__in=_covering(scope.paths)))


def get_policy(user: Viewer, pk: Any) -> Policy:
    try:
        return policies_visible(user).get(pk=pk)
    except (Policy.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_version(user: Viewer, pk: Any) -> PolicyVersion:
    try:
        return PolicyVersion.objects.select_related("policy").get(
            pk=pk, policy__in=policies_visible(user)
        )
    except (PolicyVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def require_manage(user: Viewer, policy_path: str) -> None:
    """Managing a policy needs its issuing region inside the write scope (403 otherwise)."""
    require_path(user, Perm.POLICY_MANAGE, policy_path)
