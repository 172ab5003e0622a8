"""Who may see and change which talents and enterprises.

Staff see the talents and enterprises whose street lies in their scope for ``talent.view``
(a commissioner's assignment, a street office's). A public user sees only its own record: a
talent its profile (``Talent.user``), an enterprise user its enterprise (``EnterpriseAccount``).
Everything else is a 404, never a 403 that would confirm the record exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Func, QuerySet
from django.http import Http404

from gridlight.core.access import Perm, Viewer, has_perm, is_public_user, require_path, scope_for
from gridlight.talent.models import Enterprise, EnterpriseAccount, Talent


class Unindexed(Func):
    """A record's region path as an expression no index answers (``path || ''``): a scope
    compared on it leaves the planner to walk the index of the list's order (or of another
    filter) instead of a district-wide range of the region index, whose rows it would then
    sort (seconds at 100,000 rows, where walking the order's index stops after one page).

    SQLite's way is a unary ``+`` (no index answers ``+path``, and no string is built per row:
    the caseloads' counts compare it on every one of 100,000 talents, a third of their time
    with ``||``); PostgreSQL has no unary ``+`` for text."""

    template = "(%(expressions)s || '')"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(+%(expressions)s)", **extra)


def talents_visible(user: Viewer) -> QuerySet[Talent]:
    """The talents ``user`` may see: in scope for staff, its own profile for a talent user."""
    if not user.is_authenticated:
        return Talent.objects.none()
    if is_public_user(user):
        return Talent.objects.filter(user_id=user.pk)
    scope = scope_for(user, Perm.TALENT_VIEW)
    return Talent.objects.filter(scope.q("region_path"))


def enterprises_visible(user: Viewer) -> QuerySet[Enterprise]:
    """The enterprises ``user`` may see: in scope for staff, its own for an enterprise user."""
    if not user.is_authenticated:
        return Enterprise.objects.none()
    if is_public_user(user):
        return Enterprise.objects.filter(
            pk__in=EnterpriseAccount.objects.filter(user_id=user.pk).values("enterprise_id")
        )
    scope = scope_for(user, Perm.TALENT_VIEW)
    return Enterprise.objects.filter(scope.q("region_path"))


def get_talent(user: Viewer, pk: Any) -> Talent:
    try:
        return talents_visible(user).get(pk=pk)
    except (Talent.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_enterprise(user: Viewer, pk: Any) -> Enterprise:
    try:
        return enterprises_visible(user).get(pk=pk)
    except (Enterprise.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def own_talent(user: Viewer) -> Talent | None:
    """A talent user's own profile (None for anyone else)."""
    if not user.is_authenticated:
        return None
    return Talent.objects.filter(user_id=user.pk).first()


def own_enterprise(user: Viewer) -> Enterprise | None:
    """An enterprise user's own enterprise (None for anyone else)."""
    if not user.is_authenticated:
        return None
    account = EnterpriseAccount.objects.select_related("enterprise").filter(user_id=user.pk).first()
    return account.enterprise if account else None


def require_change(user: Viewer, path: str) -> None:
    """Staff may change a talent's or enterprise's record only inside their write scope."""
    require_path(user, Perm.TALENT_CHANGE, path)


def is_staff_for_talent(user: Viewer) -> bool:
    return has_perm(user, Perm.TALENT_VIEW)
