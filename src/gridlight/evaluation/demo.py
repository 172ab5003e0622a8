"""The demo district's evaluation cycle (FACTS.md §1), built through the services (so audited and
checked like real work), idempotent, deterministic (seeded).

Last year is complete: the 17 streets' 一街一品 entries (the report's brands 知函问暖, 乐和舜华 and
建新家园 among them) with milestones; twelve monthly meetings with attendance and action items
(one overdue item raised as a ticket); four quarterly arenas judged by seven evaluators, two of
whom also work in a street and are recused from it; the half-year assessment computed from the
live households and tickets; the year-end observation with its route and a community round of
the six communities the report names; the annual standings and the echelon, which comes out as
the report names it (乐山, 睦和苑 leading; 舜华, 建新 advanced; 英雄山, 春元里 following) from the
sheets and the thresholds, not from a typed tier. This year has its plan, the entries and their
milestones so far. Cadres of those six communities take part in the 13 measures; two
party-mass service centres are inspected against the 红色家园 checklist.

What is synthetic: the report names three brands and which communities stand where; which street
holds 知函问暖, the other fourteen entries, every score, judge, cadre and inspection are ours.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from gridlight.core.demo.build import DISTRICT_CODE, demo_password
from gridlight.core.models import (
    Assignment,
    PositionKind,
    Region,
    RegionLevel,
    Role,
    ServicePosition,
    User,
)
from gridlight.evaluation import services
from gridlight.evaluation.models import (
    CadreKind,
    CycleYear,
    EventKind,
    FocusArea,
    Measure,
    Round,
    StandardItem,
)

# street → (key project, brand, focus area); the first three brands are the report's.
BRANDS: dict[str, tuple[str, str, str]] = {
    "二七街道": ("老旧小区红色物业全覆盖", "建新家园", FocusArea.RED_PROPERTY),
    "舜耕街道": ("舜华片区邻里服务提升", "乐和舜华", FocusArea.POSITIONS),
    "杆石桥街道": ("民情书记信箱与暖心回访", "知函问暖", FocusArea.OTHER),
    "大观园街道": ("大观园商圈特色街区党建", "商埠红韵", FocusArea.BLOCKS),
    "泺源街道": ("泉城路沿线楼宇党建", "泺源红廊", FocusArea.BLOCKS),
    "魏家庄街道": ("快递外卖骑手暖心驿站", "骑手之家", FocusArea.NEW_FORMS),
    "四里村街道": ("英雄山片区阵地提档", "英雄山下", FocusArea.POSITIONS),
    "六里山街道": ("老旧小区物业党建联建", "六里同心", FocusArea.RED_PROPERTY),
    "七里山街道": ("网约车司机党建服务", "七里暖途", FocusArea.NEW_FORMS),
    "舜玉路街道": ("社区党群服务中心提升", "舜玉和邻", FocusArea.POSITIONS),
    "王官庄街道": ("物业服务企业党组织覆盖", "王官红管家", FocusArea.RED_PROPERTY),
    "白马山街道": ("白马山特色街区共建", "白马红韵", FocusArea.BLOCKS),
    "七贤街道": ("新就业群体服务站点", "七贤新力量", FocusArea.NEW_FORMS),
    "十六里河街道": ("城乡结合部阵地规范化", "河畔红家园", FocusArea.POSITIONS),
    "兴隆街道": ("兴隆片区物业议事协商", "兴隆和院", FocusArea.RED_PROPERTY),
    "党家街道": ("村改居社区治理提升", "党家红邻", FocusArea.OTHER),
    "陡沟街道": ("产业园区新业态党建", "陡沟红引擎", FocusArea.NEW_FORMS),
}

MILESTONES = [("摸底调研", 2, 1), ("方案制定", 3, 1), ("阵地与机制建设", 6, 2), ("总结提升", 10, 1)]

# The six communities the report places in the echelon, with the quality the observers see.
ECHELON = {
    ("杆石桥街道", "乐山社区"): 92,
    ("大观园街道", "睦和苑社区"): 89,
    ("舜耕街道", "舜华社区"): 81,
    ("二七街道", "建新社区"): 79,
    ("四里村街道", "英雄山社区"): 69,
    ("杆石桥街道", "春元里社区"): 65,
}

# Demo judges (evaluators of the district); the first two also serve in a street.
JUDGES = [
    ("judge1", "高文", "二七街道"),
    ("judge2", "林晓", "舜耕街道"),
    ("judge3", "宋平", None),
    ("judge4", "罗佳", None),
    ("judge5", "许强", None),
    ("judge6", "邓琳", None),
]

ARENA_CRITERIA = [
    services.CriterionInput("工作成效", Decimal(40), Decimal(10)),
    services.CriterionInput("创新特色", Decimal(30), Decimal(10)),
    services.CriterionInput("群众评价", Decimal(20), Decimal(10)),
    services.CriterionInput("现场展示", Decimal(10), Decimal(10)),
]
OBSERVATION_CRITERIA = [
    services.CriterionInput("阵地建设", Decimal(40), Decimal(100)),
    services.CriterionInput("服务成效", Decimal(40), Decimal(100)),
    services.CriterionInput("特色亮点", Decimal(20), Decimal(100)),
]


def _judges(district: Region, streets: dict[str, Region]) -> list[User]:
    users = list(User.objects.filter(username="evaluator"))
    for username, name, street in JUDGES:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=name)
            user.set_password(demo_password(username))
            user.save()
        for role, region in (
            (Role.EVALUATOR, district),
            (Role.STREET_STAFF, streets.get(street or "")),
        ):
            if region is None:
                continue
            Assignment.objects.get_or_create(
                user=user,
                role=role,
                region=region,
                defaults={
                    "region_path": region.path,
                    "write_region": region,
                    "write_region_path": region.path,
                },
            )
        users.append(user)
    return users


def _score(rng: random.Random, quality: float, high: Decimal, lenient: float) -> str:
    """A judge's score: the entrant's quality (0–1) on the criterion's scale, the judge's
    leniency, and noise; to one decimal within the range."""
    value = float(high) * (quality + lenient + rng.gauss(0, 0.035))
    return str(round(min(max(value, 0.0), float(high)), 1))


def _judge_round(
    rng: random.Random,
    round_: Round,
    judges: list[User],
    quality: dict[int, float],
    leniency: dict[int, float],
) -> None:
    criteria = list(round_.criteria.all())
    entrants = list(round_.entrants.all())
    recused = set(
        round_.judges.filter(recusals__isnull=False).values_list("user_id", "recusals__entrant_id")
    )
    for judge in judges:
        for entrant in entrants:
            if (judge.pk, entrant.pk) in recused:
                continue
            q = quality[entrant.region_id]
            scores = {
                str(c.pk): _score(rng, q + rng.gauss(0, 0.02), c.max_score, leniency[judge.pk])
                for c in criteria
            }
            services.sheet_save(
                actor=judge, round_=round_, entrant=entrant, scores=scores, confirm=True
            )


def build_evaluation(
    *, district: Region | None = None, seed: int = 14, today: date | None = None
) -> int:
    """Build the cycles (idempotent: a year already there is left alone); returns the number of
    years built."""
    district = district or Region.objects.get(code=DISTRICT_CODE)
    admin = User.objects.get(username="admin")
    today = today or timezone.localdate()
    streets = {s.name: s for s in Region.objects.filter(parent=district, level=RegionLevel.STREET)}
    built = 0
    last = today.year - 1
    if not CycleYear.objects.filter(district=district, year=last).exists():
        rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not secrets
        _last_year(rng, admin, district, streets, last)
        built += 1
    if not CycleYear.objects.filter(district=district, year=today.year).exists():
        rng = random.Random(seed + 1)  # noqa: S311 - synthetic demo data, not secrets
        _this_year(rng, admin, district, streets, today)
        built += 1
    return built


def _brands(
    rng: random.Random, admin: User, cycle: CycleYear, streets: dict[str, Region], upto: date
) -> None:
    for name, street in streets.items():
        project, brand, focus = BRANDS.get(
            name, (f"{name}攻坚项目", f"{name[:2]}红心", FocusArea.OTHER)
        )
        entry = services.brand_save(
            actor=admin,
            cycle=cycle,
            street=street,
            project=project,
            brand=brand,
            focus_area=focus,
            goals=f"{project}：年内完成{len(MILESTONES)}个节点。",
        )
        for title, month, weight in MILESTONES:
            planned = date(cycle.year, month, 15)
            m = services.milestone_add(
                actor=admin, brand=entry, title=title, planned_on=planned, weight=weight
            )
            done = planned + timedelta(days=rng.randint(-10, 40))
            if done <= upto and rng.random() < 0.9:
                services.milestone_done(actor=admin, milestone=m, version=m.version, done_on=done)


def _meetings(
    rng: random.Random, admin: User, cycle: CycleYear, streets: dict[str, Region], upto: date
) -> None:
    from gridlight.tickets.models import Category

    names = sorted(streets)
    category = Category.objects.filter(parent__isnull=False, active=True).order_by("pk").first()
    escalated = False
    for event in cycle.events.filter(kind=EventKind.MEETING, held_on__lte=upto):
        event = services.event_update(
            actor=admin,
            event=event,
            version=event.version,
            held_on=event.held_on,
            agenda="通报上月督办事项；各街道汇报一街一品进展；部署本月重点工作。",
            minutes="会议听取了各街道汇报，明确了本月督办事项及完成时限。",
        )
        for name in names:
            status = rng.choices(["present", "excused", "absent"], [0.9, 0.07, 0.03])[0]
            services.attendance_record(
                actor=admin,
                event=event,
                street=streets[name],
                status=status,
                attendee=f"{name[:2]}街道党工委书记",
            )
        for name in rng.sample(names, 3):
            item = services.action_item_create(
                actor=admin,
                event=event,
                street=streets[name],
                title=rng.choice(
                    ["整改阵地标识", "补齐网格员台账", "完善红色物业议事机制", "报送一街一品佐证"]
                ),
                workdays=rng.choice([5, 10, 15]),
                owner_name=f"{name[:2]}街道组织委员",
            )
            late = rng.random()
            if late < 0.8 and item.due_on <= upto:
                done = min(item.due_on - timedelta(days=rng.randint(0, 4)), upto)
                services.action_item_done(
                    actor=admin, item=item, version=item.version, done_on=max(done, event.held_on)
                )
            elif late < 0.9 and item.due_on + timedelta(days=5) <= upto:
                services.action_item_done(
                    actor=admin,
                    item=item,
                    version=item.version,
                    done_on=item.due_on + timedelta(days=5),
                )
            elif not escalated and category is not None and item.due_on < upto:
                services.action_item_escalate(
                    actor=admin, item=item, version=item.version, category=category, today=upto
                )
                escalated = True


def _last_year(
    rng: random.Random, admin: User, district: Region, streets: dict[str, Region], year: int
) -> None:
    cycle = services.cycle_create(actor=admin, district=district, year=year)
    services.cycle_plan(actor=admin, cycle=cycle)
    end = date(year, 12, 31)
    _brands(rng, admin, cycle, streets, end)
    _meetings(rng, admin, cycle, streets, end)
    judges = _judges(district, streets)
    leniency = {j.pk: rng.gauss(0, 0.03) for j in judges}
    leniency[judges[-1].pk] = -0.12  # one harsh judge: the z-scores and flags show it
    # Each street's standing quality drifts a little from quarter to quarter.
    base = {s.pk: rng.uniform(0.62, 0.9) for s in streets.values()}
    ordered = sorted(streets.values(), key=lambda s: s.sort_order)
    for quarter in range(1, 5):
        event = cycle.events.get(kind=EventKind.ARENA, number=quarter)
        round_ = services.round_create(
            actor=admin,
            event=event,
            title=f"{year}年第{quarter}季度擂台",
            criteria=ARENA_CRITERIA,
            entrants=ordered,
        )
        for j in judges:
            services.judge_appoint(actor=admin, round_=round_, user=j)
        quality = {pk: min(0.97, q + rng.gauss(0, 0.03)) for pk, q in base.items()}
        _judge_round(rng, round_, judges, quality, leniency)
        round_ = services.round_close(actor=admin, round_=round_, version=round_.version)
        services.round_publish(actor=admin, round_=round_, version=round_.version)
    _assessment(admin, cycle, year)
    observation = cycle.events.get(kind=EventKind.OBSERVATION)
    stops = [
        (
            s,
            ServicePosition.objects.filter(region__parent=s, kind=PositionKind.PARTY_MASS_CENTRE)
            .order_by("code")
            .first(),
        )
        for s in ordered
    ]
    start = timezone.make_aware(datetime.combine(observation.held_on, time(8, 30)))
    services.site_visits_schedule(
        actor=admin, event=observation, stops=stops, start=start, minutes=40, observers=judges[:5]
    )
    streets_round = services.round_create(
        actor=admin,
        event=observation,
        title=f"{year}年年底观摩（街道）",
        criteria=OBSERVATION_CRITERIA,
        entrants=ordered,
    )
    communities = {key: Region.objects.get(parent=streets[key[0]], name=key[1]) for key in ECHELON}
    community_round = services.round_create(
        actor=admin,
        event=observation,
        title=f"{year}年年底观摩（社区梯队）",
        criteria=OBSERVATION_CRITERIA,
        entrants=list(communities.values()),
        level=RegionLevel.COMMUNITY,
    )
    for round_, quality in (
        (streets_round, {pk: min(0.97, q + rng.gauss(0, 0.02)) for pk, q in base.items()}),
        (community_round, {communities[k].pk: v / 100 for k, v in ECHELON.items()}),
    ):
        for j in judges:
            services.judge_appoint(actor=admin, round_=round_, user=j)
        _judge_round(rng, round_, judges, quality, leniency | {judges[-1].pk: 0.0})
        round_ = services.round_close(actor=admin, round_=round_, version=round_.version)
        services.round_publish(actor=admin, round_=round_, version=round_.version)
    services.standings_compute(actor=admin, cycle=cycle)
    _cadres(rng, admin, communities, year)
    _inspections(admin, ordered, year)


def _assessment(admin: User, cycle: CycleYear, year: int) -> None:
    event = cycle.events.get(kind=EventKind.ASSESSMENT)
    row = services.assessment_create(
        actor=admin, event=event, period_start=date(year, 1, 1), period_end=date(year, 6, 30)
    )
    services.assessment_compute(actor=admin, assessment_=row, version=row.version)


def _cadres(rng: random.Random, admin: User, communities: dict[Any, Region], year: int) -> None:
    measures = {m.code: m for m in Measure.objects.all()}
    arena = Round.objects.filter(event__cycle__year=year, kind="arena").order_by("pk").first()
    given = ["志强", "海燕", "明辉", "晓红", "建华", "丽娜"]
    for (street, _name), community in communities.items():
        for i, post in enumerate(["党委书记", "党委副书记"]):
            cadre = services.cadre_create(
                actor=admin,
                region=community,
                kind=CadreKind.COMMUNITY,
                name=f"{rng.choice('王李张刘陈杨赵黄')}{rng.choice(given)}",
                post=post,
            )
            services.participation_add(
                actor=admin,
                cadre=cadre,
                measure=measures["arena"],
                started_on=date(year, 3, 20),
                round_=arena,
                note=f"代表{street}上台比武",
            )
            if i == 1:
                services.participation_add(
                    actor=admin,
                    cadre=cadre,
                    measure=measures["posting"],
                    started_on=date(year, 4, 1),
                    ended_on=date(year, 6, 30),
                    unit="区委组织部",
                    note="挂职实训三个月",
                )
            services.participation_add(
                actor=admin,
                cadre=cadre,
                measure=measures["training"],
                started_on=date(year, 9, 1),
                hours=Decimal(rng.choice([16, 24, 32])),
            )


def _inspections(admin: User, streets: list[Region], year: int) -> None:
    items = {i.code: i for i in StandardItem.objects.all()}
    for street, failed in zip(streets[:2], (["sign", "layout"], ["accessible"]), strict=True):
        position = (
            ServicePosition.objects.filter(
                region__parent=street, kind=PositionKind.PARTY_MASS_CENTRE
            )
            .order_by("code")
            .first()
        )
        if position is None:
            continue
        inspection = services.inspection_record(
            actor=admin,
            position=position,
            inspected_on=date(year, 5, 10),
            failed=[items[c] for c in failed],
            note="红色家园专项检查",
        )
        first = inspection.rectifications.order_by("pk").first()
        if first is not None:
            services.rectification_fix(
                actor=admin, rectification=first, version=first.version, fixed_on=date(year, 5, 30)
            )


def _this_year(
    rng: random.Random, admin: User, district: Region, streets: dict[str, Region], today: date
) -> None:
    cycle = services.cycle_create(actor=admin, district=district, year=today.year)
    services.cycle_plan(actor=admin, cycle=cycle)
    _brands(rng, admin, cycle, streets, today)
    _meetings(rng, admin, cycle, streets, today)


def echelon_names(year: int) -> dict[str, list[str]]:
    """The tiers as computed, by community name (for the test and the report's check)."""
    from gridlight.evaluation.models import Standing

    out: dict[str, list[str]] = {}
    for s in (
        Standing.objects.filter(cycle__year=year, level=RegionLevel.COMMUNITY)
        .select_related("region")
        .order_by("rank")
    ):
        out.setdefault(s.tier, []).append(s.region.name)
    return out
