"""Synthetic ticket history for the demo district: three years of closed-loop tickets (about a
million at the district's size) and the still-open recent ones, so that KPIs, consoles and the
sweeper have realistic work.

Each ticket is played through the lifecycle in memory — submit, accept, dispatch, sign, start,
handle, [verify], rate, close; with send-backs and re-dispatches, extensions, reopenings and the
sweeper's cards — following what :mod:`gridlight.tickets.services` does to the ticket's fields
and log; deadlines come from :mod:`gridlight.tickets.deadlines` on the district's working-day
calendar (cached per day). A ticket's dispatch facts are computed by :func:`facts.fold` on the
very transitions that are written, so they are what ``rebuild_ticket_facts`` would make.
The timeline stops at the present moment: tickets raised in the last days are left open in
whatever state they had reached, without the sweeper's cards (the sweeper's first run adds them).

Rows go in with explicit ticket ids, 20,000 tickets at a time: COPY on PostgreSQL, multi-row
INSERTs on SQLite (as the household import does). Requesters are synthetic: names from the
household demo's generator, phone numbers from a small pool encrypted once.
"""

from __future__ import annotations

import contextlib
import gc
import json
import random
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from gridlight.core.bulk import bulk_insert
from gridlight.core.crypto import encrypt
from gridlight.core.demo.people import person_name
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.workdays import WorkCalendar, district_calendar
from gridlight.tickets import deadlines, facts
from gridlight.tickets.catalogue import ensure_units
from gridlight.tickets.models import (
    Category,
    CloseReason,
    DispatchFact,
    SlaPolicy,
    Source,
    Status,
    Ticket,
    Transition,
    Unit,
    UnitKind,
)

Progress = Callable[[int, str], None]
CHUNK = 20_000
YEARS = 3
SEED = 20240101

# Relative frequency of each leaf category (the district's 12345 mix: sanitation, property and
# heating first; talent services a little under 1 %). Categories not named here weigh 1.
WEIGHTS: dict[str, float] = {
    "sanitation": 140,
    "street_vending": 70,
    "illegal_building": 40,
    "street_light": 45,
    "road_damage": 55,
    "manhole": 15,
    "heating_water": 95,
    "property_service": 130,
    "lift": 20,
    "employment": 30,
    "elderly_care": 30,
    "assistance": 20,
    "medical": 30,
    "noise": 80,
    "fumes": 30,
    "food_safety": 20,
    "consumer": 40,
    "neighbours": 60,
    "school_enrolment": 2.4,
    "talent_housing": 2.2,
    "hukou": 1.6,
    "spouse_job": 1.4,
    "talent_policy": 1.4,
}
TEXTS: dict[str, list[tuple[str, str]]] = {
    "sanitation": [
        ("小区垃圾清运不及时", "小区门口垃圾桶满溢多日，无人清运，气味很大。"),
        ("楼道堆放杂物", "楼道内长期堆放杂物，影响通行，存在消防隐患。"),
    ],
    "street_vending": [("路口占道经营", "早晚高峰有商贩在路口占道摆摊，影响通行。")],
    "illegal_building": [("楼顶私搭乱建", "有住户在楼顶搭建彩钢房，请核查。")],
    "street_light": [("路灯不亮", "道路两侧多盏路灯夜间不亮，行人出行不便。")],
    "road_damage": [("道路坑洼", "路面出现较大坑洼，雨天积水，车辆通行困难。")],
    "manhole": [("井盖缺失", "人行道上井盖缺失，存在安全隐患，请尽快处理。")],
    "heating_water": [
        ("暖气不热", "供暖开始后家中暖气温度偏低，室温不足16度。"),
        ("停水无通知", "小区突然停水，未见任何通知，不知何时恢复。"),
    ],
    "property_service": [
        ("物业服务不到位", "物业对小区绿化和卫生管理不到位，业主多次反映无果。"),
        ("停车管理混乱", "小区内车辆乱停乱放，消防通道被占用。"),
    ],
    "lift": [("电梯经常故障", "单元电梯近期多次停运，老人上下楼困难。")],
    "employment": [("咨询就业补贴", "想了解灵活就业社保补贴的申请条件和流程。")],
    "elderly_care": [("咨询助餐服务", "家中老人独居，想申请社区助餐服务。")],
    "assistance": [("申请临时救助", "家庭因病致困，希望申请临时救助。")],
    "medical": [("社区卫生服务站", "希望社区卫生服务站延长周末服务时间。")],
    "noise": [
        ("夜间施工噪音", "附近工地夜间施工，噪音扰民，影响休息。"),
        ("商户音响噪音", "临街商铺音响声音过大，从早到晚不停。"),
    ],
    "fumes": [("餐馆油烟扰民", "楼下餐馆油烟直排，窗户无法打开。")],
    "food_safety": [("食品过期", "超市销售过期食品，请市场监管部门查处。")],
    "consumer": [("预付卡退费难", "健身房关门，预付卡余额无法退还。")],
    "neighbours": [("邻里漏水纠纷", "楼上住户漏水导致我家天花板受损，协商未果。")],
    "school_enrolment": [("人才子女入学", "引进人才，子女需就近入学，请协调学位。")],
    "talent_housing": [("申请人才公寓", "新引进博士，申请入住人才公寓。")],
    "hukou": [("人才落户办理", "办理人才落户手续遇到材料问题，请协助。")],
    "spouse_job": [("配偶就业安置", "引进人才配偶随迁，希望协助推荐就业岗位。")],
    "talent_policy": [("人才补贴未到账", "人才安家补贴申请已通过，资金尚未到账。")],
}
ROADS = ("经一路", "经二路", "纬五路", "英雄山路", "舜耕路", "玉函路", "建设路", "六里山路")
RESULTS = ("已现场处理完毕", "已协调相关单位解决", "已联系诉求人并答复", "已整改到位")
RETURN_REASONS = ("不属于本单位职责", "诉求地址不在本辖区", "应由其他部门办理")
_ONE_SECOND = timedelta(seconds=1)


