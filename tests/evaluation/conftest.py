"""A district's evaluation year with a planned cycle and an open arena: three streets, five
judges (one of them also works in the secret street, so is recused from it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from gridlight.core.models import Region, User
from gridlight.evaluation import services
from gridlight.evaluation.models import CycleYear, Event, Round
from tests.conftest import World
from tests.factories import RegionFactory, UserFactory, assign


@dataclass
class Cycle:
    world: World
    cycle: CycleYear
    arena: Event
    round: Round
    streets: list[Region]
    judges: list[User]
    admin: User


@pytest.fixture
def cycle(world: World) -> Cycle:
    admin = world.users["district_admin"]
    third = RegionFactory(parent=world.district, kind="street", code="900001003", name="第三街道")
    streets = [world.secret_street, world.open_street, third]
    year = services.cycle_create(actor=admin, district=world.district, year=2026)
    services.cycle_plan(actor=admin, cycle=year)
    arena = year.events.get(kind="arena", number=1)
    round_ = services.round_create(
        actor=admin,
        event=arena,
        title="一季度擂台",
        criteria=[
            services.CriterionInput("工作成效", Decimal(60), Decimal(10)),
            services.CriterionInput("创新特色", Decimal(40), Decimal(10)),
        ],
        entrants=streets,
    )
    judges = []
    for i in range(5):
        user = UserFactory(username=f"judge{i}")
        assign(user, "evaluator", world.district)
        judges.append(user)
    # judge0 is also on the staff of the secret street.
    assign(judges[0], "street_staff", world.secret_street)
    for user in judges:
        services.judge_appoint(actor=admin, round_=round_, user=user)
    return Cycle(world, year, arena, round_, streets, judges, admin)
