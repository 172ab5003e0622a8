"""Reading tickets: what a user may see, and the lists the consoles show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from gridlight.core.access import Perm, scope_for, scoped
from gridlight.core.compiled import CompiledQuery
from gridlight.core.models import User
from gridlight.core.params import parse_id
from gridlight.tickets.models import OPEN_STATUSES, Category, Message, Ticket, Unit, open_work


def my_units(user: Any) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached: list[int] | None = getattr(user, "_gridlight_units", None)
    if cached is None:
        cached = list(Unit.objects.filter(members=user, active=True).values_list("pk", flat=True))
        user._gridlight_units = cached
    return cached


_CATEGORY_BY_CODE = CompiledQuery(
    lambda code: (
        Category.objects.filter(code=code)
        .annotate(has_children=Exists(Category.objects.filter(parent=OuterRef("pk"))))
        .order_by()
    ),
    "\0category-code",
)


def category_by_code(code: str) -> Category | None:
    """The category with this code, or None; it knows whether it is a group
    (``is_group``) without another query. Asked on every intake, so compiled once."""
    return _CATEGORY_BY_CODE.one(code.strip())


def is_group(category: Category) -> bool:
    """Whether the category has sub-categories (tickets go to leaves only)."""
    known: bool | None = getattr(category, "has_children", None)
    return category.children.exists() if known is None else known


def units_for(user: Any, perm: Perm = Perm.TICKET_VIEW) -> QuerySet[Unit]:
    """Units a user works with: those inside their scope for ``perm`` and the departments of
    the districts their scope lies in."""
    scope = scope_for(user, perm)
    if scope.empty:
        return Unit.objects.none()
    districts = {p.split(".")[0] for p in scope.paths}
    return Unit.objects.filter(
        scope.q("region_path") | Q(kind="department", region_path__in=districts), active=True
    )


def open_work_for(user: Any, perm: Perm) -> QuerySet[Ticket]:
    """Open tickets in the user's scope for ``perm`` (403 if held nowhere), read through the
    partial index of open tickets: what the consoles, the supervision board and the home page
    count and list. A district's open work is a few thousand tickets among a million."""
    return scoped(Ticket.objects.filter(open_work()), user, perm)


def suggested_units(tickets: Iterable[Ticket]) -> dict[int, int | None]:
    """The unit to dispatch each ticket to, by ticket id: the category's default unit, or the
    office of the ticket's street for categories that go to the street. One query for the
    street offices, however many tickets (the dispatch console lists two hundred)."""
    tickets = list(tickets)
    streets = {t.street_id for t in tickets if t.category.to_street and t.street_id}
    offices: dict[int, int] = {}
    if streets:
        rows = (
            Unit.objects.filter(region_id__in=streets, kind="street")
            .order_by("kind", "code")
            .values_list("region_id", "pk")
        )
        for region_id, pk in rows:
            offices.setdefault(region_id, pk)
    return {
        t.pk: (offices.get(t.street_id or 0) if t.category.to_street else None)
        or t.category.default_unit_id
        for t in tickets
    }


def visibility(user: Any) -> Q:
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


def visible(user: Any) -> QuerySet[Ticket]:
    return Ticket.objects.filter(visibility(user))


def get_visible(user: Any, pk: Any) -> Ticket:
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


def inbox(user: Any) -> QuerySet[Message]:
    """The user's in-app messages, newest first, about tickets they may see now (a message
    about a ticket that has since left their sight is kept but not shown)."""
    return (
        Message.objects.filter(user=user)
        .filter(Q(ticket__isnull=True) | Exists(visible(user).filter(pk=OuterRef("ticket_id"))))
        .order_by("-id")
    )


@dataclass
class Similar:
    """Open tickets like one being written that the person may see: the first few (title,
    status, date) and how many more of them there are. Nothing they may not see is shown or
    counted (a resident sees only their own tickets; a grid worker not the next grid's)."""

    shown: list[Ticket]
    others: int


def similar_open(
    user: Any, *, category: Category, region_path: str, title: str = "", limit: int = 5
) -> Similar:
    """Open tickets of the same category in the same community (or street) from the last 30
    days — shown before submitting so the person can follow one instead of duplicating it."""
    parts = region_path.split(".")
    near = ".".join(parts[: min(len(parts), 3)])
    since = timezone.now() - timedelta(days=30)
    from gridlight.core.models.regions import subtree

    nearby = Ticket.objects.filter(
        subtree("region_path", near),
        category=category,
        status__in=OPEN_STATUSES,
        created_at__gte=since,
    )
    mine = nearby.filter(visibility(user))
    qs = mine.only("pk", "title", "status", "created_at", "address", "region_path").order_by(
        "-created_at"
    )
    found = list(qs[: limit * 4])
    words = {w for w in title.split() if len(w) > 1}
    if words:
        found.sort(key=lambda t: -sum(w in t.title for w in words))
    shown = found[:limit]
    others = mine.count() - len(shown) if len(found) > limit else 0
    return Similar(shown=shown, others=others)
