"""The built-in catalogues: the 13 measures of the "经纬雁阵" cadre plan and the 红色家园
standards checklist for service positions.

The report (FACTS.md §1) gives the number of measures, 13, and names two of them, on-stage
competitions (上台比武) and temporary-post training (挂职实训). The other eleven names below are
our own wording of the usual measures of such plans, to be replaced by the district's document;
``records_posting`` marks those that record a unit and dates.
"""

from __future__ import annotations

from typing import Any

# number, code, name, records a posting (unit and dates)
MEASURES: list[tuple[int, str, str, bool]] = [
    (1, "arena", "上台比武", False),
    (2, "posting", "挂职实训", True),
    (3, "rotation", "轮岗交流", True),
    (4, "mentoring", "导师帮带", False),
    (5, "training", "集中轮训", False),
    (6, "study_tour", "外出考察学习", False),
    (7, "project_lead", "领办攻坚项目", False),
    (8, "reserve", "后备力量储备", False),
    (9, "degree", "学历提升", False),
    (10, "case_sharing", "案例分享", False),
    (11, "assessment", "年度考核", False),
    (12, "incentive", "激励关怀", False),
    (13, "exit", "能上能下", False),
]

# code, title, position kind ("" = every kind)
STANDARDS: list[tuple[str, str, str]] = [
    ("sign", "统一标识标牌规范醒目", ""),
    ("hours", "开放时间公示并按时开放", ""),
    ("staff", "有专人值守或联系人公示", ""),
    ("services", "服务事项清单上墙", ""),
    ("safety", "消防、用电安全达标", ""),
    ("accessible", "无障碍设施完备", ""),
    ("area", "党群服务中心面积达标", "party_mass_centre"),
    ("layout", "功能分区合理（办事、活动、议事）", "party_mass_centre"),
    ("heating", "暖心驿站冬有暖气夏有空调、饮水热水", "warm_heart_station"),
    ("grid_info", "网格员信息与网格图公示", "grid_station"),
]


def seed(apps: Any = None) -> None:
    """Create or update the catalogues (idempotent; a migration passes its ``apps``)."""
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    measure = apps.get_model("evaluation", "Measure")
    item = apps.get_model("evaluation", "StandardItem")
    for number, code, name, posting in MEASURES:
        measure.objects.update_or_create(
            code=code, defaults={"number": number, "name": name, "records_posting": posting}
        )
    for order, (code, title, kind) in enumerate(STANDARDS):
        item.objects.update_or_create(
            code=code, defaults={"title": title, "position_kind": kind, "sort_order": order}
        )
