"""The demo district's key projects and indicators, reproducing the report's figures (FACTS.md
§2) from records: 134 key projects this year across the five industries (the national oil and
gas pipeline's Shandong branch, 中博领创时代 at 16.6 bn yuan among them), the vitality zone's
demolition task at 74.8% computed from its monthly reports, 440 + 85 mu of land supplied, 9
road projects next, 6 commercial complexes under construction; finance value added 69.6 (亿元)
in Q1, +11.7%, 2.8 points above the city, pulling GDP growth up by 2.6 points; 4,262 5G base
stations; the energy-internet industry at 3,200 (亿元), +19.9%; 38 energy application scenarios.

Projects, milestones, data elements and indicators go through the services (checked and
audited, as the district admin). The months of reports and the series of values are the demo's
history and are written directly as approved rows, as the tickets' history is; the lights are
then assessed by the service. Idempotent: a second run changes nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridlight.core.models import Region, RegionLevel, User
from gridlight.development import indicator_services, services
from gridlight.development.models import (
    DataElement,
    DataValue,
    Indicator,
    Milestone,
    ProgressReport,
    Project,
    ReportLine,
    ReportStatus,
    ValueStatus,
)
from gridlight.tickets.catalogue import ensure_units
from gridlight.tickets.models import Unit

SEED = 2023
KEY_PROJECTS = 134
INDUSTRIES = ["finance", "digital", "energy", "urban", "commerce"]
DEMOLITION_TASK_M2 = Decimal(209_900)  # 157,000 m² = 74.8% of it
DEMOLISHED_M2 = Decimal(157_000)
RESIDENTIAL_MU = [Decimal(150), Decimal(170), Decimal(120)]  # 440 mu
COMMERCIAL_MU = [Decimal(50), Decimal(35)]  # 85 mu
ROADS = [
    "国道104与党杨路立交工程",
    "党杨路（经十路—二环南路）改造工程",
    "中央活力区纬一路",
    "中央活力区纬二路",
    "中央活力区经一路",
    "中央活力区经二路",
    "中央活力区经三路",
    "兴济河东路打通工程",
    "郎茂山路南延工程",
]
COMPLEXES = 6

NAMES = {
    "finance": ["金融中心", "基金产业园", "财富广场", "金融科技中心", "保险总部大厦"],
    "digital": ["数字经济产业园", "算力中心", "软件园", "工业互联网平台", "数据要素港"],
    "energy": ["能源互联网研发中心", "智慧能源站", "储能示范项目", "能源交易中心", "装备制造基地"],
    "urban": ["都市工业园", "智能制造中心", "工业设计中心", "检测认证基地", "精密制造园"],
    "commerce": ["商业街区改造", "总部经济大厦", "国际消费中心", "文旅商业街", "高端酒店"],
}


def _yuan_fen(yi: Decimal) -> int:
    """亿元 → fen."""
    return int(yi * 10_000_000_000)


def build_development(today: date | None = None) -> int:
    """Build the demo's key projects and indicators (idempotent); returns records created."""
    today = today or timezone.localdate()
    admin = User.objects.filter(username="admin").first()
    district = Region.objects.filter(code="370103").first()
    if admin is None or district is None:
        return 0
    if Project.objects.filter(code__startswith="KP-").exists():
        return 0
    ensure_units(district)
    with transaction.atomic():
        made = _projects(admin, district, today)
        made += _indicators(admin, district, today)
    # A snapshot for every month of the year so far, then the lights as of the last one.
    last = services.assessment_day(today)
    month = date(last.year, 1, 1)
    while month < services.month_start(last):
        services.assess_projects(
            Project.objects.filter(code__startswith="KP-"),
            as_of=services.month_end(month),
            snapshot=True,
        )
        month = services.month_end(month) + timedelta(days=1)
    services.lights_recompute(actor=admin, as_of=last)
    return made


# --- projects ---------------------------------------------------------------------------------


