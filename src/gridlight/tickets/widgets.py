"""Tickets on the home page: what waits for this user, by role."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from gridlight.core.access import Perm, has_perm, is_public_user
from gridlight.core.models import User
from gridlight.core.widgets import register
from gridlight.tickets import disclosure
from gridlight.tickets.access import my_units
from gridlight.tickets.models import OPEN_STATUSES, WITH_UNIT, Card, Status, Ticket
from gridlight.tickets.selectors import inbox, open_work_for


@register
def tickets(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not isinstance(user, User):  # the home page is for signed-in users only
        return None
    tiles: list[tuple[str, int, str]] = []  # label key, count, link
    recent: list[Ticket] | None = None
    now = timezone.now()
    if is_public_user(user):
        mine = Ticket.objects.filter(requester=user).aggregate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            rate=Count("pk", filter=Q(status=Status.FOLLOW_UP, rated=False)),
        )
        tiles += [("my_open", mine["open"], "list"), ("to_rate", mine["rate"], "list")]
        # Their latest tickets, as they may see them: the home page's "my records".
        recent = [
            disclosure.for_viewer(t, user)
            for t in Ticket.objects.filter(requester=user).order_by("-created_at", "-id")[:5]
        ]
    units = my_units(user)
    if units and has_perm(user, Perm.TICKET_HANDLE):
        held = (
            open_work_for(user, Perm.TICKET_HANDLE)
            .filter(unit_id__in=units)
            .aggregate(
                sign=Count("pk", filter=Q(status=Status.DISPATCHED)),
                overdue=Count("pk", filter=Q(status__in=WITH_UNIT, due_at__lt=now)),
            )
        )
        tiles += [("to_sign", held["sign"], "worklist"), ("overdue", held["overdue"], "worklist")]
    if has_perm(user, Perm.TICKET_DISPATCH):
        # Open work only: the partial index of open tickets, not every ticket of the district.
        waiting = open_work_for(user, Perm.TICKET_DISPATCH).aggregate(
            new=Count("pk", filter=Q(status__in=[Status.SUBMITTED, Status.ACCEPTED])),
            red=Count("pk", filter=Q(status__in=WITH_UNIT, card=Card.RED)),
        )
        tiles += [
            ("to_dispatch", waiting["new"], "dispatch"),
            ("red", waiting["red"], "supervision"),
        ]
    if not tiles:
        return None
    unread = inbox(user).filter(read_at__isnull=True).count()
    return {"template": "tickets/_home.html", "tiles": tiles, "unread": unread, "recent": recent}
