"""Seed the attribute catalogue, the service packages and the default traffic-light rule set."""

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.db import migrations

from gridlight.households.catalogue import ATTRIBUTES, SERVICE_PACKAGES

RULES = Path(__file__).resolve().parent.parent / "rules" / "traffic_light.yaml"


def seed(apps: Any, schema_editor: Any) -> None:
    Attribute = apps.get_model("households", "Attribute")
    ServicePackage = apps.get_model("households", "ServicePackage")
    RuleSet = apps.get_model("rules", "RuleSet")
    RuleSetVersion = apps.get_model("rules", "RuleSetVersion")
    for order, (code, name, name_en, applies_to, graded) in enumerate(ATTRIBUTES):
        Attribute.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "applies_to": applies_to,
                "graded": graded,
                "builtin": True,
                "sort_order": order * 10,
            },
        )
    for light, days, items in SERVICE_PACKAGES:
        ServicePackage.objects.get_or_create(
            light=light, defaults={"visit_interval_days": days, "items": items}
        )
    rule_set, _ = RuleSet.objects.get_or_create(
        code="traffic_light",
        defaults={
            "subject": "household",
            "name": "家庭信号灯",
            "description": "红黄绿三色分类：红色重点关注，黄色一般关注，绿色常态服务。",
        },
    )
    if not RuleSetVersion.objects.filter(rule_set=rule_set).exists():
        definition = yaml.safe_load(RULES.read_text(encoding="utf-8"))
        for case in definition.get("tests", []):
            case["as_of"] = str(case["as_of"])
        RuleSetVersion.objects.create(
            rule_set=rule_set,
            number=1,
            status="published",
            definition=definition,
            note="默认规则（首版）",
            effective_from=date(2020, 1, 1),
        )


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial"), ("rules", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
