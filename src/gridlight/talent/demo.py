"""The talent desk of the demo district (FACTS.md §3, ★): 119 key enterprises brought in, 73 of
them municipal-or-higher 专精特新, 49 listing-reserve enterprises, 9 municipal R&D platforms,
ordinary enterprises beside them, 420 talents of every class with their families, a handful of
commissioners with balanced caseloads, three years of service logs that follow the cadence, and
about 620 talent problems raised over those years (the tickets played through the tickets app's
own demo lifecycle), more than 500 of them solved.

Every figure is what the records add up to: the pages and the API count them, nothing here is
a number anyone reads. People are synthetic (names from the shared generator, ID numbers that
pass the GB 11643 check under an unassigned county code, encrypted and blind-indexed as
residents' are); enterprises' credit codes pass the GB 32100 check and belong to nobody real.
Building is idempotent: a district that has talents is left as it is.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from gridlight.core import audit
from gridlight.core.bulk import bulk_insert
from gridlight.core.crypto import blind_index, encrypt
from gridlight.core.demo.people import person_name
from gridlight.core.idcard import synthetic_id
from gridlight.core.industries import Industry
from gridlight.core.models import Assignment, Region, RegionLevel, Role, User
from gridlight.talent.caseload import last_contacts_from_log
from gridlight.talent.creditcode import synthetic_code
from gridlight.talent.models import (
    Cadence,
    Child,
    CommissionerProfile,
    ContactKind,
    Degree,
    Enterprise,
    EnterpriseAccount,
    EnterpriseTag,
    Housing,
    ListingStage,
    PlatformKind,
    ProblemCategory,
    RdPlatform,
    ServiceLog,
    SpouseEmployment,
    TagKind,
    TagLevel,
    Talent,
    TalentProblem,
)

SEED = 20230615
YEARS = 3
KEY_ENTERPRISES = 119
KEY_SRDI = {TagLevel.MUNICIPAL: 46, TagLevel.PROVINCIAL: 21, TagLevel.NATIONAL: 6}  # 73
LISTING = {ListingStage.TUTORING: 27, ListingStage.FILING: 15, ListingStage.LISTED: 7}  # 49
LISTING_AMONG_KEY = 31
MUNICIPAL_PLATFORMS = 9
ORDINARY_ENTERPRISES = 181
TALENTS = {"A": 7, "B": 29, "C": 74, "D": 128, "E": 182}  # 420
PROBLEMS = 620
# Demo commissioners beside the demo's own "commissioner" (杨帆): user name, display name, phone.
COMMISSIONERS = [
    ("commissioner", "", "0531-86081201"),
    ("commissioner-02", "孟晓东", "0531-86081202"),
    ("commissioner-03", "高雅琪", "0531-86081203"),
    ("commissioner-04", "石磊", "0531-86081204"),
    ("commissioner-05", "徐慧敏", "0531-86081205"),
    ("commissioner-06", "韩志远", "0531-86081206"),
]
# An unassigned county code under Jinan: the numbers look local and are nobody's.
TALENT_ID_REGION = "370191"
# Talent tickets' categories (the tickets app's catalogue) → the talent desk's categories.
PROBLEM_CATEGORIES = {
    "school_enrolment": ProblemCategory.SCHOOL,
    "talent_housing": ProblemCategory.APARTMENT,
    "spouse_job": ProblemCategory.SPOUSE_JOB,
    "hukou": ProblemCategory.HUKOU,
    "talent_policy": ProblemCategory.POLICY,
}

_FIRMS = [
    "海右",
    "泉城",
    "舜耕",
    "英雄山",
    "齐鲁",
    "鲁信",
    "明湖",
    "千佛",
    "趵突",
    "大明",
    "历山",
    "经纬",
    "万象",
    "中博",
    "睿创",
    "云栖",
    "星河",
    "领创",
    "鼎新",
    "汇通",
    "晟达",
    "恒信",
    "天衢",
    "金泉",
    "舜华",
    "泺源",
    "七贤",
    "玉函",
    "六里",
    "魏家",
    "杆石",
    "纬五",
    "商埠",
    "华岳",
    "德润",
    "瑞泽",
]
_TRADES = {
    Industry.FINANCE: ("金融服务", "资产管理", "融资租赁", "私募基金管理", "金融科技"),
    Industry.DIGITAL: ("数字科技", "信息技术", "软件", "数据服务", "智能科技", "网络科技"),
    Industry.ENERGY: ("能源科技", "电力工程", "新能源", "储能技术", "智慧能源", "油气管道技术"),
    Industry.URBAN: ("智能制造", "精密仪器", "生物医药", "新材料", "检测技术"),
    Industry.COMMERCE: ("商贸", "供应链管理", "电子商务", "商业管理", "国际贸易"),
    Industry.OTHER: ("文化传媒", "咨询服务", "建筑设计", "教育科技"),
}
_INDUSTRY_MIX = {
    Industry.FINANCE: 18,
    Industry.DIGITAL: 30,
    Industry.ENERGY: 20,
    Industry.URBAN: 14,
    Industry.COMMERCE: 12,
    Industry.OTHER: 6,
}
_INSTITUTIONS = (
    "山东大学国家大学科技园",
    "山东未来网络研究院",
    "山东省立医院",
    "济南市中心医院",
    "山东财经大学",
)
_PLATFORMS = [
    (PlatformKind.ACADEMICIAN, "院士专家工作站"),
    (PlatformKind.ACADEMICIAN, "院士专家工作站"),
    (PlatformKind.ACADEMICIAN, "院士专家工作站"),
    (PlatformKind.ENGINEERING, "工程技术研究中心"),
    (PlatformKind.ENGINEERING, "工程技术研究中心"),
    (PlatformKind.TECH_CENTRE, "企业技术中心"),
    (PlatformKind.TECH_CENTRE, "企业技术中心"),
    (PlatformKind.KEY_LAB, "重点实验室"),
    (PlatformKind.POSTDOC, "博士后创新实践基地"),
]
_FIELDS = (
    "能源互联网",
    "人工智能",
    "金融工程",
    "集成电路",
    "生物医药",
    "新材料",
    "大数据",
    "网络通信",
    "智能制造",
    "供应链金融",
)
_ORIGINS = {
    "A": ("academician", "national"),
    "B": ("national", "provincial"),
    "C": ("provincial", "municipal", "competition"),
    "D": ("municipal", "competition", "recruited"),
    "E": ("competition", "recruited", "recruited"),
}
_DEGREES = {
    "A": (Degree.DOCTOR,),
    "B": (Degree.DOCTOR,),
    "C": (Degree.DOCTOR, Degree.MASTER),
    "D": (Degree.DOCTOR, Degree.MASTER, Degree.MASTER),
    "E": (Degree.MASTER, Degree.MASTER, Degree.BACHELOR),
}
_AGES = {"A": (48, 66), "B": (40, 58), "C": (33, 52), "D": (29, 46), "E": (25, 40)}
_NOTES = {
    ContactKind.VISIT: ("上门走访，了解工作生活情况", "走访企业，了解人才需求", "节日走访慰问"),
    ContactKind.CALL: ("电话回访，近况良好", "电话了解子女就学需求", "电话推送最新人才政策"),
    ContactKind.SERVICE: ("协助办理人才绿卡", "代办人才补贴申报材料", "协调人才公寓看房"),
}


@dataclass
class _Plan:
    enterprises: list[Enterprise]
    key: list[Enterprise]
    talents: list[Talent]


def build_talent(
    *, district: Region | None = None, seed: int = SEED, now: datetime | None = None
) -> int:
    """Build the demo district's talent desk (idempotent); returns how many records were made."""
    from gridlight.core.demo.build import DISTRICT_CODE

    if district is None:
        district = Region.objects.get(code=DISTRICT_CODE)
    if Talent.objects.filter(region_path__startswith=district.path + ".").exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not secrets
    now = (now or timezone.now()).astimezone(UTC)
    today = timezone.localdate(now)
    streets = list(
        Region.objects.filter(
            level=RegionLevel.STREET, path__startswith=district.path + "."
        ).order_by("path")
    )
    if not streets:
        raise ValueError(f"{district} has no streets")
    with transaction.atomic():
        commissioners = _commissioners(district)
        plan = _enterprises(rng, district, streets, today)
        plan.talents = _talents(rng, plan, streets, today)
        _link_public_users(plan)
        _assign(plan, commissioners)
        logs = _service_logs(rng, plan, today, now)
    # The problems' tickets are written by the tickets app's demo in their own transactions.
    problems = _problems(rng, district, plan, seed, now)
    with transaction.atomic():
        last_contacts_from_log()
        made = len(plan.enterprises) + len(plan.talents) + logs + problems
        audit.record(
            actor=None,
            action="demo.load",
            object_type="talent.talent",
            object_label=district.name,
            region_path=district.path,
            changes={"created": made},
        )
    return made