def _projects(admin: Any, district: Region, today: date) -> int:
    rng = random.Random(SEED)  # noqa: S311 - synthetic demo data
    year = today.year
    streets = list(Region.objects.filter(parent=district, level=RegionLevel.STREET))
    offices = {u.region_id: u for u in Unit.objects.filter(kind="street", region__in=streets)}
    departments = {u.code: u for u in Unit.objects.filter(kind="department")}
    construction = departments["construction"]
    vitality = streets[7 % len(streets)]  # the demo's vitality-zone street
    last_month = services.month_start(services.assessment_day(today))
    months = (
        [date(year, m, 1) for m in range(1, last_month.month + 1)]
        if last_month.year == year
        else []
    )
    reports: list[tuple[Project, date, int, list[tuple[Milestone, Decimal]]]] = []
    made = 0

    def create(**kw: Any) -> Project:
        data = services.ProjectInput(**kw)
        return services.project_create(actor=admin, data=data)

    # 134 key investment projects, among them the pipeline branch and 中博领创时代.
    specials = {
        0: ("国家石油天然气管网集团山东分公司总部项目", "energy", "energy_cluster", Decimal(30)),
        1: ("中博领创时代", "commerce", "vitality", Decimal("166")),
    }
    complexes = 0
    for i in range(KEY_PROJECTS):
        industry = INDUSTRIES[i % len(INDUSTRIES)]
        zone = rng.choice(["", "", "vitality", "port", "energy_cluster"])
        total = Decimal(rng.randint(2, 60))
        name = f"{rng.choice(NAMES[industry])}（{i + 1:03d}）"
        stage = rng.choice(["started", "building", "building", "building"])
        if i in specials:
            name, industry, zone, total = specials[i]
        elif industry == "commerce" and complexes < COMPLEXES:
            brand = rng.choice(["万象", "领秀", "泉城", "绿地", "恒隆", "印象"])
            name = f"{brand}城商业综合体（{i + 1:03d}）"
            stage = "building"
            complexes += 1
        elif industry == "commerce" and stage == "building":
            stage = "started"
        street = vitality if zone == "vitality" else streets[i % len(streets)]
        annual = (total / 3).quantize(Decimal("0.01"))
        start = date(year, 1 + i % 3, 1)
        project = create(
            code=f"KP-{year}-{i + 1:03d}",
            name=name,
            year=year,
            industry=industry,
            zone=zone,
            region=street,
            unit=offices[street.pk],
            person=rng.choice(["王", "李", "张", "刘", "陈"])
            + rng.choice(["伟", "芳", "强", "敏"]),
            total_investment_fen=_yuan_fen(total),
            annual_investment_fen=_yuan_fen(annual),
            planned_start=start,
            planned_end=date(year + 2, 12, 31),
            stage=stage,
            signed_on=start - timedelta(days=60),
            started_on=start + timedelta(days=rng.randint(0, 20)),
        )
        milestone = services.milestone_add(
            actor=admin,
            project=project,
            name="年度投资",
            quantity_unit="yuan",
            planned_quantity=annual * 100_000_000,
            planned_start=start,
            planned_end=date(year, 12, 31),
        )
        # Most keep pace; some fall 10–30 points behind, a few more.
        pace = rng.choices([1.02, 0.78, 0.3], weights=[78, 16, 6])[0]
        share = _monthly_shares(start, months, pace)
        for month, part in share:
            quantity = (milestone.planned_quantity * part).quantize(Decimal("0.01"))
            reports.append((project, month, int(quantity * 100), [(milestone, quantity)]))
        made += 2

    # The vitality zone's demolition task: 157,000 of 209,900 m² demolished.
    demolition = create(
        code=f"KP-{year}-D01",
        name="中央活力区二期房屋征收拆迁",
        year=year,
        industry="other",
        kind="demolition",
        zone="vitality",
        region=vitality,
        unit=offices[vitality.pk],
        total_investment_fen=_yuan_fen(Decimal(45)),
        annual_investment_fen=_yuan_fen(Decimal(20)),
        planned_start=date(year, 1, 1),
        planned_end=date(year, 12, 31),
        stage="building",
        started_on=date(year, 1, 10),
    )
    houses = services.milestone_add(
        actor=admin,
        project=demolition,
        name="房屋征收拆除",
        quantity_unit="m2",
        planned_quantity=DEMOLITION_TASK_M2,
        planned_start=date(year, 1, 1),
        planned_end=date(year, 12, 31),
    )
    for month, quantity in _split(DEMOLISHED_M2, months):
        reports.append((demolition, month, 0, [(houses, quantity)]))
    # Land supplied in area 1: 440 mu residential and 85 mu commercial.
    parcels = [("residential", mu) for mu in RESIDENTIAL_MU] + [
        ("commercial", mu) for mu in COMMERCIAL_MU
    ]
    for k, (use, mu) in enumerate(parcels, start=1):
        supplied = months[min(k, len(months) - 1)] if months else date(year, 1, 1)
        parcel = create(
            code=f"KP-{year}-L{k:02d}",
            name=f"中央活力区一期{'住宅' if use == 'residential' else '商业'}用地（{k}号地块）",
            year=year,
            industry="other",
            kind="land",
            zone="vitality",
            land_use=use,
            region=vitality,
            unit=construction,
            total_investment_fen=0,
            annual_investment_fen=0,
            planned_start=date(year, 1, 1),
            planned_end=date(year, 12, 31),
            stage="completed",
            started_on=date(year, 1, 1),
            completed_on=supplied + timedelta(days=20),
            supplied_on=supplied + timedelta(days=20),
        )
        land = services.milestone_add(
            actor=admin,
            project=parcel,
            name="土地供应",
            quantity_unit="mu",
            planned_quantity=mu,
            planned_start=date(year, 1, 1),
            planned_end=date(year, 12, 31),
        )
        reports.append((parcel, supplied, 0, [(land, mu)]))
    # Next: 9 road-network projects, signed, starting next year.
    for k, name in enumerate(ROADS, start=1):
        road = create(
            code=f"KP-{year}-R{k:02d}",
            name=name,
            year=year,
            industry="other",
            kind="road",
            zone="vitality",
            region=vitality,
            unit=construction,
            total_investment_fen=_yuan_fen(Decimal(rng.randint(3, 12))),
            annual_investment_fen=0,
            planned_start=date(year + 1, 3, 1),
            planned_end=date(year + 2, 12, 31),
            stage="signed",
            signed_on=date(year, 6, 1),
        )
        services.milestone_add(
            actor=admin,
            project=road,
            name="道路建设",
            quantity_unit="km",
            planned_quantity=Decimal(rng.randint(8, 40)) / 10,
            planned_start=date(year + 1, 3, 1),
            planned_end=date(year + 2, 12, 31),
        )
    made += 2 + 2 * len(parcels) + 2 * len(ROADS)
    return made + _write_reports(admin, reports)