class _Stop(Exception):
    """The ticket's next step would lie in the future: it stays as it is now."""


@dataclass(slots=True)
class _Step:
    """One transition, in memory (the attributes :func:`facts.fold` reads, and the rest)."""

    name: str
    source: str
    target: str
    at: datetime
    unit_id: int | None
    round: int
    actor_id: int | None
    reason: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Deadlines:
    """A dispatch's deadlines in UTC (comparisons between datetimes of one time zone are
    cheap), and the two the log names as services write them."""

    sign_due: datetime
    return_due: datetime
    due_at: datetime
    yellow_at: datetime
    supervise_at: datetime
    sign_iso: str
    due_iso: str


class _Calendar:
    """Deadlines of a policy for a day, cached (the working-day calendar is slow per call)."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        # The package's answer for each day of the span, asked once: it is slow per call.
        known = dict(calendar.overrides)
        day = first
        while day <= last:
            if day not in known:
                known[day] = calendar.is_workday(day)
            day += timedelta(days=1)
        self.calendar = WorkCalendar(known, calendar.uncovered_years)
        self.zone = timezone.get_current_timezone()
        self._dispatch: dict[tuple[date, int], _Deadlines] = {}
        self._handling: dict[tuple[date, int], dict[str, datetime]] = {}
        self._add: dict[tuple[date, int], date] = {}

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def dispatch(self, policy: SlaPolicy, at: datetime) -> _Deadlines:
        key = (self.local_day(at), policy.pk)
        found = self._dispatch.get(key)
        if found is None:
            d = deadlines.for_dispatch(self.calendar, policy, at)
            found = self._dispatch[key] = _Deadlines(
                d.sign_due.astimezone(UTC),
                d.return_due.astimezone(UTC),
                d.due_at.astimezone(UTC),
                d.yellow_at.astimezone(UTC),
                d.supervise_at.astimezone(UTC),
                d.sign_due.isoformat(),
                d.due_at.isoformat(),
            )
        return found

    def extended(
        self, policy: SlaPolicy, due_at: datetime, days: int
    ) -> tuple[dict[str, datetime], str]:
        """As services.decide_extension: the deadline's last day plus ``days`` working days;
        the new moments in UTC, and the new deadline as the log names it."""
        last = self.local_day(due_at - _ONE_SECOND)
        key = (last, days)
        day = self._add.get(key)
        if day is None:
            day = self._add[key] = self.calendar.add_workdays(last, days)
        hkey = (day, policy.pk)
        found = self._handling.get(hkey)
        if found is None:
            moments = deadlines.handling(self.calendar, policy, day)
            found = self._handling[hkey] = {k: v.astimezone(UTC) for k, v in moments.items()}
            found["iso"] = moments["due_at"]
        return found, found["iso"].isoformat()


# Every Ticket column the builder sets; any other column gets its field's default.
_TICKET_STATE = (
    "status",
    "version",
    "unit_id",
    "handler_id",
    "round",
    "updated_at",
    "dispatched_at",
    "sign_due",
    "return_due",
    "due_at",
    "yellow_at",
    "supervise_at",
    "extension_days",
    "extension_requested",
    "extension_reason",
    "card",
    "supervised",
    "return_count",
    "reopen_count",
    "resolved",
    "satisfaction",
    "rated",
    "close_reason",
    "closed_at",
    "duplicate_of_id",
)


class _Ticket:
    """A ticket's mutable state while it is played through, changed as the services change it."""

    __slots__ = (*_TICKET_STATE, "steps", "now", "policy", "admin_id")

    def __init__(self, now: datetime, policy: SlaPolicy, admin_id: int | None) -> None:
        self.now = now
        self.policy = policy
        self.admin_id = admin_id
        self.steps: list[_Step] = []
        self.status = ""
        self.version = 0
        self.unit_id: int | None = None
        self.handler_id = None
        self.round = 0
        self.updated_at: datetime | None = None
        self.dispatched_at: datetime | None = None
        self.sign_due: datetime | None = None
        self.return_due: datetime | None = None
        self.due_at: datetime | None = None
        self.yellow_at: datetime | None = None
        self.supervise_at: datetime | None = None
        self.extension_days = 0
        self.extension_requested = 0
        self.extension_reason = ""
        self.card = ""
        self.supervised = False
        self.return_count = 0
        self.reopen_count = 0
        self.resolved: bool | None = None
        self.satisfaction = ""
        self.rated = False
        self.close_reason = ""
        self.closed_at: datetime | None = None
        self.duplicate_of_id: int | None = None

    def _step(
        self,
        name: str,
        target: str,
        at: datetime,
        *,
        reason: str = "",
        data: dict[str, Any] | None = None,
        by_dispatcher: bool = False,
    ) -> None:
        if at > self.now:
            raise _Stop
        if self.steps and at <= self.steps[-1].at:
            at = self.steps[-1].at + _ONE_SECOND
        source = self.status
        self.status = target
        self.version += 1
        self.updated_at = at
        self.steps.append(
            _Step(
                name,
                source,
                target,
                at,
                self.unit_id,
                self.round,
                self.admin_id if by_dispatcher else None,
                reason,
                data or {},
            )
        )

    @property
    def last(self) -> datetime:
        return self.steps[-1].at

    # --- the lifecycle, as in services ---

    def submit(self, at: datetime, source: str, created_by: int | None) -> None:
        self.status = ""
        self._step("submit", Status.SUBMITTED, at, data={"source": source})
        self.steps[-1].actor_id = created_by

    def accept(self, at: datetime) -> None:
        self._step("accept", Status.ACCEPTED, at, by_dispatcher=True)

    def reject(self, at: datetime, reason: str) -> None:
        self.close_reason = CloseReason.REJECTED
        self._step("reject", Status.REJECTED, at, reason=reason, by_dispatcher=True)
        self.closed_at = self.last

    def withdraw(self, at: datetime) -> None:
        self.close_reason = CloseReason.WITHDRAWN
        self._step("withdraw", Status.CLOSED, at, reason="问题已自行解决")
        self.closed_at = self.last

    def _start_round(self, unit_id: int, cal: _Calendar, at: datetime) -> dict[str, Any]:
        d = cal.dispatch(self.policy, at)
        self.unit_id = unit_id
        self.handler_id = None
        self.round += 1
        self.sign_due = d.sign_due
        self.return_due = d.return_due
        self.due_at = d.due_at
        self.yellow_at = d.yellow_at
        self.supervise_at = d.supervise_at
        self.card = ""
        self.supervised = False
        self.extension_requested = 0
        self.extension_reason = ""
        self.rated = False
        self.dispatched_at = at
        return {"unit": unit_id, "sign_due": d.sign_iso, "due_at": d.due_iso}

    def dispatch(self, at: datetime, unit_id: int, cal: _Calendar) -> None:
        if at > self.now:
            raise _Stop
        data = self._start_round(unit_id, cal, at)
        self._step("dispatch", Status.DISPATCHED, at, data=data, by_dispatcher=True)

    def reopen(self, at: datetime, cal: _Calendar, reason: str) -> None:
        if at > self.now:
            raise _Stop
        assert self.unit_id is not None
        self.reopen_count += 1
        self.resolved = None
        self.satisfaction = ""
        data = self._start_round(self.unit_id, cal, at)
        self._step("reopen", Status.DISPATCHED, at, reason=reason, data=data, by_dispatcher=True)

    def send_back(self, at: datetime, reason: str) -> None:
        if at > self.now:
            raise _Stop
        self.return_count += 1
        self.handler_id = None
        self.card = ""
        self.supervised = False
        self._step("send_back", Status.ACCEPTED, at, reason=reason)

    def sign(self, at: datetime) -> None:
        self._step("sign", Status.SIGNED, at)

    def start(self, at: datetime) -> None:
        self._step("start", Status.IN_PROGRESS, at)

    def request_extension(self, at: datetime, days: int, reason: str) -> None:
        if at > self.now:
            raise _Stop
        self.extension_requested = days
        self.extension_reason = reason
        self._step("request_extension", self.status, at, reason=reason, data={"days": days})

    def decide_extension(self, at: datetime, approve: bool, cal: _Calendar) -> None:
        if at > self.now:
            raise _Stop
        days = self.extension_requested
        data: dict[str, Any] = {"approved": approve, "days": days}
        self.extension_requested = 0
        self.extension_reason = ""
        if approve:
            assert self.due_at is not None
            moments, due_iso = cal.extended(self.policy, self.due_at, days)
            self.due_at = moments["due_at"]
            self.yellow_at = moments["yellow_at"]
            self.supervise_at = moments["supervise_at"]
            self.extension_days += days
            self.card = "red" if self.due_at <= at else "yellow" if self.yellow_at <= at else ""
            self.supervised = self.supervised and self.supervise_at <= at
            data["due_at"] = due_iso
        self._step("decide_extension", self.status, at, data=data, by_dispatcher=True)

    # The sweeper's steps (no actor), as sweeper.sweep writes them.

    def give_card(self, at: datetime, card: str) -> None:
        self.card = card
        self._step("card", self.status, at, data={"card": card})

    def supervise(self, at: datetime) -> None:
        self.supervised = True
        self._step("supervise", self.status, at)

    def handle(self, at: datetime, result: str) -> None:
        onsite = self.policy.verify_on_site
        target = Status.HANDLED if onsite else Status.FOLLOW_UP
        self._step("handle", target, at, reason=result, data={"verify_on_site": onsite})

    def verify(self, at: datetime, passed: bool, note: str = "") -> None:
        target = Status.FOLLOW_UP if passed else Status.IN_PROGRESS
        self._step("verify", target, at, reason=note, data={"passed": passed}, by_dispatcher=True)

    def rate(self, at: datetime, resolved: bool, satisfaction: str) -> None:
        if at > self.now:
            raise _Stop
        self.rated = True
        self.resolved = resolved
        self.satisfaction = satisfaction
        self._step(
            "rate",
            Status.FOLLOW_UP,
            at,
            data={"resolved": resolved, "satisfaction": satisfaction},
            by_dispatcher=True,
        )
        if satisfaction != "unsatisfied":
            self.close(at + _ONE_SECOND, "resolved" if resolved else "explained")

    def close(self, at: datetime, reason: str, note: str = "") -> None:
        if at > self.now:
            raise _Stop
        self.close_reason = reason
        self.card = self.card if self.unit_id else ""
        self._step(
            "close", Status.CLOSED, at, reason=note, data={"reason": reason}, by_dispatcher=True
        )
        self.closed_at = self.last