def _commissioners(district: Region) -> list[User]:
    """The demo's commissioners, district-wide, each with a desk; the out-of-scope twin gets a
    desk too (it serves the twin district)."""
    from gridlight.core.demo.build import demo_password

    users = []
    for username, name, phone in COMMISSIONERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=name)
            user.set_password(demo_password(username))
            user.save()
        Assignment.objects.get_or_create(
            user=user,
            role=Role.TALENT_COMMISSIONER,
            region=district,
            defaults={
                "region_path": district.path,
                "write_region": district,
                "write_region_path": district.path,
            },
        )
        CommissionerProfile.objects.get_or_create(user=user, defaults={"office_phone": phone})
        users.append(user)
    twin = User.objects.filter(username="commissioner-other").first()
    if twin is not None:
        CommissionerProfile.objects.get_or_create(
            user=twin, defaults={"office_phone": "0531-86990001"}
        )
    return users


def _pick_weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def _enterprises(rng: random.Random, district: Region, streets: list[Region], today: date) -> _Plan:
    names: set[str] = set()
    codes: set[str] = set()
    # Some streets hold more firms: the vitality zone's and the commercial port's.
    street_weights = [3 if i % 5 == 0 else 2 if i % 3 == 0 else 1 for i in range(len(streets))]
    rows = []
    for i in range(KEY_ENTERPRISES + ORDINARY_ENTERPRISES):
        key = i < KEY_ENTERPRISES
        industry = _pick_weighted(rng, _INDUSTRY_MIX)
        name = ""
        while not name or name in names:
            name = f"山东{rng.choice(_FIRMS)}{rng.choice(_TRADES[industry])}有限公司"
        names.add(name)
        code = ""
        while not code or code in codes:
            code = synthetic_code(rng, division=district.code[:6])
        codes.add(code)
        street = rng.choices(streets, street_weights)[0]
        headcount = int(rng.lognormvariate(4.2 if key else 3.3, 0.9)) + 5
        rows.append(
            Enterprise(
                name=name,
                credit_code=code,
                industry=industry,
                street=street,
                region_path=street.path,
                address=f"济南市市中区{street.name}{rng.choice(_FIRMS)}路{rng.randint(1, 300)}号",
                headcount=headcount,
                revenue_yuan=headcount * rng.randint(300_000, 1_500_000),
                revenue_year=today.year - 1,
            )
        )
    Enterprise.objects.bulk_create(rows, batch_size=500)
    key_firms, ordinary = rows[:KEY_ENTERPRISES], rows[KEY_ENTERPRISES:]
    tags: list[EnterpriseTag] = []
    for e in key_firms:
        year = today.year - rng.choice((0, 0, 1, 1, 2, 3, 4))
        on = date(year, rng.randint(1, 12 if year < today.year else today.month), 1)
        e.introduced_on = on  # type: ignore[attr-defined]
        tags.append(EnterpriseTag(enterprise=e, kind=TagKind.KEY_INTRODUCED, year=year, on=on))
    srdi = rng.sample(key_firms, sum(KEY_SRDI.values()))
    levels = [level for level, n in KEY_SRDI.items() for _ in range(n)]
    for e, level in zip(srdi, levels, strict=True):
        year = today.year - rng.choice((0, 0, 1, 1, 2))
        tags.append(EnterpriseTag(enterprise=e, kind=TagKind.SRDI, level=level, year=year))
    reserve = rng.sample(key_firms, LISTING_AMONG_KEY) + rng.sample(
        ordinary, sum(LISTING.values()) - LISTING_AMONG_KEY
    )
    stages = [stage for stage, n in LISTING.items() for _ in range(n)]
    rng.shuffle(stages)
    for e, stage in zip(reserve, stages, strict=True):
        tags.append(
            EnterpriseTag(
                enterprise=e,
                kind=TagKind.LISTING_RESERVE,
                stage=stage,
                year=today.year - rng.choice((0, 1, 2)),
            )
        )
    EnterpriseTag.objects.bulk_create(tags, batch_size=500)
    platforms = [
        RdPlatform(
            enterprise=e,
            name=f"{e.name.removeprefix('山东').removesuffix('有限公司')}{label}",
            kind=kind,
            level="municipal",
            year=today.year - rng.choice((0, 1, 2, 3)),
        )
        for e, (kind, label) in zip(rng.sample(srdi, MUNICIPAL_PLATFORMS), _PLATFORMS, strict=True)
    ]
    RdPlatform.objects.bulk_create(platforms)
    return _Plan(rows, key_firms, [])