def _monthly_shares(start: date, months: list[date], pace: float) -> list[tuple[date, Decimal]]:
    """Each month's share of a year's plan that starts in ``start``, at ``pace`` of the plan."""
    mine = [m for m in months if m >= start]
    if not mine:
        return []
    span = 12 - start.month + 1
    part = Decimal(str(pace)) / span
    return [(m, part) for m in mine]


def _split(total: Decimal, months: list[date]) -> list[tuple[date, Decimal]]:
    """``total`` over ``months`` in equal parts, the last taking the rounding."""
    if not months:
        return []
    each = (total / len(months)).quantize(Decimal(1))
    parts = [each] * (len(months) - 1)
    return list(zip(months, [*parts, total - sum(parts)], strict=True))


def _write_reports(
    admin: Any, reports: list[tuple[Project, date, int, list[tuple[Milestone, Decimal]]]]
) -> int:
    at = timezone.now()
    rows = ProgressReport.objects.bulk_create(
        [
            ProgressReport(
                project=project,
                month=month,
                region_path=project.region_path,
                unit_id=project.unit_id,
                investment_fen=fen,
                status=ReportStatus.APPROVED,
                submitted_at=at,
                decided_by=admin,
                decided_at=at,
            )
            for project, month, fen, _lines in reports
        ],
        batch_size=1000,
    )
    lines = [
        ReportLine(report=row, milestone=milestone, quantity=quantity)
        for row, (_p, _m, _f, items) in zip(rows, reports, strict=True)
        for milestone, quantity in items
    ]
    ReportLine.objects.bulk_create(lines, batch_size=2000)
    return len(rows) + len(lines)