@dataclass
class _Place:
    grid_id: int
    path: str
    street_id: int | None
    street_unit_id: int | None
    address_head: str


@dataclass
class _World:
    places: list[_Place]
    categories: list[Category]
    weights: list[float]
    unit_of: dict[int, int | None]  # category id → default unit id (None: the street's office)
    fallback_unit: int
    admin_id: int | None
    requesters: dict[bool, int]  # talent? → a demo user who raised a few tickets
    phones: list[str]
    cal: _Calendar
    centre: tuple[float, float] = (116.985, 36.620)
    cum: list[float] = field(default_factory=list)


def _world(
    district: Region, rng: random.Random, first: date, last: date, only: Collection[str] = ()
) -> _World:
    units = ensure_units(district)
    by_street = {u.region_id: u.pk for u in units.values() if u.kind == UnitKind.STREET}
    grids = list(
        Region.objects.filter(level=RegionLevel.GRID, path__startswith=district.path + ".")
        .select_related("parent__parent")
        .order_by("path")
    )
    if not grids:
        raise ValueError(f"{district} has no grids to raise tickets in")
    streets = {
        r.path: r
        for r in Region.objects.filter(
            level=RegionLevel.STREET, path__startswith=district.path + "."
        )
    }
    places = []
    for g in grids:
        street = streets.get(".".join(g.path.split(".")[:2]))
        community = g.parent.name if g.parent else ""
        places.append(
            _Place(
                g.pk,
                g.path,
                street.pk if street else None,
                by_street.get(street.pk) if street else None,
                f"济南市{district.name}{street.name if street else ''}{community}",
            )
        )
    leaves = list(
        Category.objects.filter(active=True, children__isnull=True)
        .filter(**({"code__in": list(only)} if only else {}))
        .select_related("policy")
        .order_by("sort_order", "code")
    )
    unit_of = {c.pk: (None if c.to_street else c.default_unit_id) for c in leaves}
    departments = [u.pk for u in units.values() if u.kind == UnitKind.DEPARTMENT]
    fallback = units["urban"].pk if "urban" in units else departments[0]
    users = dict(
        User.objects.filter(username__in=["admin", "resident", "talent"]).values_list(
            "username", "pk"
        )
    )
    phones = [
        encrypt(f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}")
        for _ in range(400)
    ]
    requesters = {}
    if "resident" in users:
        requesters[False] = users["resident"]
    if "talent" in users:
        requesters[True] = users["talent"]
    return _World(
        places=places,
        categories=leaves,
        weights=[WEIGHTS.get(c.code, 1.0) for c in leaves],
        unit_of=unit_of,
        fallback_unit=fallback,
        admin_id=users.get("admin"),
        requesters=requesters,
        phones=phones,
        cal=_Calendar(district_calendar(), first, last),
    )