def _talents(rng: random.Random, plan: _Plan, streets: list[Region], today: date) -> list[Talent]:
    used: set[str] = set()
    talents: list[Talent] = []
    families: list[tuple[Talent, list[date]]] = []
    for level, n in TALENTS.items():
        for _ in range(n):
            low, high = _AGES[level]
            age = rng.randint(low, high)
            born = today - timedelta(days=age * 365 + rng.randint(0, 364))
            sex = "M" if rng.random() < 0.68 else "F"
            number = ""
            while not number or number in used:
                number = synthetic_id(rng, region_code=TALENT_ID_REGION, birth_date=born, sex=sex)
            used.add(number)
            phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
            institution = rng.random() < 0.18
            employer = None if institution else rng.choice(plan.key)
            street = employer.street if employer is not None else rng.choice(streets)
            arrived = today - timedelta(days=rng.randint(60, 6 * 365))
            married = rng.random() < (0.9 if age > 32 else 0.55)
            spouse = (
                _pick_weighted(
                    rng,
                    {
                        SpouseEmployment.EMPLOYED: 70,
                        SpouseEmployment.SEEKING: 18,
                        SpouseEmployment.NOT_SEEKING: 12,
                    },
                )
                if married
                else SpouseEmployment.NO_SPOUSE
            )
            housing = _pick_weighted(
                rng, {Housing.OWNS: 40, Housing.RENTS: 25, Housing.APARTMENT: 35}
            )
            t = Talent(
                name=person_name(rng),
                id_number_enc=encrypt(number),
                id_number_index=blind_index(number, purpose="id_number"),
                birth_date=born,
                sex=sex,
                phone_enc=encrypt(phone),
                phone_index=blind_index(phone, purpose="phone"),
                street=street,
                region_path=street.path,
                level=level,
                origin=rng.choice(_ORIGINS[level]),
                degree=rng.choice(_DEGREES[level]),
                field=rng.choice(_FIELDS),
                employer=employer,
                employer_name=rng.choice(_INSTITUTIONS) if institution else "",
                arrived_on=arrived,
                spouse_employment=spouse,
                housing=housing,
            )
            talents.append(t)
            kids: list[date] = []
            if married and age > 27:
                for _k in range(rng.choices((0, 1, 2), (22, 50, 28))[0]):
                    parent_age_at_birth = rng.randint(26, min(42, age))
                    kid = born + timedelta(days=parent_age_at_birth * 365 + rng.randint(0, 364))
                    if kid <= today:
                        kids.append(kid)
            families.append((t, kids))
    Talent.objects.bulk_create(talents, batch_size=500)
    Child.objects.bulk_create(
        [
            Child(talent=t, name=t.name[0] + person_name(rng)[1:], birth_date=kid)
            for t, kids in families
            for kid in sorted(kids)
        ],
        batch_size=500,
    )
    return talents


