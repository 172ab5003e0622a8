"""The built-in attribute catalogue and service packages (staff may add attributes of their own).

Codes are English and stable (rules name them); names are what staff see.
"""

from __future__ import annotations

# code, name, English name, applies to, graded
ATTRIBUTES: list[tuple[str, str, str, str, bool]] = [
    ("living_alone", "独居", "living alone", "household", False),
    ("empty_nest", "空巢", "empty-nest", "household", False),
    ("disability", "残疾", "disability", "resident", True),
    ("dementia", "失智（认知障碍）", "dementia", "resident", False),
    ("bedridden", "失能卧床", "bedridden", "resident", False),
    ("subsistence_allowance", "低保", "subsistence allowance (dibao)", "household", False),
    ("extreme_hardship", "特困供养", "extreme hardship (tekun)", "resident", False),
    ("serious_illness", "重大疾病", "serious illness", "resident", False),
    ("chronic_illness", "慢性病", "chronic illness", "resident", False),
    ("severe_mental_disorder", "严重精神障碍", "severe mental disorder", "resident", False),
    ("no_carer", "无人照料", "no carer", "household", False),
    ("children_in_difficulty", "困境儿童", "children in difficulty", "resident", False),
    ("left_behind_child", "留守儿童", "left-behind child", "resident", False),
    ("special_care", "优抚对象", "special-care object", "resident", False),
    ("unemployed", "失业", "unemployed", "resident", False),
    ("family_dispute", "家庭矛盾纠纷", "family dispute", "household", False),
    ("community_correction", "社区矫正对象", "under community correction", "resident", False),
]

# light, visit interval in days, service items
SERVICE_PACKAGES: list[tuple[str, int, list[str]]] = [
    ("red", 7, ["每周入户走访", "网格员结对帮扶", "紧急呼叫响应", "助餐助浴助医", "政策兜底保障"]),
    ("yellow", 30, ["每月走访或电话问候", "政策咨询与代办", "志愿服务对接", "心理疏导"]),
    ("green", 90, ["每季度走访", "社区活动邀请", "信息更新"]),
]