def _hours(h: float) -> timedelta:
    return timedelta(seconds=int(h * 3600))


def _play(
    rng: random.Random, w: _World, t: _Ticket, category: Category, place: _Place, created: datetime
) -> None:
    """The ticket's life from ``created`` on, step by step; stops (``_Stop``) at the present."""
    r = rng.random()
    talent = category.talent
    if r < 0.010 and not talent:
        t.reject(created + _hours(rng.uniform(0.3, 20)), "不属于受理范围")
        return
    t.accept(created + _hours(rng.lognormvariate(-0.7, 0.9)))
    if r < 0.016 and not talent:
        t.close(t.last + _hours(rng.uniform(0.1, 3)), CloseReason.DUPLICATE, "重复诉求")
        return
    if r < 0.020 and not talent:
        t.withdraw(t.last + _hours(rng.uniform(0.1, 6)))
        return
    unit = w.unit_of.get(category.pk) or place.street_unit_id or w.fallback_unit
    t.dispatch(t.last + _hours(rng.uniform(0.02, 0.5)), unit, w.cal)
    # 退单 (about 3 %): back to the dispatcher within the return window, then to another unit.
    if rng.random() < 0.03 and not talent:
        assert t.return_due is not None
        back = min(t.last + _hours(rng.uniform(0.5, 20)), t.return_due - _hours(0.2))
        t.send_back(back, rng.choice(RETURN_REASONS))
        other = place.street_unit_id if unit != place.street_unit_id else w.fallback_unit
        t.dispatch(t.last + _hours(rng.uniform(0.3, 6)), other or w.fallback_unit, w.cal)
    _round(rng, w, t, talent, may_reopen=True)


