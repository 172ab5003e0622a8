"""Who may see a ticket and who may take a step on it: the one place for ticket access.

Each decision is a small function with one condition a line, in the style of Zulip's
``access_*`` functions. Selectors read through :func:`visible`; services refuse through
:data:`ACTORS` and :func:`may`; the pages and the API ask the same functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from gridlight.core.access import Perm, Viewer, scope_for
from gridlight.core.models import User
from gridlight.core.params import parse_id
from gridlight.tickets.models import Ticket, Unit

# --- may I see it? ----------------------------------------------------------------------------


def my_units(user: Viewer) -> list[int]:
    """The active units the user is a member of (cached on the user for the request)."""
    if not isinstance(user, User):
        return []
    cached: list[int] | None = getattr(user, "_gridlight_units", None)
    if cached is None:
        cached = list(Unit.objects.filter(members=user, active=True).values_list("pk", flat=True))
        user._gridlight_units = cached  # type: ignore[attr-defined]
    return cached


def units_for(user: Viewer, perm: Perm = Perm.TICKET_VIEW) -> QuerySet[Unit]:
    """Units a user works with: those inside their scope for ``perm`` and the departments of
    the districts their scope lies in."""
    scope = scope_for(user, perm)
    if scope.empty:
        return Unit.objects.none()
    districts = {p.split(".")[0] for p in scope.paths}
    return Unit.objects.filter(
        scope.q("region_path") | Q(kind="department", region_path__in=districts), active=True
    )


def visibility(user: Viewer) -> Q:
    """Tickets a user may see: those in their ticket scope, those dispatched to a unit of
    theirs (within their handling scope), and their own."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(requester=user)
    view = scope_for(user, Perm.TICKET_VIEW)
    if not view.empty:
        q |= view.q("region_path")
    handle = scope_for(user, Perm.TICKET_HANDLE)
    units = my_units(user)
    if units and not handle.empty:
        q |= Q(unit_id__in=units) & handle.q("region_path")
    return q


def visible(user: Viewer) -> QuerySet[Ticket]:
    return Ticket.objects.filter(visibility(user))


def get_visible(user: Viewer, pk: Any) -> Ticket:
    """The ticket if the user may see it, else 404 (also for an id that is not a number)."""
    number = parse_id(pk)
    try:
        if number is None:
            raise Ticket.DoesNotExist
        return (
            visible(user)
            .select_related("category__policy", "unit", "region", "street", "handler", "requester")
            .get(pk=number)
        )
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def readers(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of these (user id, ticket id) pairs, those where the user may see the ticket — by
    :func:`visible`, the one rule for that. A notice is addressed only to them: a unit member
    outside the ticket's place (a department's member in another district, a handler whose
    unit no longer holds the ticket) is not told its title. One query per user."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for user_id, ticket_id in pairs:
        wanted[user_id].add(ticket_id)
    found: set[tuple[int, int]] = set()
    for user in User.objects.filter(pk__in=wanted):
        seen = visible(user).filter(pk__in=wanted[user.pk]).values_list("pk", flat=True)
        found.update((user.pk, ticket_id) for ticket_id in seen)
    return found


# --- may I take this step? --------------------------------------------------------------------


def in_scope(user: Viewer, perm: Perm, ticket: Ticket) -> bool:
    return scope_for(user, perm).contains(ticket.region_path)


def is_requester(user: Viewer, ticket: Ticket) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(ticket.requester_id == user.pk)


def is_handler(user: Viewer, ticket: Ticket) -> bool:
    if ticket.unit_id is None or not isinstance(user, User):
        return False
    if not in_scope(user, Perm.TICKET_HANDLE, ticket):
        return False
    return Unit.members.through.objects.filter(unit_id=ticket.unit_id, user_id=user.pk).exists()


def can_dispatch(user: Viewer, ticket: Ticket) -> bool:
    return in_scope(user, Perm.TICKET_DISPATCH, ticket)


def can_verify(user: Viewer, ticket: Ticket) -> bool:
    return in_scope(user, Perm.TICKET_VERIFY, ticket)


def is_requester_or_dispatcher(user: Viewer, ticket: Ticket) -> bool:
    if is_requester(user, ticket):
        return True
    return can_dispatch(user, ticket)


# Who may take each step; the pages and the API use the same table to decide what to offer.
ACTORS: dict[str, Callable[[Any, Ticket], bool]] = {
    "accept": can_dispatch,
    "reject": can_dispatch,
    "dispatch": can_dispatch,
    "sign": is_handler,
    "start": is_handler,
    "send_back": is_handler,
    "handle": is_handler,
    "request_extension": is_handler,
    "decide_extension": can_dispatch,
    "verify": can_verify,
    "rate": is_requester_or_dispatcher,
    "reopen": can_dispatch,
    "close": can_dispatch,
    "withdraw": is_requester_or_dispatcher,
}


def may(user: Viewer, name: str, ticket: Ticket) -> bool:
    """Whether ``user`` may take step ``name`` now (role, scope and the ticket's state)."""
    from django_fsm import can_proceed

    if not ACTORS[name](user, ticket):
        return False
    if name == "decide_extension" and not ticket.extension_requested:
        return False
    return can_proceed(getattr(ticket, name))
