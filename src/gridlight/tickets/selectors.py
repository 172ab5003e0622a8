"""Reading tickets: the lists the consoles show (who may see what is tickets/access.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gridlight.core.access import Perm, Viewer, scoped
from gridlight.core.compiled import CompiledQuery
from gridlight.core.models import User
from gridlight.tickets.access import visibility, visible
from gridlight.tickets.models import OPEN_STATUSES, Category, Message, Ticket, Unit, open_work

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


def open_work_for(user: Viewer, perm: Perm) -> QuerySet[Ticket]:
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


def inbox(user: User) -> QuerySet[Message]:
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
    user: Viewer, *, category: Category, region_path: str, title: str = "", limit: int = 5
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
