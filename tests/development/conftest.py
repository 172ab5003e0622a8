"""Key projects in the test district: a demolition task in the secret street run by that
street's office, and a road project in the open street run by a department."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import translation

from gridlight.development import services
from gridlight.development.models import Milestone, Project
from tests.conftest import CANARY, World


@dataclass
class Projects:
    demolition: Project
    houses: Milestone  # 210,000 m² to demolish in 2026
    road: Project
    road_km: Milestone


def make_projects(world: World) -> Projects:
    admin = world.users["district_admin"]
    demolition = services.project_create(
        actor=admin,
        data=services.ProjectInput(
            code="P-DEMOLITION",
            name=f"{CANARY}片区征收",
            year=2026,
            industry="other",
            kind="demolition",
            zone="vitality",
            region=world.secret_street,
            unit=world.units[f"street-{world.secret_street.code}"],
            total_investment_fen=5_000_000_000,
            annual_investment_fen=2_000_000_000,
            planned_start=date(2026, 1, 1),
            planned_end=date(2026, 12, 31),
            stage="building",
            started_on=date(2026, 1, 5),
        ),
    )
    houses = services.milestone_add(
        actor=admin,
        project=demolition,
        name="房屋征收拆除",
        quantity_unit="m2",
        planned_quantity="210000",
        planned_start=date(2026, 1, 1),
        planned_end=date(2026, 12, 31),
    )
    road = services.project_create(
        actor=admin,
        data=services.ProjectInput(
            code="P-ROAD",
            name="党杨路立交",
            year=2026,
            industry="other",
            kind="road",
            zone="vitality",
            region=world.open_street,
            unit=world.units["construction"],
            total_investment_fen=80_000_000_000,
            annual_investment_fen=30_000_000_000,
            planned_start=date(2026, 3, 1),
            planned_end=date(2027, 2, 28),
        ),
    )
    road_km = services.milestone_add(
        actor=admin,
        project=road,
        name="主线建设",
        quantity_unit="km",
        planned_quantity="4.5",
        planned_start=date(2026, 3, 1),
        planned_end=date(2027, 2, 28),
    )
    return Projects(demolition, houses, road, road_km)


@pytest.fixture
def projects(world: World) -> Projects:
    world.units["construction"].members.add(world.users["department_handler"])
    return make_projects(world)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Services' messages are matched in English here (pages are tested in Chinese)."""
    with translation.override("en"):
        yield
