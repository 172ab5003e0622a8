"""The one access layer: who may see or change what, by role and region.

Every page and API route goes through these functions (deny by default). A user's scope for a
permission is the set of region subtrees where one of their active assignments grants it: view
permissions use the assignment's region, change permissions its write region. Objects outside the
scope answer 404 (their existence is not revealed); a permission held nowhere answers 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeAlias, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase

from gridlight.core.compiled import CompiledQuery
from gridlight.core.models import Assignment, Region, Role, User
from gridlight.core.models.regions import subtree

# Who is asking. Access functions and selectors take a ``Viewer``, signed in or anonymous (an
# anonymous one is given nothing); services take the signed-in ``User`` as ``actor`` (``None``
# where the system acts). A page marked ``@access`` and an API route behind the API's auth take a
# ``SignedInRequest``, whose ``user`` is a ``User``; public pages and Open311 take ``HttpRequest``.
Viewer: TypeAlias = User | AnonymousUser


class SignedInRequest(HttpRequest):
    """The request of a view marked ``@access`` or an authenticated API route."""

    user: User


class Perm(StrEnum):
    REGION_VIEW = "region.view"
    REGION_CHANGE = "region.change"
    POSITION_VIEW = "position.view"
    POSITION_CHANGE = "position.change"
    AUDIT_VIEW = "audit.view"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    HOUSEHOLD_VIEW = "household.view"
    HOUSEHOLD_CHANGE = "household.change"
    PERSONAL_REVEAL = "personal.reveal"
    VISIT_RECORD = "visit.record"
    RULES_MANAGE = "rules.manage"
    TICKET_VIEW = "ticket.view"
    TICKET_CREATE = "ticket.create"
    TICKET_DISPATCH = "ticket.dispatch"
    TICKET_HANDLE = "ticket.handle"
    TICKET_VERIFY = "ticket.verify"
    TICKET_ADMIN = "ticket.admin"
    TALENT_VIEW = "talent.view"
    TALENT_CHANGE = "talent.change"
    TALENT_ASSIGN = "talent.assign"
    TALENT_REVEAL = "talent.reveal"
    POLICY_VIEW = "policy.view"
    POLICY_MANAGE = "policy.manage"
    POLICY_REVIEW = "policy.review"
    POLICY_GRANT = "policy.grant"
    EVALUATION_VIEW = "evaluation.view"
    EVALUATION_REPORT = "evaluation.report"
    EVALUATION_JUDGE = "evaluation.judge"
    EVALUATION_MANAGE = "evaluation.manage"
    PROJECT_VIEW = "project.view"
    PROJECT_REPORT = "project.report"
    PROJECT_MANAGE = "project.manage"
    INDICATOR_VIEW = "indicator.view"
    INDICATOR_ENTER = "indicator.enter"
    INDICATOR_MANAGE = "indicator.manage"


WRITE_PERMS = frozenset(
    {
        Perm.REGION_CHANGE,
        Perm.POSITION_CHANGE,
        Perm.USER_MANAGE,
        Perm.HOUSEHOLD_CHANGE,
        Perm.VISIT_RECORD,
        Perm.RULES_MANAGE,
        Perm.TICKET_CREATE,
        Perm.TICKET_DISPATCH,
        Perm.TICKET_HANDLE,
        Perm.TICKET_VERIFY,
        Perm.TICKET_ADMIN,
        Perm.TALENT_CHANGE,
        Perm.TALENT_ASSIGN,
        Perm.POLICY_MANAGE,
        Perm.POLICY_REVIEW,
        Perm.POLICY_GRANT,
        Perm.EVALUATION_REPORT,
        Perm.EVALUATION_MANAGE,
        Perm.PROJECT_REPORT,
        Perm.PROJECT_MANAGE,
        Perm.INDICATOR_ENTER,
        Perm.INDICATOR_MANAGE,
    }
)
# Judging is not a write scope: an evaluator (read-only in the tree) may sit on a panel of a
# district they view; the panel itself (evaluation.Judge, appointed by a manager) is the grant.
# A street or community reports its own 一街一品 progress, action items, cadres and fixes.
_EVALUATION_OWN = frozenset({Perm.EVALUATION_VIEW, Perm.EVALUATION_REPORT})
_HOUSEHOLD_WORK = frozenset({Perm.HOUSEHOLD_VIEW, Perm.HOUSEHOLD_CHANGE, Perm.VISIT_RECORD})
# Seeing a full ID or phone number is not part of viewing households: it is granted on its own,
# to those who deal with the person at the door (the grid worker, the community secretary).
# A street office overseeing tens of thousands of households works with masked numbers; an
# evaluator, a department handler or a talent commissioner never holds it.
_PERSONAL = frozenset({Perm.PERSONAL_REVEAL})

_STAFF_VIEW = frozenset({Perm.REGION_VIEW, Perm.POSITION_VIEW})
# Ticket handlers see only the tickets dispatched to their own units (tickets/access.visible).
_TICKET_FRONT = frozenset({Perm.TICKET_VIEW, Perm.TICKET_CREATE})
# Key projects and indicators: a street office sees its street's projects and figures and
# enters its figures; a department reports only the projects its unit is responsible for
# (development.access); approving, lights and supervision stay with the district.
_DEVELOPMENT_VIEW = frozenset({Perm.PROJECT_VIEW, Perm.INDICATOR_VIEW})
_UNIT_REPORTS = frozenset({Perm.PROJECT_REPORT, Perm.INDICATOR_ENTER})
# Policy applications: a street office accepts and reviews its street's applications; a
# department reviews those of the policies it leads (牵头部门, policies.access) and re-confirms
# and pays their grants; the district does all of it.
_POLICY_REVIEW = frozenset({Perm.POLICY_VIEW, Perm.POLICY_REVIEW})

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.DISTRICT_ADMIN: frozenset(Perm),
    Role.STREET_STAFF: _STAFF_VIEW
    | _HOUSEHOLD_WORK
    | _TICKET_FRONT
    | {Perm.POSITION_CHANGE, Perm.AUDIT_VIEW, Perm.USER_VIEW, Perm.USER_MANAGE}
    | {Perm.TICKET_DISPATCH, Perm.TICKET_HANDLE, Perm.TICKET_VERIFY}
    | {Perm.TALENT_VIEW}
    | _EVALUATION_OWN
    | _DEVELOPMENT_VIEW
    | _UNIT_REPORTS
    | _POLICY_REVIEW,
    Role.COMMUNITY_SECRETARY: _STAFF_VIEW
    | _HOUSEHOLD_WORK
    | _PERSONAL
    | _TICKET_FRONT
    | {Perm.POSITION_CHANGE, Perm.TICKET_HANDLE, Perm.TICKET_VERIFY}
    | _EVALUATION_OWN,
    Role.GRID_WORKER: _STAFF_VIEW | _HOUSEHOLD_WORK | _PERSONAL | _TICKET_FRONT,
    Role.DEPARTMENT_HANDLER: _STAFF_VIEW
    | {Perm.TICKET_HANDLE, Perm.INDICATOR_VIEW}
    | _UNIT_REPORTS
    | _POLICY_REVIEW
    | {Perm.POLICY_GRANT},
    # A commissioner serves talents and enterprises one to one: it sees and corrects their
    # profiles, and may reveal a talent's numbers (talent.reveal, not personal.reveal: it never
    # sees residents' numbers). Assigning and handing over caseloads is the district's.
    Role.TALENT_COMMISSIONER: _STAFF_VIEW
    | _TICKET_FRONT
    | {Perm.TALENT_VIEW, Perm.TALENT_CHANGE, Perm.TALENT_REVEAL}
    | {Perm.POLICY_VIEW},
    Role.EVALUATOR: _STAFF_VIEW | {Perm.EVALUATION_VIEW, Perm.EVALUATION_JUDGE} | _DEVELOPMENT_VIEW,
    Role.RESIDENT: frozenset(),
    Role.TALENT: frozenset(),
    Role.ENTERPRISE: frozenset(),
}

PUBLIC_ROLES = frozenset({Role.RESIDENT, Role.TALENT, Role.ENTERPRISE})


@dataclass(frozen=True)
class Scope:
    """A set of region subtrees, each given by its root's materialised path."""

    paths: tuple[str, ...]

    @classmethod
    def of(cls, paths: Iterable[str]) -> Scope:
        # Keep only the outermost roots: a path under another one adds nothing.
        ordered = sorted({p for p in paths if p})
        roots: list[str] = []
        for p in ordered:
            if not any(p == r or p.startswith(r + ".") for r in roots):
                roots.append(p)
        return cls(tuple(roots))

    @property
    def empty(self) -> bool:
        return not self.paths

    def contains(self, path: str) -> bool:
        return any(path == r or path.startswith(r + ".") for r in self.paths)

    def q(self, field: str) -> Q:
        """A filter for rows whose ``field`` (a materialised path) lies inside the scope."""
        if not self.paths:
            return Q(pk__in=[])
        # Segments are fixed width, so a prefix range never matches a sibling.
        q = Q()
        for root in self.paths:
            q |= subtree(field, root)
        return q