# --- indicators -------------------------------------------------------------------------------

# code, name, unit, aggregation, period type, industry, part of GDP
ELEMENTS = [
    ("gdp", "地区生产总值", "亿元", "sum", "quarter", "", False),
    ("finance_va", "金融业增加值", "亿元", "sum", "quarter", "finance", True),
    ("digital_va", "数字经济核心产业增加值", "亿元", "sum", "quarter", "digital", True),
    ("commerce_va", "批发零售和住宿餐饮业增加值", "亿元", "sum", "quarter", "commerce", True),
    ("city_finance_va", "全市金融业增加值", "亿元", "sum", "quarter", "finance", False),
    ("stations_5g", "5G基站累计建成数", "个", "last", "month", "digital", False),
    ("energy_scale", "能源互联网产业规模", "亿元", "sum", "year", "energy", False),
    ("energy_scenarios", "能源互联网应用场景累计数", "个", "last", "month", "energy", False),
    ("fixed_investment", "固定资产投资", "亿元", "sum", "month", "", False),
    ("retail_sales", "社会消费品零售总额", "亿元", "sum", "month", "", False),
]

# Q1 of this year and of last year (亿元): finance 69.6 against 62.31 (+11.7%), GDP 305.0
# against 280.4 — so finance's increase of 7.29 pulls GDP growth up by 2.6 points; the city's
# finance grew 8.9%, 2.8 points less.
Q1 = {
    "gdp": ("305.0", "280.4"),
    "finance_va": ("69.6", "62.31"),
    "digital_va": ("41.8", "37.9"),
    "commerce_va": ("48.2", "46.5"),
    "city_finance_va": ("653.4", "600.0"),
}


