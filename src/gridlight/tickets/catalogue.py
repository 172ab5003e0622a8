"""The built-in ticket catalogue: SLA policies, categories and the district's units.

Policies follow Shandong 12345 practice (handle within 5 working days, extensions up to 10 in
all, return within 2, yellow card 1 working day before the deadline). Categories name the unit
that usually handles them by code; ``street`` means the office of the street where the problem is.
"""

from __future__ import annotations

from typing import Any

# code, name, response, handle, max extension, return, yellow, supervise, verify on site
POLICIES: list[tuple[str, str, int, int, int, int, int, int, bool]] = [
    ("standard", "一般诉求（5个工作日）", 1, 5, 10, 2, 1, 2, False),
    ("onsite", "需现场核查（5个工作日）", 1, 5, 10, 2, 1, 2, True),
    ("urgent", "紧急诉求（2个工作日）", 1, 2, 3, 1, 1, 1, True),
    ("talent", "人才服务（5个工作日，专员跟进）", 1, 5, 10, 2, 1, 2, False),
]

# code, name, English name, parent code, policy, unit code, talent
CATEGORIES: list[tuple[str, str, str, str, str, str, bool]] = [
    ("city", "城市管理", "City management", "", "standard", "", False),
    ("sanitation", "环境卫生", "Sanitation", "city", "onsite", "street", False),
    ("street_vending", "占道经营", "Street vending", "city", "standard", "urban", False),
    ("illegal_building", "违章建设", "Illegal construction", "city", "onsite", "urban", False),
    ("street_light", "路灯照明", "Street lights", "city", "standard", "urban", False),
    ("public_works", "市政设施", "Public works", "", "standard", "", False),
    ("road_damage", "道路破损", "Damaged road", "public_works", "onsite", "construction", False),
    (
        "manhole",
        "井盖缺损",
        "Missing manhole cover",
        "public_works",
        "urgent",
        "construction",
        False,
    ),
    (
        "heating_water",
        "供暖供水",
        "Heating and water",
        "public_works",
        "urgent",
        "construction",
        False,
    ),
    ("property", "物业管理", "Property management", "", "standard", "", False),
    ("property_service", "物业服务", "Property service", "property", "standard", "housing", False),
    ("lift", "电梯故障", "Lift fault", "property", "urgent", "market", False),
    ("welfare", "民生保障", "Welfare", "", "standard", "", False),
    ("employment", "就业创业", "Employment", "welfare", "standard", "hr", False),
    ("elderly_care", "养老服务", "Elderly care", "welfare", "standard", "civil", False),
    ("assistance", "困难救助", "Hardship assistance", "welfare", "onsite", "civil", False),
    ("medical", "医疗卫生", "Health care", "welfare", "standard", "health", False),
    ("environment", "生态环境", "Environment", "", "standard", "", False),
    ("noise", "噪音扰民", "Noise", "environment", "onsite", "ecology", False),
    ("fumes", "油烟污染", "Cooking fumes", "environment", "onsite", "ecology", False),
    ("market", "市场监管", "Market regulation", "", "standard", "", False),
    ("food_safety", "食品安全", "Food safety", "market", "urgent", "market", False),
    ("consumer", "消费纠纷", "Consumer dispute", "market", "standard", "market", False),
    ("neighbours", "邻里纠纷", "Neighbour dispute", "", "onsite", "street", False),
    ("talent_service", "人才服务", "Talent service", "", "talent", "", True),
    (
        "school_enrolment",
        "子女入学",
        "Children's school enrolment",
        "talent_service",
        "talent",
        "education",
        True,
    ),
    ("talent_housing", "人才公寓", "Talent apartment", "talent_service", "talent", "housing", True),
    ("hukou", "落户办理", "Household registration", "talent_service", "talent", "police", True),
    ("spouse_job", "配偶就业", "Spouse employment", "talent_service", "talent", "hr", True),
    (
        "talent_policy",
        "人才政策兑现",
        "Talent policy benefits",
        "talent_service",
        "talent",
        "talent_office",
        True,
    ),
    ("talent_medical", "医疗保障", "Medical insurance", "talent_service", "talent", "health", True),
    ("talent_travel", "出入境", "Entry and exit", "talent_service", "talent", "police", True),
    (
        "talent_consult",
        "政策咨询",
        "Policy consultation",
        "talent_service",
        "talent",
        "talent_office",
        True,
    ),
    (
        "talent_other",
        "其他人才诉求",
        "Other talent problem",
        "talent_service",
        "talent",
        "talent_office",
        True,
    ),
]

# Department units of the district: code, name.
DEPARTMENTS: list[tuple[str, str]] = [
    ("urban", "区城市管理局"),
    ("construction", "区住房和城乡建设局"),
    ("housing", "区住房保障和房产中心"),
    ("hr", "区人力资源和社会保障局"),
    ("civil", "区民政局"),
    ("health", "区卫生健康局"),
    ("ecology", "市生态环境局市中分局"),
    ("market", "区市场监督管理局"),
    ("education", "区教育和体育局"),
    ("police", "市公安局市中区分局"),
    ("talent_office", "区委人才工作领导小组办公室"),
]


def seed_catalogue(apps: Any = None) -> None:
    """Create the built-in policies and categories (idempotent; used by the migration)."""
    if apps is None:
        from django.apps import apps as live

        apps = live
    policy_model = apps.get_model("tickets", "SlaPolicy")
    category_model = apps.get_model("tickets", "Category")
    policies = {}
    for code, name, resp, handle, ext, ret, yellow, sup, onsite in POLICIES:
        policies[code], _ = policy_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "response_days": resp,
                "handle_days": handle,
                "max_extension_days": ext,
                "return_days": ret,
                "yellow_days": yellow,
                "supervise_days": sup,
                "verify_on_site": onsite,
            },
        )
    made: dict[str, Any] = {}
    for order, (code, name, name_en, parent, policy, unit, talent) in enumerate(CATEGORIES):
        made[code], _ = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "parent": made.get(parent),
                "policy": policies[policy],
                "to_street": unit == "street",
                "talent": talent,
                "sort_order": order,
            },
        )


def ensure_units(district: Any) -> dict[str, Any]:
    """The district's department units and one unit per street office; links each category to
    its default department. Idempotent."""
    from gridlight.core.models import Region, RegionLevel
    from gridlight.tickets.models import Category, Unit, UnitKind

    units: dict[str, Unit] = {}
    for code, name in DEPARTMENTS:
        units[code], _ = Unit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": UnitKind.DEPARTMENT,
                "region": district,
                "region_path": district.path,
            },
        )
    streets = Region.objects.filter(parent=district, level=RegionLevel.STREET)
    for street in streets:
        code = f"street-{street.code}"
        units[code], _ = Unit.objects.get_or_create(
            code=code,
            defaults={
                "name": f"{street.name}办事处",
                "kind": UnitKind.STREET,
                "region": street,
                "region_path": street.path,
            },
        )
    wanted = {c[0]: c[5] for c in CATEGORIES}
    for category in Category.objects.filter(default_unit__isnull=True):
        unit = units.get(wanted.get(category.code, ""))
        if unit is not None:
            Category.objects.filter(pk=category.pk).update(default_unit=unit)
    return units