def _link_public_users(plan: _Plan) -> None:
    """The demo's talent and enterprise sign-ins (and their out-of-scope twins) each reach one
    profile: the demo talent is a class-C doctor with a school-age child."""
    users = {u.username: u for u in User.objects.filter(username__in=_PUBLIC)}
    c_talents = [t for t in plan.talents if t.level == "C"]
    for username, talent in (("talent", c_talents[0]), ("talent-other", c_talents[1])):
        user = users.get(username)
        if user is not None:
            Talent.objects.filter(pk=talent.pk).update(user=user, name=user.display_name)
            talent.user, talent.name = user, user.display_name
    for username, firm in (("enterprise", plan.key[0]), ("enterprise-other", plan.key[1])):
        user = users.get(username)
        if user is not None:
            EnterpriseAccount.objects.get_or_create(user=user, defaults={"enterprise": firm})


_PUBLIC = ("talent", "talent-other", "enterprise", "enterprise-other")


def _assign(plan: _Plan, commissioners: list[User]) -> None:
    """Streets to commissioners, heaviest street first to the lightest caseload, so each
    commissioner serves whole streets and the caseloads come out balanced."""
    by_street: dict[int, list[Any]] = defaultdict(list)
    records: list[Any] = [*plan.talents, *plan.key]
    for record in records:
        by_street[record.street_id].append(record)
    load = {u.pk: 0 for u in commissioners}
    owner: dict[int, int] = {}
    for street_id, records in sorted(by_street.items(), key=lambda s: (-len(s[1]), s[0])):
        pk = min(load, key=lambda k: (load[k], k))
        owner[street_id] = pk
        load[pk] += len(records)
    for model, records in ((Talent, plan.talents), (Enterprise, plan.key)):
        by_owner: dict[int, list[int]] = defaultdict(list)
        for r in records:
            r.commissioner_id = owner[r.street_id]
            by_owner[owner[r.street_id]].append(r.pk)
        for pk, ids in by_owner.items():
            model.objects.filter(pk__in=ids).update(commissioner_id=pk)


