"""Folding a ticket's transition log into one fact row per dispatch (the unit of every KPI).

The same fold runs after every transition (for that ticket, inside its transaction) and over the
whole log when the facts are rebuilt, so the two cannot disagree. Definitions: docs/tickets.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from gridlight.tickets.deadlines import local_day
from gridlight.tickets.models import DispatchFact, Ticket, Transition

SATISFIED = {"satisfied", "basic"}
FACT_FIELDS = (
    "unit_id",
    "dispatched_at",
    "month",
    "responded",
    "responded_on_time",
    "returned",
    "handled",
    "handled_on_time",
    "overdue",
    "rated",
    "resolved",
    "satisfied",
    "reopened",
)


@dataclass
class Round:
    round: int
    unit_id: int
    dispatched_at: datetime
    sign_due: datetime
    due_at: datetime
    responded: bool = False
    responded_on_time: bool = False
    returned: bool = False
    handled: bool = False
    handled_on_time: bool = False
    overdue: bool = False
    rated: bool = False
    resolved: bool = False
    satisfied: bool = False
    reopened: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def month(self) -> date:
        return local_day(self.dispatched_at).replace(day=1)


def _when(value: Any) -> datetime:
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed


def fold(log: Iterable[Transition]) -> dict[int, Round]:
    """The dispatch rounds of one ticket, from its transitions in order."""
    rounds: dict[int, Round] = {}
    current: Round | None = None
    for t in log:
        if t.name in ("dispatch", "reopen"):
            if t.name == "reopen" and current is not None:
                current.reopened = True
            current = Round(
                round=t.round,
                unit_id=int(t.data["unit"]),
                dispatched_at=t.at,
                sign_due=_when(t.data["sign_due"]),
                due_at=_when(t.data["due_at"]),
            )
            rounds[t.round] = current
            continue
        if current is None or t.round != current.round:
            continue
        if t.name in ("sign", "send_back") and not current.responded:
            current.responded = True
            current.responded_on_time = t.at <= current.sign_due
        if t.name == "send_back":
            current.returned = True
        elif t.name == "decide_extension" and t.data.get("approved"):
            current.due_at = _when(t.data["due_at"])
        elif t.name == "handle":
            # The last report counts: work sent back by a failed verification and finished
            # after the deadline is late.
            current.handled = True
            current.handled_on_time = t.at <= current.due_at
            if not current.handled_on_time:
                current.overdue = True
        elif t.name == "card" and t.data.get("card") == "red":
            # Red cards are shown only while a unit holds the ticket, past its deadline.
            current.overdue = True
        elif t.name == "rate":
            current.rated = True
            current.resolved = bool(t.data.get("resolved"))
            current.satisfied = t.data.get("satisfaction") in SATISFIED
    return rounds


def _rows(ticket: Ticket, rounds: dict[int, Round]) -> list[DispatchFact]:
    return [
        DispatchFact(
            ticket_id=ticket.pk,
            round=r.round,
            category_id=ticket.category_id,
            region_path=ticket.region_path,
            street_id=ticket.street_id,
            talent=ticket.talent,
            **{f: getattr(r, f) for f in FACT_FIELDS},
        )
        for r in rounds.values()
    ]


def refresh(ticket: Ticket) -> None:
    """Bring one ticket's facts in line with its log (call inside the transition's transaction)."""
    rounds = fold(Transition.objects.filter(ticket=ticket).order_by("at", "id"))
    if not rounds:
        return
    DispatchFact.objects.bulk_create(
        _rows(ticket, rounds),
        update_conflicts=True,
        unique_fields=["ticket", "round"],
        update_fields=[*FACT_FIELDS, "category", "region_path", "street", "talent"],
    )


def rebuild(batch: int = 5000, progress: Any = None) -> int:
    """Recompute every fact from the transition log; returns the number of fact rows."""
    total = 0
    ids: Sequence[int] = list(
        Ticket.objects.filter(round__gt=0).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=chunk)}
        logs: dict[int, list[Transition]] = {pk: [] for pk in chunk}
        for t in Transition.objects.filter(ticket_id__in=chunk).order_by("ticket_id", "at", "id"):
            logs[t.ticket_id].append(t)
        rows: list[DispatchFact] = []
        for pk in chunk:
            rows += _rows(tickets[pk], fold(logs[pk]))
        with transaction.atomic():
            DispatchFact.objects.filter(ticket_id__in=chunk).delete()
            DispatchFact.objects.bulk_create(rows, batch_size=2000)
        total += len(rows)
        if progress:
            progress(int(100 * (start + len(chunk)) / max(len(ids), 1)), f"{total}")
    return total
