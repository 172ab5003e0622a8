"""Evaluation records of the secret street, for the route walk: a year with its plan, the
secret street's 一街一品 entry and an action item, an open arena with a sealed sheet about the
secret street, and an assessment whose scores name it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gridlight.evaluation import services
from gridlight.evaluation.models import Assessment, AssessmentScore, CycleYear, Round
from tests.conftest import CANARY, World
from tests.factories import UserFactory, assign


def make(world: World) -> None:
    admin = world.users["district_admin"]
    cycle = services.cycle_create(actor=admin, district=world.district, year=2026)
    services.cycle_plan(actor=admin, cycle=cycle)
    services.brand_save(
        actor=admin,
        cycle=cycle,
        street=world.secret_street,
        project=f"{CANARY}项目",
        brand=f"{CANARY}品牌",
        focus_area="other",
    )
    meeting = cycle.events.get(kind="meeting", number=2)
    services.action_item_create(
        actor=admin, event=meeting, street=world.secret_street, title=f"{CANARY}事项", workdays=3
    )
    round_ = services.round_create(
        actor=admin,
        event=cycle.events.get(kind="arena", number=1),
        title="擂台",
        criteria=[services.CriterionInput("成效", Decimal(100), Decimal(10))],
        entrants=[world.secret_street, world.open_street],
    )
    judge = UserFactory(username="walk-judge")
    assign(judge, "evaluator", world.district)
    services.judge_appoint(actor=admin, round_=round_, user=judge)
    entrant = round_.entrants.get(region=world.secret_street)
    criterion = round_.criteria.get()
    services.sheet_save(
        actor=judge,
        round_=round_,
        entrant=entrant,
        scores={str(criterion.pk): "9"},
        note=f"{CANARY}评语",
        confirm=True,
    )
    event = cycle.events.get(kind="assessment")
    row = services.assessment_create(
        actor=admin, event=event, period_start=date(2026, 1, 1), period_end=date(2026, 6, 30)
    )
    AssessmentScore.objects.create(
        assessment=row,
        region=world.secret_street,
        region_path=world.secret_street.path,
        total=Decimal(90),
        rank=1,
        breakdown=[],
    )


def ids() -> list[int]:
    return (
        list(CycleYear.objects.values_list("pk", flat=True))
        + list(Round.objects.values_list("pk", flat=True))
        + list(Assessment.objects.values_list("pk", flat=True))
    )
