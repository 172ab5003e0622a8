"""What of a ticket each viewer is shown: the one place that decides it for the pages, the API
and Open311.

Staff see a ticket in their scope whole. The public (residents, talents, enterprises), who see
only their own tickets, see it as the answer to their request: the steps that concern them, the
units that act on it, and the words addressed to them (why it was rejected or reopened, what
was done) or written by them. Never the names of staff, internal notes (dispatch, start, verify
and closing notes, returns, extension requests), cards, supervision or the return and reopening
counts."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from gridlight.core.access import Viewer, is_public_user
from gridlight.tickets.models import Step, Ticket, Transition

# Fields of a ticket the public are not shown: read as None through ``for_viewer``.
INTERNAL_FIELDS = (
    "handler",
    "card",
    "supervised",
    "round",
    "return_count",
    "reopen_count",
    "return_due",
    "yellow_at",
    "supervise_at",
    "extension_requested",
    "extension_reason",
)
# Steps the public see in their ticket's timeline, and those whose words they see: replies to
# them (reject, reopen, handle) and their own (rate, withdraw).
PUBLIC_STEPS = frozenset(
    {
        Step.SUBMIT,
        Step.ACCEPT,
        Step.REJECT,
        Step.DISPATCH,
        Step.SIGN,
        Step.START,
        Step.HANDLE,
        Step.RATE,
        Step.REOPEN,
        Step.CLOSE,
        Step.WITHDRAW,
    }
)
PUBLIC_REASONS = frozenset({Step.REJECT, Step.REOPEN, Step.HANDLE, Step.RATE, Step.WITHDRAW})
# Steps a unit takes: the public see the unit's name as who acted.
UNIT_STEPS = frozenset({Step.SIGN, Step.START, Step.HANDLE})


def staff_view(user: Viewer) -> bool:
    """Whether ``user`` sees tickets whole (staff) rather than as the public do."""
    return not is_public_user(user)


def for_viewer(ticket: Ticket, user: Viewer) -> Ticket:
    """The ticket as ``user`` may see it: itself for staff; for the public a copy whose internal
    fields are None (never saved: services are always given the stored ticket)."""
    if staff_view(user):
        return ticket
    shown = copy.copy(ticket)
    for name in INTERNAL_FIELDS:
        setattr(shown, name, None)
    return shown


@dataclass(frozen=True)
class Entry:
    """One step of a ticket's timeline as its viewer sees it."""

    at: datetime
    name: str
    label: str
    actor: str
    unit: str
    unit_code: str
    reason: str
    source: str
    target: str
    by_requester: bool
    by_system: bool


def timeline(ticket: Ticket, user: Viewer) -> list[Entry]:
    """The ticket's steps in order, each with who took it and what was said, as ``user`` may
    see them (staff: display names and every note; the public: see the module's docstring)."""
    staff = staff_view(user)
    rows = ticket.transitions.select_related("actor", "unit").order_by("at", "id")
    entries = []
    for tr in rows:
        if not _shown(tr, staff):
            continue
        entries.append(
            Entry(
                at=tr.at,
                name=tr.name,
                label=str(tr.get_name_display()),
                actor=_actor(tr, ticket, staff),
                # Where the step sent the ticket (dispatch, reopen) or the unit that took it.
                unit=tr.unit.name if tr.unit else "",
                unit_code=tr.unit.code if tr.unit else "",
                reason=_reason(tr, staff),
                source=tr.source,
                target=tr.target,
                by_requester=_by_requester(tr, ticket),
                by_system=tr.actor_id is None,
            )
        )
    return entries


def _shown(tr: Transition, staff: bool) -> bool:
    return staff or tr.name in PUBLIC_STEPS


def _reason(tr: Transition, staff: bool) -> str:
    return tr.reason if staff or tr.name in PUBLIC_REASONS else ""


def _by_requester(tr: Transition, ticket: Ticket) -> bool:
    return ticket.requester_id is not None and tr.actor_id == ticket.requester_id


def _actor(tr: Transition, ticket: Ticket, staff: bool) -> str:
    if tr.actor_id is not None and _by_requester(tr, ticket):
        return str(tr.actor) if staff else _("you")
    if not staff and tr.name in UNIT_STEPS and tr.unit is not None:
        return tr.unit.name  # the unit acted, whoever in it (or its system) recorded it
    if tr.actor_id is None:
        return _("system")
    return str(tr.actor) if staff else _("staff")


def status_notes(ticket_ids: list[int], user: Viewer) -> dict[int, str]:
    """The latest words ``user`` may read on each ticket (Open311's ``status_notes``), for a
    whole list at once: one query over the steps that carry words the viewer may read, read as
    plain values (a thousand tickets' steps as model instances cost a quarter of a second)."""
    steps = Transition.objects.filter(ticket_id__in=ticket_ids).exclude(reason="")
    if not staff_view(user):
        steps = steps.filter(name__in=PUBLIC_STEPS & PUBLIC_REASONS)
    latest: dict[int, str] = {}
    for ticket_id, reason in steps.order_by("ticket_id", "at", "pk").values_list(
        "ticket_id", "reason"
    ):
        latest[ticket_id] = reason
    return latest