def _round(rng: random.Random, w: _World, t: _Ticket, talent: bool, *, may_reopen: bool) -> None:
    """One dispatch round from the dispatch on: sign, start, [extension], handle, [verify],
    rate and close, or reopen (重办) into a new round."""
    assert t.sign_due
    assert t.due_at
    assert t.yellow_at
    dispatched = t.last
    if rng.random() < 0.02:
        signed = t.sign_due + _hours(rng.uniform(0.5, 30))  # signed late
    else:
        signed = min(dispatched + _hours(rng.lognormvariate(0.5, 1.0)), t.sign_due - _hours(0.1))
    t.sign(signed)
    t.start(t.last + _hours(rng.uniform(0.1, 4)))
    started = t.last
    if rng.random() < 0.035 and t.extension_days < t.policy.max_extension_days:
        ask = started + (t.yellow_at - started) * rng.uniform(0.1, 0.9)
        if ask > started:
            days = min(rng.choice((2, 3, 3, 5)), t.policy.max_extension_days - t.extension_days)
            t.request_extension(ask, days, "需协调多个部门，申请延期")
            t.decide_extension(t.last + _hours(rng.uniform(1, 20)), rng.random() < 0.85, w.cal)
    assert t.due_at
    assert t.yellow_at
    late = rng.random() < (0.03 if talent else 0.065)
    if late:
        handled = t.due_at + _hours(rng.expovariate(1 / 30) + 0.2)
    else:
        span = (t.due_at - t.last).total_seconds()
        handled = t.last + timedelta(seconds=int(span * rng.triangular(0.02, 0.97, 0.25)))
    if handled > t.now:
        # The round is still open: no cards (the sweeper writes them), and nothing more.
        raise _Stop
    if handled > t.yellow_at and t.card != "yellow" and t.card != "red":
        t.give_card(max(t.yellow_at, t.last) + _hours(rng.uniform(0.01, 0.2)), "yellow")
    if handled > t.due_at and t.card != "red":
        t.give_card(max(t.due_at, t.last) + _hours(rng.uniform(0.01, 0.2)), "red")
    assert t.supervise_at is not None
    if handled > t.supervise_at and not t.supervised:
        t.supervise(max(t.supervise_at, t.last) + _hours(rng.uniform(0.01, 0.2)))
    t.handle(max(handled, t.last + _ONE_SECOND), rng.choice(RESULTS))
    if t.policy.verify_on_site:
        passed = rng.random() > 0.03
        t.verify(t.last + _hours(rng.uniform(1, 30)), passed, "" if passed else "现场仍未整改到位")
        if not passed:
            t.handle(t.last + _hours(rng.uniform(4, 48)), "已再次整改")
            t.verify(t.last + _hours(rng.uniform(1, 30)), True)
    follow = t.last + _hours(rng.uniform(2, 60))
    if rng.random() < 0.04:
        # Nobody to ask: closed on the unit's report, without a rating.
        t.close(follow + _hours(48), CloseReason.RESOLVED, "多次回访未接通")
        return
    u = rng.random()
    unsatisfied = 0.02 if talent else (0.09 if may_reopen else 0.2)
    if u < unsatisfied:
        t.rate(follow, rng.random() < 0.25, "unsatisfied")
        if may_reopen and rng.random() < 0.27:
            t.reopen(t.last + _hours(rng.uniform(1, 24)), w.cal, "诉求人不满意，重新办理")
            _round(rng, w, t, talent, may_reopen=False)
        else:
            backlog = rng.random() < 0.2
            t.close(
                t.last + _hours(rng.uniform(2, 48)),
                CloseReason.BACKLOG if backlog else CloseReason.EXPLAINED,
                "受客观条件限制，暂无法解决" if backlog else "已向诉求人解释说明",
            )
    elif u < unsatisfied + (0.04 if talent else 0.16):
        t.rate(follow, rng.random() < 0.8, "basic")
    else:
        t.rate(follow, rng.random() < 0.98, "satisfied")


