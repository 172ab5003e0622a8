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
from gridlight.policies.models import Application, Grant, PaymentBatch, Policy, PolicyVersion
from gridlight.talent.models import Enterprise, Talent


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


# --- applications and grants --------------------------------------------------------------------
# A reviewer acts on an application (and a grant) whose subject's street lies in its write
# scope for ``policy.review`` (``policy.grant``). A department's handlers hold that scope only
# for the policies their department leads (``Policy.lead_unit``): a department reviews its own
# policies, a street office its street's applications, the district everything.


def _work_q(user: Viewer, perm: Perm, policy: str = "policy__") -> Q:
    from gridlight.core.access import ROLE_PERMS, Scope, assignments
    from gridlight.core.models import Role

    general: list[str] = []
    department: list[str] = []
    for a in assignments(user):
        if perm not in ROLE_PERMS.get(a.role, frozenset()) or not a.write_region_path:
            continue
        (department if a.role == Role.DEPARTMENT_HANDLER else general).append(a.write_region_path)
    q = Scope.of(general).q("region_path")
    if department:
        from gridlight.tickets.models import Unit

        units = Unit.objects.filter(members=user.pk).values("pk")
        q |= Scope.of(department).q("region_path") & Q(**{f"{policy}lead_unit__in": units})
    return q


def applications_reviewable(user: Viewer) -> QuerySet[Application]:
    """The applications ``user`` may review (403 if it holds ``policy.review`` nowhere)."""
    require(user, Perm.POLICY_REVIEW)
    return Application.objects.filter(_work_q(user, Perm.POLICY_REVIEW))


def get_application(user: Viewer, pk: Any) -> Application:
    try:
        return applications_reviewable(user).select_related("policy").get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def grants_workable(user: Viewer) -> QuerySet[Grant]:
    """The grants ``user`` may re-confirm and pay (403 if it holds ``policy.grant`` nowhere)."""
    require(user, Perm.POLICY_GRANT)
    return Grant.objects.filter(_work_q(user, Perm.POLICY_GRANT))


def batches_visible(user: Viewer) -> QuerySet[PaymentBatch]:
    """Payment batches of the policies whose grants ``user`` may pay: those issued inside its
    ``policy.grant`` scope (a department's: the policies it leads)."""
    require(user, Perm.POLICY_GRANT)
    return PaymentBatch.objects.filter(_work_q(user, Perm.POLICY_GRANT))


def get_batch(user: Viewer, pk: Any) -> PaymentBatch:
    try:
        return batches_visible(user).select_related("policy").get(pk=pk)
    except (PaymentBatch.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def subject_key(obj: Talent | Enterprise) -> str:
    """The key an application or a grant names its subject by (``talent:<id>``)."""
    return f"{'talent' if isinstance(obj, Talent) else 'enterprise'}:{obj.pk}"


def subject_q(user: Viewer) -> Q:
    """A talent's or an enterprise user's own applications and grants (nothing for staff)."""
    from gridlight.talent.access import own_enterprise, own_talent

    talent = own_talent(user)
    if talent is not None:
        return Q(talent_id=talent.pk)
    enterprise = own_enterprise(user)
    if enterprise is not None:
        return Q(enterprise_id=enterprise.pk)
    return Q(pk__in=[])


def get_own_application(user: Viewer, pk: Any) -> Application:
    try:
        return Application.objects.select_related("policy").get(subject_q(user), pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def policies_open_to(region_path: str) -> QuerySet[Policy]:
    """The policies a talent or an enterprise of the street at ``region_path`` may apply for
    or be granted: those issued at or above its street."""
    return Policy.objects.filter(region_path__in=_covering((region_path,)))
