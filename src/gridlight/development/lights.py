"""A key project's progress and light, as pure functions (tested without a database).

Progress (实际进度) is what the approved reports add up to against each milestone's planned
quantity: the demolition task's 157,000 of 210,000 m² is 74.8%. The time-proportional plan
(序时进度) is the share of each milestone's planned time that has passed — earned value's planned
value. A project is yellow when it is ``yellow_behind`` to ``red_behind`` points behind that
plan and red beyond (Yinchuan 2025: 10 and 30); a start later than planned is yellow, and red
once it is ``late_start_red_days`` late; a statistical registration (入统) past its due date is
yellow. Every light comes with its reasons, each a code with the numbers that decided it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")

RED, YELLOW, GREEN = "red", "yellow", "green"
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}


@dataclass(frozen=True)
class Thresholds:
    yellow_behind: Decimal = Decimal(10)
    red_behind: Decimal = Decimal(30)
    late_start_red_days: int = 90


@dataclass(frozen=True)
class MilestonePlan:
    planned_quantity: Decimal
    planned_start: date
    planned_end: date
    weight: int = 1
    done: Decimal = Decimal(0)  # approved quantities, all months to the assessed one


@dataclass(frozen=True)
class ProjectFacts:
    milestones: Sequence[MilestonePlan]
    planned_start: date
    started_on: date | None
    completed: bool
    registration_due: date | None = None
    registered_on: date | None = None


@dataclass(frozen=True)
class Assessment:
    actual_pct: Decimal | None  # None: the project has no milestone to measure
    planned_pct: Decimal | None
    light: str
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def behind(self) -> Decimal | None:
        if self.actual_pct is None or self.planned_pct is None:
            return None
        return self.planned_pct - self.actual_pct


def time_share(start: date, end: date, as_of: date) -> Decimal:
    """The share of [start, end] passed on ``as_of`` (both ends counted), between 0 and 1."""
    if as_of < start:
        return Decimal(0)
    if as_of >= end:
        return Decimal(1)
    return Decimal((as_of - start).days + 1) / Decimal((end - start).days + 1)


def _weighted(pairs: Iterable[tuple[Decimal, int]]) -> Decimal | None:
    pairs = list(pairs)
    total = sum(w for _v, w in pairs)
    if not total:
        return None
    share = sum((v * w for v, w in pairs), Decimal(0)) / total
    return (share * HUNDRED).quantize(TWO_PLACES, ROUND_HALF_UP)


def actual_progress(milestones: Sequence[MilestonePlan]) -> Decimal | None:
    """Weighted share of the planned quantities done, in percent (each milestone counts at most
    fully: doing more of one does not make up for another)."""
    return _weighted(
        (min(m.done / m.planned_quantity, Decimal(1)), m.weight)
        for m in milestones
        if m.planned_quantity > 0
    )


def planned_progress(milestones: Sequence[MilestonePlan], as_of: date) -> Decimal | None:
    """The time-proportional plan (序时进度) on ``as_of``, in percent."""
    return _weighted(
        (time_share(m.planned_start, m.planned_end, as_of), m.weight)
        for m in milestones
        if m.planned_quantity > 0
    )


def assess(facts: ProjectFacts, as_of: date, thresholds: Thresholds) -> Assessment:
    """The project's progress, plan and light on ``as_of`` with the reasons for it."""
    return judge(
        actual_progress(facts.milestones),
        planned_progress(facts.milestones, as_of),
        facts,
        as_of,
        thresholds,
    )


def percent(share_sum: Decimal | float | None, weight_sum: Decimal | int | None) -> Decimal | None:
    """A weighted share summed by the database (Σ weight × share) as a percent, rounded as
    :func:`actual_progress` rounds it: first to nine places (an SQLite float's last digits are
    noise), then half up to two."""
    if share_sum is None or not weight_sum:
        return None
    share = Decimal(str(share_sum)) / Decimal(weight_sum) * HUNDRED
    return share.quantize(Decimal("1e-9"), ROUND_HALF_UP).quantize(TWO_PLACES, ROUND_HALF_UP)


def judge(
    actual: Decimal | None,
    planned: Decimal | None,
    facts: ProjectFacts,
    as_of: date,
    thresholds: Thresholds,
) -> Assessment:
    """The light and its reasons from progress and plan already computed (in percent); the
    milestones of ``facts`` are not read (the database summed them)."""
    light = GREEN
    reasons: list[dict[str, Any]] = []

    def flag(colour: str, code: str, **numbers: Any) -> None:
        nonlocal light
        if _RANK[colour] > _RANK[light]:
            light = colour
        reasons.append({"code": code, "light": colour, **numbers})

    if actual is not None and planned is not None and not facts.completed:
        behind = planned - actual
        if behind > thresholds.red_behind:
            flag(RED, "behind", behind=str(behind), actual=str(actual), planned=str(planned))
        elif behind >= thresholds.yellow_behind:
            flag(YELLOW, "behind", behind=str(behind), actual=str(actual), planned=str(planned))
    if facts.started_on is None and as_of > facts.planned_start and not facts.completed:
        late = (as_of - facts.planned_start).days
        colour = RED if late > thresholds.late_start_red_days else YELLOW
        flag(colour, "late_start", days=late, planned_start=facts.planned_start.isoformat())
    if (
        facts.registration_due is not None
        and facts.registered_on is None
        and as_of > facts.registration_due
    ):
        flag(YELLOW, "late_registration", due=facts.registration_due.isoformat())
    return Assessment(actual, planned, light, reasons)


def reason_text(reason: dict[str, Any]) -> str:
    """A stored reason as people read it."""
    code = reason.get("code")
    if code == "behind":
        return _(
            "%(behind)s points behind the time-proportional plan (done %(actual)s%%, "
            "planned %(planned)s%%)"
        ) % {k: reason.get(k, "") for k in ("behind", "actual", "planned")}
    if code == "late_start":
        return _("Not started %(days)s days after the planned start (%(planned_start)s)") % {
            "days": reason.get("days", ""),
            "planned_start": reason.get("planned_start", ""),
        }
    if code == "late_registration":
        return _("Not statistically registered although due on %(due)s") % {
            "due": reason.get("due", "")
        }
    return str(code)