def _indicators(admin: Any, district: Region, today: date) -> int:
    made = 0
    elements = {}
    for code, name, unit, how, kind, industry, part in ELEMENTS:
        elements[code] = indicator_services.element_create(
            actor=admin,
            code=code,
            name=name,
            unit=unit,
            aggregation=how,
            period_type=kind,
            industry=industry,
            gdp_part=part,
        )
        made += 1
    year = today.year
    values: dict[tuple[str, date], Decimal] = {}
    quarters = [date(y, m, 1) for y in (year - 1, year) for m in (1, 4, 7, 10)]
    # Only periods that have ended: a quarter or month still running has no figure yet.
    quarters = [q for q in quarters if q < date(today.year, (today.month - 1) // 3 * 3 + 1, 1)]
    for code, (now, before) in Q1.items():
        for q in quarters:
            base = Decimal(now if q.year == year else before)
            # Later quarters a little larger than the first (seasonal, synthetic).
            values[(code, q)] = (base * (1 + Decimal("0.04") * (q.month // 3))).quantize(
                Decimal("0.01")
            )
    months = [date(y, m, 1) for y in (year - 1, year) for m in range(1, 13)]
    months = [m for m in months if m < date(today.year, today.month, 1)]
    for k, month in enumerate(months):
        latest = k == len(months) - 1
        values[("stations_5g", month)] = Decimal(4262) if latest else Decimal(3100 + 48 * k)
        values[("energy_scenarios", month)] = Decimal(38) if latest else Decimal(12 + k)
        grown = Decimal("1.06") if month.year == year else Decimal(1)
        values[("fixed_investment", month)] = (Decimal(18 + (k % 12)) * grown).quantize(
            Decimal("0.01")
        )
        values[("retail_sales", month)] = (Decimal(55 + (k % 12) * 2) * grown).quantize(
            Decimal("0.01")
        )
    values[("energy_scale", date(year - 1, 1, 1))] = Decimal("2668.89")  # 3200 ÷ 1.199
    values[("energy_scale", date(year, 1, 1))] = Decimal(3200)
    at = timezone.now()
    DataValue.objects.bulk_create(
        [
            DataValue(
                element=elements[code],
                period=period,
                region=district,
                region_path=district.path,
                value=value,
                status=ValueStatus.APPROVED,
                entered_by=admin,
                approved_by=admin,
                updated_at=at,
            )
            for (code, period), value in values.items()
        ],
        batch_size=1000,
    )
    made += len(values)
    for code, target in (("gdp", 1300), ("stations_5g", 4500), ("fixed_investment", 260)):
        indicator_services.target_set(
            actor=admin, element=elements[code], region=district, year=year, value=target
        )
    for code, name, kind, num, den, factor, unit in (
        ("finance_share", "金融业增加值占GDP比重", "ratio", "finance_va", "gdp", 100, "%"),
        ("finance_growth", "金融业增加值增速", "yoy", "finance_va", "", 1, "%"),
        (
            "finance_above_city",
            "金融业增速高于全市",
            "city_gap",
            "finance_va",
            "city_finance_va",
            1,
            "个百分点",
        ),
        ("gdp_ytd", "地区生产总值（累计）", "ytd", "gdp", "", 1, "亿元"),
        ("energy_growth", "能源互联网产业规模增速", "yoy", "energy_scale", "", 1, "%"),
    ):
        indicator_services.indicator_define(
            actor=admin,
            code=code,
            name=name,
            kind=kind,
            numerator=num,
            denominator=den,
            factor=factor,
            unit=unit,
        )
        made += 1
    return made


def development_summary(year: int) -> dict[str, Any]:
    """The report's figures as the demo's records give them (tests and the command print)."""
    from django.db.models import Count, Sum

    from gridlight.development import indicator_selectors as sel
    from gridlight.development.figures import rounded

    projects = Project.objects.filter(year=year)
    district = Region.objects.get(code="370103")
    demolition = Project.objects.get(code=f"KP-{year}-D01")
    supplied = {
        use: ReportLine.objects.filter(
            milestone__project__kind="land",
            milestone__project__land_use=use,
            milestone__project__year=year,
            report__status=ReportStatus.APPROVED,
        ).aggregate(total=Sum("quantity"))["total"]
        for use in ("residential", "commercial")
    }
    gdp = DataElement.objects.get(code="gdp")
    finance = DataElement.objects.get(code="finance_va")
    q1 = date(year, 1, 1)
    table = sel.contribution_table(
        gdp, list(DataElement.objects.filter(gdp_part=True)), district, q1
    )
    finance_pull = next(r.pull for r in table.rows if r.name == finance.name)
    growth = sel.element_figures(finance, district, q1).growth
    gap = sel.indicator_figure(Indicator.objects.get(code="finance_above_city"), district, q1)
    stations = DataElement.objects.get(code="stations_5g")
    energy = DataElement.objects.get(code="energy_scale")
    latest = sel.latest_period(stations, district)
    return {
        "key_projects": projects.filter(kind="general").count(),
        "demolition_pct": demolition.actual_pct,
        "residential_mu": supplied["residential"],
        "commercial_mu": supplied["commercial"],
        "roads": projects.filter(kind="road").count(),
        "complexes_building": projects.filter(
            name__contains="商业综合体", stage="building"
        ).count(),
        "finance_q1": sel.element_figures(finance, district, q1).value.rounded(1),
        "finance_growth": growth.rounded(1),
        "finance_above_city": gap.rounded(1),
        "finance_pull": rounded(finance_pull, 1),
        "stations_5g": sel.element_figures(stations, district, latest).value.rounded(0)
        if latest
        else None,
        "energy_scale": sel.element_figures(energy, district, q1).value.rounded(0),
        "energy_growth": sel.element_figures(energy, district, q1).growth.rounded(1),
        "pipeline": projects.filter(name__contains="国家石油天然气管网").exists(),
        "zhongbo_fen": Project.objects.get(name="中博领创时代").total_investment_fen,
        "lights": dict(projects.values_list("light").annotate(n=Count("pk"))),
    }