def _created_times(rng: random.Random, n: int, start: datetime, end: datetime) -> list[datetime]:
    """``n`` moments between ``start`` and ``end``, in order, more in later years (the number
    of tickets grows) and mostly in the daytime."""
    span = (end - start).total_seconds()
    zone = timezone.get_current_timezone()
    out = []
    for i in range(n):
        x = ((i + rng.random()) / n) ** 0.85
        moment = start + timedelta(seconds=int(span * x))
        local = moment.astimezone(zone)
        hour = min(23.9, max(0.0, rng.gauss(13.5, 3.6)))
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        moment = day_start + timedelta(seconds=int(hour * 3600))
        moment = moment.astimezone(UTC)
        out.append(moment if moment < end else end - timedelta(seconds=rng.randint(60, 7200)))
    return out


def _ticket_columns() -> tuple[list[str], dict[str, Any]]:
    fixed = {"id", "category_id", "region_id", "region_path", "street_id", "source", "title"}
    fixed |= {"description", "address", "latitude", "longitude", "requester_id"}
    fixed |= {"requester_name", "requester_phone_enc", "created_by_id", "talent", "created_at"}
    set_here = fixed | set(_TICKET_STATE)
    columns = [f.column for f in Ticket._meta.concrete_fields]
    defaults = {
        f.column: f.get_default() for f in Ticket._meta.concrete_fields if f.attname not in set_here
    }
    return columns, defaults


_TRANSITION_COLUMNS = [
    "ticket_id",
    "name",
    "source",
    "target",
    "at",
    "actor_id",
    "unit_id",
    "round",
    "reason",
    "data",
]
_FACT_COLUMNS = [
    "ticket_id",
    "round",
    "category_id",
    "region_path",
    "street_id",
    "talent",
    *facts.FACT_FIELDS,
]


