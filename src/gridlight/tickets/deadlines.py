"""Deadlines of a dispatch in working days (see docs/tickets.md).

A deadline "within N working days" ends at midnight after the N-th working day following the
day of dispatch. The yellow card starts ``yellow_days`` working days before that day ends; the
ticket is put under supervision ``supervise_days`` working days after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from gridlight.core.workdays import WorkCalendar
from gridlight.tickets.models import SlaPolicy


def end_of(day: date) -> datetime:
    """Midnight after ``day``, in the district's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def due_day(deadline: datetime) -> date:
    """The last day a deadline (midnight after it, see :func:`end_of`) leaves to act."""
    return local_day(deadline - timedelta(microseconds=1))


@dataclass(frozen=True)
class Deadlines:
    sign_due: datetime
    return_due: datetime
    due_at: datetime
    yellow_at: datetime
    supervise_at: datetime


def for_dispatch(
    calendar: WorkCalendar, policy: SlaPolicy, at: datetime, extra_days: int = 0
) -> Deadlines:
    start = local_day(at)
    due_day = calendar.add_workdays(start, policy.handle_days + extra_days)
    return Deadlines(
        sign_due=end_of(calendar.add_workdays(start, policy.response_days)),
        return_due=end_of(calendar.add_workdays(start, policy.return_days)),
        **handling(calendar, policy, due_day),
    )


def handling(calendar: WorkCalendar, policy: SlaPolicy, due_day: date) -> dict[str, datetime]:
    """The handling deadline and its card and supervision moments for a given last day."""
    return {
        "due_at": end_of(due_day),
        "yellow_at": end_of(calendar.subtract_workdays(due_day, policy.yellow_days)),
        "supervise_at": end_of(calendar.add_workdays(due_day, policy.supervise_days)),
    }


def calendar_gaps(*days: date | None) -> list[int]:
    """The years among ``days`` whose statutory holidays the national calendar does not know
    yet: deadlines there count weekends and the district's own entries only, and the pages
    that show such a deadline say so."""
    calendar = WorkCalendar()
    return sorted({d.year for d in days if d is not None and not calendar.covers(d.year)})


def horizon_days() -> int:
    """How many calendar days ahead the deadlines of a dispatch made today may reach: the
    longest handling time with every extension, in working days, spread over weekends and a
    long holiday."""
    from django.db.models import F, Max

    longest = SlaPolicy.objects.aggregate(n=Max(F("handle_days") + F("max_extension_days")))["n"]
    return (longest or 0) * 7 // 5 + 14