_ASSIGNMENTS = CompiledQuery(
    lambda user_id: Assignment.objects.filter(user_id=user_id, active=True).order_by("pk"),
    -7_000_001,
)


def assignments(user: Viewer) -> list[Assignment]:
    """The user's active assignments, loaded once per request and cached on the user object.

    Scope needs only their paths (stored on the assignment), so the regions are not joined in:
    this runs on every request, API calls included. Display code that names the regions
    asks for them (``assignment_regions``)."""
    if not isinstance(user, User):
        return []
    cached: list[Assignment] | None = getattr(user, "_gridlight_assignments", None)
    if cached is None:
        cached = _ASSIGNMENTS.all(user.pk)
        user._gridlight_assignments = cached  # type: ignore[attr-defined]
    return cached


def assignment_regions(held: list[Assignment]) -> dict[int, Region]:
    """The regions (and write regions) of these assignments by id, in one query."""
    ids = {pk for a in held for pk in (a.region_id, a.write_region_id) if pk is not None}
    return Region.objects.in_bulk(ids) if ids else {}


def roles(user: Viewer) -> set[str]:
    return {a.role for a in assignments(user)}


def is_public_user(user: Viewer) -> bool:
    held = roles(user)
    return bool(held) and held <= PUBLIC_ROLES