def build_tickets(
    count: int = 1_000_000,
    *,
    seed: int = SEED,
    district: Region | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Add synthetic tickets until the district has ``count``; returns how many were added
    (0 when it already has them, so running it again changes nothing)."""
    from gridlight.core.demo.build import DISTRICT_CODE

    say = progress or (lambda _p, _m: None)
    if district is None:
        district = Region.objects.get(code=DISTRICT_CODE)
    existing = Ticket.objects.filter(region_path__startswith=district.path + ".").count()
    if existing >= count:
        return 0
    todo = count - existing
    rng = random.Random(seed + existing)  # noqa: S311 - synthetic demo data, not secrets
    now = (now or timezone.now()).astimezone(UTC)
    start = now - timedelta(days=365 * YEARS)
    w = _world(district, rng, start.date() - timedelta(days=60), now.date() + timedelta(days=60))
    w.cum = list(_cumulative(w.weights))
    first_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    _reserve_ids(first_id + todo - 1)
    moments = _created_times(rng, todo, start, now)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    cache_size = _big_cache()
    try:
        made = 0
        for k in range(0, todo, CHUNK):
            chunk = moments[k : k + CHUNK]
            _write_chunk(rng, w, first_id + k, chunk, now, recent_from=todo - k - 3000)
            made += len(chunk)
            say(min(99, made * 100 // todo), f"{made} tickets")
    finally:
        if gc_was_enabled:
            gc.enable()
        if cache_size is not None:
            with connection.cursor() as cur:
                cur.execute(f"PRAGMA cache_size = {int(cache_size)}")
    _analyze()
    say(100, f"{made} tickets")
    return made


def build_category_history(
    count: int,
    *,
    categories: Collection[str],
    seed: int = SEED,
    district: Region | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Add ``count`` tickets of the leaf categories ``categories`` only, over the same three
    years and through the same lifecycle as :func:`build_tickets` (another app's history of
    requests, such as the talent desk's problems); returns the new tickets' ids. Not
    idempotent by itself: the caller decides whether its history exists."""
    from gridlight.core.demo.build import DISTRICT_CODE

    if district is None:
        district = Region.objects.get(code=DISTRICT_CODE)
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not secrets
    now = (now or timezone.now()).astimezone(UTC)
    start = now - timedelta(days=365 * YEARS)
    first_day, last_day = start.date() - timedelta(days=60), now.date() + timedelta(days=60)
    w = _world(district, rng, first_day, last_day, only=categories)
    if not w.categories or count <= 0:
        return []
    w.cum = list(_cumulative(w.weights))
    first_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    _reserve_ids(first_id + count - 1)
    moments = _created_times(rng, count, start, now)
    for k in range(0, count, CHUNK):
        _write_chunk(rng, w, first_id + k, moments[k : k + CHUNK], now, recent_from=count - 40)
    return list(range(first_id, first_id + count))


def _cumulative(weights: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for x in weights:
        total += x
        yield total


def _big_cache() -> int | None:
    """On SQLite, a page cache of 512 MB while building (the default 2 MB makes every insert
    into the transition log's indexes read pages back); returns the size to restore."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        before = cur.fetchone()[0]
        cur.execute("PRAGMA cache_size = -524288")
    return int(before)


def _reserve_ids(last: int) -> None:
    """Move PostgreSQL's id sequence past the ids written here, before writing them, so that a
    ticket raised meanwhile cannot take one (SQLite's AUTOINCREMENT follows by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "GREATEST(%s, (SELECT COALESCE(MAX(id), 1) FROM tickets_ticket)))",
                [Ticket._meta.db_table, last],
            )


def _analyze() -> None:
    tables = [m._meta.db_table for m in (Ticket, Transition, DispatchFact)]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {', '.join(tables)}")
        else:
            for table in tables:
                cur.execute(f"ANALYZE {table}")


def _write_chunk(
    rng: random.Random,
    w: _World,
    first_id: int,
    moments: list[datetime],
    now: datetime,
    recent_from: int,
) -> None:
    columns, defaults = _ticket_columns()
    sqlite = connection.vendor == "sqlite"
    conv = _to_sqlite if sqlite else _same
    zone = w.cal.zone
    ticket_rows: list[tuple[Any, ...]] = []
    log_rows: list[tuple[Any, ...]] = []
    fact_rows: list[tuple[Any, ...]] = []
    requested = {False: 0, True: 0}
    for i, created in enumerate(moments):
        pk = first_id + i
        category = w.categories[_pick(rng, w.cum)]
        place = w.places[rng.randrange(len(w.places))]
        talent = category.talent
        requester = None
        wanted = i >= recent_from and talent in w.requesters and requested[talent] < 12
        if wanted and (talent or rng.random() < 0.02):
            requester = w.requesters[talent]
            requested[talent] += 1
        source = (
            Source.TALENT
            if talent
            else Source.RESIDENT
            if requester
            else rng.choices((Source.RESIDENT, Source.HOTLINE, Source.GRID), (45, 35, 20))[0]
        )
        t = _Ticket(now, category.policy, w.admin_id)
        t.submit(created, source, requester)
        with contextlib.suppress(_Stop):
            _play(rng, w, t, category, place, created)
        if t.close_reason == CloseReason.DUPLICATE and i:
            t.duplicate_of_id = pk - 1
        title, text = rng.choice(TEXTS.get(category.code) or [(category.name, category.name)])
        values: dict[str, Any] = {
            "id": pk,
            "category_id": category.pk,
            "region_id": place.grid_id,
            "region_path": place.path,
            "street_id": place.street_id,
            "source": source,
            "title": title,
            "description": text,
            "address": f"{place.address_head}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
            "latitude": round(w.centre[1] + rng.uniform(-0.04, 0.04), 6)
            if rng.random() < 0.6
            else None,
            "longitude": None,
            "requester_id": requester,
            "requester_name": person_name(rng),
            "requester_phone_enc": rng.choice(w.phones) if rng.random() < 0.7 else "",
            "created_by_id": requester,
            "talent": talent,
            "created_at": created,
        }
        if values["latitude"] is not None:
            values["longitude"] = round(w.centre[0] + rng.uniform(-0.06, 0.06), 6)
        for name in _TICKET_STATE:
            values[name] = getattr(t, name)
        values.update(defaults)
        if sqlite:
            for name in _DATETIMES:
                values[name] = _to_sqlite(values[name])
        ticket_rows.append(tuple([values[c] for c in columns]))
        for s in t.steps:
            log_rows.append(
                (
                    pk,
                    s.name,
                    s.source,
                    s.target,
                    conv(s.at),
                    s.actor_id,
                    s.unit_id,
                    s.round,
                    s.reason,
                    _json(s.data),
                )
            )
        if t.round:
            for r in facts.fold(cast(list[Transition], t.steps)).values():
                # Round.month, without Django's per-call look-up of the current time zone.
                month: Any = r.dispatched_at.astimezone(zone).date().replace(day=1)
                if sqlite:
                    month = month.isoformat()
                fact_rows.append(
                    (
                        pk,
                        r.round,
                        category.pk,
                        place.path,
                        place.street_id,
                        talent,
                        *[
                            month if f == "month" else conv(getattr(r, f))
                            for f in facts.FACT_FIELDS
                        ],
                    )
                )
    with transaction.atomic():
        _insert(Ticket._meta.db_table, columns, ticket_rows)
        _insert(Transition._meta.db_table, _TRANSITION_COLUMNS, log_rows)
        _insert(DispatchFact._meta.db_table, _FACT_COLUMNS, fact_rows)


def _pick(rng: random.Random, cum: list[float]) -> int:
    return min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


_DATETIMES = (
    "created_at",
    "updated_at",
    "dispatched_at",
    "sign_due",
    "return_due",
    "due_at",
    "yellow_at",
    "supervise_at",
    "closed_at",
)
_JSON: dict[tuple[tuple[str, Any], ...], str] = {}


def _json(data: dict[str, Any]) -> str:
    """The JSON text of a transition's data (as Django writes it), from a cache: few distinct
    values recur a million times."""
    if not data:
        return "{}"
    key = tuple(data.items())
    text = _JSON.get(key)
    if text is None:
        if len(_JSON) > 200_000:
            _JSON.clear()
        text = _JSON[key] = json.dumps(data)
    return text


def _same(value: Any) -> Any:
    return value


def _to_sqlite(value: Any) -> Any:
    """As Django writes a datetime to SQLite: naive UTC text (values here are all in UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ")
    return value


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL (as the household import); on SQLite one prepared INSERT run for
    every row by the driver (``executemany``), which beats long multi-row statements there."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        bulk_insert(table, columns, rows)
        return
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        raw.executemany(sql, rows)
    finally:
        raw.close()


def link_demo_users() -> None:
    """Make the demo's handler a member of the department units and the street staff of their
    street's office, so their consoles show the synthetic tickets (idempotent)."""
    from gridlight.core.demo.build import demo_users

    by_name = {u.username: u for u in demo_users()}
    users = {u.username: u for u in User.objects.filter(username__in=["handler", "street"])}
    if "handler" in users:
        for unit in Unit.objects.filter(kind=UnitKind.DEPARTMENT):
            unit.members.add(users["handler"])
    street = by_name.get("street")
    if "street" in users and street is not None and street.region_code:
        for unit in Unit.objects.filter(code=f"street-{street.region_code}"):
            unit.members.add(users["street"])


def ticket_demo_summary() -> dict[str, Any]:
    return {
        "tickets": Ticket.objects.count(),
        "open": Ticket.objects.exclude(status__in=[Status.CLOSED, Status.REJECTED]).count(),
        "talent_resolved": Ticket.objects.filter(
            talent=True, status=Status.CLOSED, close_reason=CloseReason.RESOLVED
        ).count(),
    }