def _service_logs(rng: random.Random, plan: _Plan, today: date, now: datetime) -> int:
    """Three years of contacts following each record's cadence, a little irregular; about one
    record in seven has fallen behind (its worklist's overdue section)."""
    cadence = dict(Cadence.objects.values_list("level", "days"))
    start = today - timedelta(days=365 * YEARS)
    sqlite = connection.vendor == "sqlite"
    stamp: Any = now.replace(tzinfo=None).isoformat(" ") if sqlite else now
    rows: list[tuple[Any, ...]] = []
    subjects: list[tuple[Any, str, date]] = [
        (t, t.level, t.arrived_on or start) for t in plan.talents
    ]
    subjects += [(e, "", getattr(e, "introduced_on", start)) for e in plan.key]
    kinds = {ContactKind.VISIT: 45, ContactKind.CALL: 40, ContactKind.SERVICE: 15}
    for subject, level, since in subjects:
        days = cadence.get(level, 91)
        behind = rng.random() < 0.14
        stop = today - timedelta(days=int(days * rng.uniform(1.1, 2.2))) if behind else today
        day = max(since, start) + timedelta(days=rng.randint(3, max(4, days // 2)))
        is_talent = isinstance(subject, Talent)
        while day <= stop:
            kind = _pick_weighted(rng, kinds)
            rows.append(
                (
                    subject.pk if is_talent else None,
                    None if is_talent else subject.pk,
                    subject.region_path,
                    subject.commissioner_id,
                    kind,
                    day.isoformat() if sqlite else day,
                    rng.choice(_NOTES[kind]),
                    stamp,
                )
            )
            day += timedelta(days=max(1, int(days * rng.uniform(0.75, 1.1))))
    columns = [
        "talent_id",
        "enterprise_id",
        "region_path",
        "commissioner_id",
        "kind",
        "on",
        "notes",
        "created_at",
    ]
    quoted = [connection.ops.quote_name(c) for c in columns]
    bulk_insert(ServiceLog._meta.db_table, quoted, rows)
    return len(rows)


def _problems(rng: random.Random, district: Region, plan: _Plan, seed: int, now: datetime) -> int:
    """Talent problems over three years: tickets of the talent categories played through the
    tickets app's demo lifecycle, each raised by or for a talent (four in five) or a key
    enterprise of the ticket's street, followed by its commissioner, with its log entry."""
    from gridlight.tickets.demo import build_category_history
    from gridlight.tickets.models import Ticket

    ids = build_category_history(
        PROBLEMS, categories=list(PROBLEM_CATEGORIES), seed=seed, district=district, now=now
    )
    tickets = Ticket.objects.filter(pk__in=ids).values_list(
        "pk", "category__code", "region_path", "created_at", "requester_id"
    )
    talents_in: dict[str, list[Talent]] = defaultdict(list)
    firms_in: dict[str, list[Enterprise]] = defaultdict(list)
    for t in plan.talents:
        talents_in[t.region_path].append(t)
    for e in plan.key:
        firms_in[e.region_path].append(e)
    own = next((t for t in plan.talents if t.user is not None), None)
    problems: list[TalentProblem] = []
    logs: list[ServiceLog] = []
    zone = timezone.get_current_timezone()
    for pk, code, path, created, requester in tickets:
        street = ".".join(path.split(".")[:2])
        subject: Talent | Enterprise
        if own is not None and requester == own.user_id:
            subject = own
        elif rng.random() < 0.8 or not (firms_in[street] or plan.key):
            subject = rng.choice(talents_in[street] or plan.talents)
        else:
            subject = rng.choice(firms_in[street] or plan.key)
        is_talent = isinstance(subject, Talent)
        problems.append(
            TalentProblem(
                ticket_id=pk,
                talent=subject if is_talent else None,  # type: ignore[misc]
                enterprise=None if is_talent else subject,  # type: ignore[misc]
                region_path=subject.region_path,
                category=PROBLEM_CATEGORIES.get(code, ProblemCategory.OTHER),
                commissioner_id=subject.commissioner_id,
                created_at=created,
            )
        )
        logs.append(
            ServiceLog(
                talent=subject if is_talent else None,  # type: ignore[misc]
                enterprise=None if is_talent else subject,  # type: ignore[misc]
                region_path=subject.region_path,
                commissioner_id=subject.commissioner_id,
                kind=ContactKind.PROBLEM,
                on=created.astimezone(zone).date(),
                notes="发现问题，已转工单办理",
                ticket_id=pk,
            )
        )
    with transaction.atomic():
        TalentProblem.objects.bulk_create(problems, batch_size=500)
        ServiceLog.objects.bulk_create(logs, batch_size=500)
        # Each ticket names the person (or the enterprise) who raised it.
        problem = TalentProblem.objects.filter(ticket_id=OuterRef("pk"))
        Ticket.objects.filter(pk__in=ids).update(
            requester_name=Subquery(
                problem.annotate(
                    who=Coalesce("talent__name", "enterprise__name", Value(""))
                ).values("who")[:1]
            )
        )
    return len(problems)


def talent_demo_summary() -> dict[str, int]:
    """What the demo command prints after building."""
    return {
        "enterprises": Enterprise.objects.count(),
        "talents": Talent.objects.count(),
        "service_log": ServiceLog.objects.count(),
        "problems": TalentProblem.objects.count(),
    }