def scope_for(user: Viewer, perm: Perm) -> Scope:
    paths = []
    for a in assignments(user):
        if perm not in ROLE_PERMS.get(a.role, frozenset()):
            continue
        path = a.write_region_path if perm in WRITE_PERMS else a.region_path
        if path:
            paths.append(path)
    return Scope.of(paths)


def has_perm(user: Viewer, perm: Perm) -> bool:
    return not scope_for(user, perm).empty


def require(user: Viewer, perm: Perm) -> Scope:
    """The user's scope for ``perm``; 403 if the permission is held nowhere."""
    scope = scope_for(user, perm)
    if scope.empty:
        raise PermissionDenied
    return scope


M = TypeVar("M", bound=Model)


def scoped(qs: QuerySet[M], user: Viewer, perm: Perm, field: str = "region_path") -> QuerySet[M]:
    """``qs`` limited to the user's scope for ``perm`` (403 if held nowhere)."""
    return qs.filter(require(user, perm).q(field))


def get_scoped(
    qs: QuerySet[M], user: Viewer, perm: Perm, field: str = "region_path", **lookup: Any
) -> M:
    """One object inside the user's scope; 404 when it does not exist or lies outside."""
    try:
        return scoped(qs, user, perm, field).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def require_path(user: Viewer, perm: Perm, path: str) -> None:
    """Refuse (403) unless ``path`` lies in the user's scope for ``perm``."""
    if not scope_for(user, perm).contains(path):
        raise PermissionDenied


# --- view decorators -------------------------------------------------------------------------

View = TypeVar("View", bound=Callable[..., HttpResponseBase])
ACCESS_ATTR = "gridlight_access"


def access(perm: Perm | None = None) -> Callable[[View], View]:
    """Mark a page view with the permission it needs (None: any signed-in user).

    The route-walking test fails for any URL whose view lacks this mark, so a new page cannot
    forget its check.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # LoginRequiredMiddleware has sent anonymous visitors to sign in: the view's
            # request is a SignedInRequest.
            if not request.user.is_authenticated:
                raise PermissionDenied
            if perm is not None and not has_perm(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, str(perm) if perm else "authenticated")
        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: View) -> View:
    """Mark a view as open to anonymous visitors (login page, language switch, health check)."""
    wrapped = login_not_required(view)
    setattr(wrapped, ACCESS_ATTR, "public")
    return wrapped
