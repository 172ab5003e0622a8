"""Evaluation records of the secret street, for the route walk: a year with its plan, the
secret street's 一街一品 entry with a milestone, an action item and its evaluation task, an
open arena with a sealed sheet about the secret street, and an assessment whose scores name
it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q

from gridlight.evaluation import models as m
from gridlight.evaluation import services
from gridlight.evaluation.models import (
    ActionItem,
    Assessment,
    AssessmentScore,
    CycleYear,
    Event,
    Milestone,
    Round,
    StreetBrand,
    StreetTask,
)
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
    services.milestone_add(
        actor=admin,
        brand=cycle.brands.get(),
        title=f"{CANARY}节点",
        planned_on=date(2026, 3, 1),
    )
    services.tasks_set(
        actor=admin,
        cycle=cycle,
        street=world.secret_street,
        tasks=[services.TaskInput(f"{CANARY}任务", Decimal(100))],
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
    """The secret records' ids (and a meeting's and an arena's, which are the district's)."""
    events = Event.objects.filter(Q(kind="meeting", number=2) | Q(kind="arena", number=1))
    return sorted(
        {
            *CycleYear.objects.values_list("pk", flat=True),
            *Round.objects.values_list("pk", flat=True),
            *Assessment.objects.values_list("pk", flat=True),
            *events.values_list("pk", flat=True),
            *StreetBrand.objects.values_list("pk", flat=True),
            *Milestone.objects.values_list("pk", flat=True),
            *ActionItem.objects.values_list("pk", flat=True),
            *StreetTask.objects.values_list("pk", flat=True),
        }
    )


# The route walk's _state(): tables whose rows carry a version (their count and the sum of their
# versions catch an insert, a delete and an update), and tables only counted.
EVALUATION_VERSIONED: tuple[Any, ...] = (
    m.CycleYear,
    m.Event,
    m.StreetBrand,
    m.Milestone,
    m.StreetTask,
    m.ActionItem,
    m.Round,
    m.Sheet,
    m.Assessment,
    m.Cadre,
    m.Rectification,
)
EVALUATION_COUNTED: tuple[Any, ...] = (
    m.Attendance,
    m.Evidence,
    m.Criterion,
    m.Entrant,
    m.Judge,
    m.Recusal,
    m.SiteVisit,
    m.AssessmentScore,
    m.Standing,
    m.Participation,
    m.Inspection,
)
