"""The evaluation services: plans, 一街一品, meetings, judging — and the bad input they refuse
with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent
from gridlight.evaluation import services
from gridlight.evaluation.models import (
    ActionItem,
    Event,
    Recusal,
    RoundStatus,
    Sheet,
    SheetStatus,
    StreetBrand,
)
from tests.evaluation.conftest import Cycle


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # The messages are matched in English here; pages show them in Chinese (test_pages.py).
    with translation.override("en"):
        yield


def _scores(c: Cycle, a: str, b: str) -> dict[str, str]:
    first, second = c.round.criteria.all()
    return {str(first.pk): a, str(second.pk): b}


def _entrant(c: Cycle, i: int):
    return c.round.entrants.get(region=c.streets[i])


def test_the_plan_makes_the_years_cycle_once(cycle: Cycle) -> None:
    kinds = list(cycle.cycle.events.values_list("kind", flat=True))
    assert (kinds.count("meeting"), kinds.count("arena")) == (12, 4)
    assert kinds.count("assessment") == kinds.count("observation") == 1
    services.cycle_plan(actor=cycle.admin, cycle=cycle.cycle)
    assert cycle.cycle.events.count() == 18
    # Meetings fall on working days: 10 Oct 2026 is a make-up Saturday or the next workday.
    from gridlight.core.workdays import district_calendar

    assert all(district_calendar().is_workday(e.held_on) for e in cycle.cycle.events.all())


def test_weights_that_do_not_add_up_are_refused_and_nothing_is_written(cycle: Cycle) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError, match="100"):
        services.round_create(
            actor=cycle.admin,
            event=cycle.arena,
            title="x",
            criteria=[
                services.CriterionInput("a", Decimal(60), Decimal(10)),
                services.CriterionInput("b", Decimal(30), Decimal(10)),
            ],
            entrants=cycle.streets,
        )
    with pytest.raises(DomainError, match="100"):
        services.cycle_create(
            actor=cycle.admin,
            district=cycle.world.district,
            year=2027,
            ranking_weights={"arenas": 50, "assessment": 30, "observation": 30},
        )
    assert AuditEvent.objects.count() == before
    assert cycle.arena.rounds.count() == 1


def test_a_judge_is_recused_from_their_own_street_automatically(cycle: Cycle) -> None:
    recusal = Recusal.objects.get()
    assert (recusal.judge.user, recusal.entrant.region) == (cycle.judges[0], cycle.streets[0])
    with pytest.raises(DomainError, match="recused"):
        services.sheet_save(
            actor=cycle.judges[0],
            round_=cycle.round,
            entrant=_entrant(cycle, 0),
            scores=_scores(cycle, "8", "8"),
        )
    assert not Sheet.objects.exists()


def test_a_declared_conflict_recuses_too(cycle: Cycle) -> None:
    judge = cycle.round.judges.get(user=cycle.judges[1])
    services.conflict_declare(
        actor=cycle.judges[1], judge=judge, entrant=_entrant(cycle, 1), reason="曾任该街道书记"
    )
    with pytest.raises(DomainError, match="recused"):
        services.sheet_save(
            actor=cycle.judges[1],
            round_=cycle.round,
            entrant=_entrant(cycle, 1),
            scores=_scores(cycle, "8", "8"),
        )
    # Another judge cannot declare a conflict for judge1.
    with pytest.raises(PermissionDenied):
        services.conflict_declare(
            actor=cycle.judges[2], judge=judge, entrant=_entrant(cycle, 2), reason="x"
        )


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("11", "5", "between"),
        ("-1", "5", "between"),
        ("abc", "5", "not a number"),
        ("8.555", "5", "two decimals"),
        ("NaN", "5", "two decimals"),
        ("", "5", "Score"),
    ],
)
def test_a_bad_score_is_refused_with_nothing_written(
    cycle: Cycle, a: str, b: str, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        services.sheet_save(
            actor=cycle.judges[1],
            round_=cycle.round,
            entrant=_entrant(cycle, 0),
            scores=_scores(cycle, a, b),
        )
    assert not Sheet.objects.exists()


def test_a_second_sheet_and_an_edit_after_sealing_are_refused(cycle: Cycle) -> None:
    entrant = _entrant(cycle, 1)
    sheet = services.sheet_save(
        actor=cycle.judges[1], round_=cycle.round, entrant=entrant, scores=_scores(cycle, "7", "8")
    )
    with pytest.raises(ConflictError, match="already"):
        services.sheet_save(
            actor=cycle.judges[1],
            round_=cycle.round,
            entrant=entrant,
            scores=_scores(cycle, "1", "1"),
        )
    sheet = services.sheet_save(
        actor=cycle.judges[1],
        round_=cycle.round,
        entrant=entrant,
        scores=_scores(cycle, "7.5", "8"),
        version=sheet.version,
        confirm=True,
    )
    assert sheet.status == SheetStatus.CONFIRMED
    with pytest.raises(DomainError, match="sealed"):
        services.sheet_save(
            actor=cycle.judges[1],
            round_=cycle.round,
            entrant=entrant,
            scores=_scores(cycle, "1", "1"),
            version=sheet.version,
        )
    sheet.refresh_from_db()
    assert sheet.scores == _scores(cycle, "7.5", "8")


def test_a_stale_version_is_a_conflict(cycle: Cycle) -> None:
    entrant = _entrant(cycle, 1)
    sheet = services.sheet_save(
        actor=cycle.judges[1], round_=cycle.round, entrant=entrant, scores=_scores(cycle, "7", "8")
    )
    services.sheet_save(
        actor=cycle.judges[1],
        round_=cycle.round,
        entrant=entrant,
        scores=_scores(cycle, "6", "8"),
        version=sheet.version,
    )
    with pytest.raises(ConflictError):
        services.sheet_save(
            actor=cycle.judges[1],
            round_=cycle.round,
            entrant=entrant,
            scores=_scores(cycle, "5", "8"),
            version=sheet.version,
        )


def test_only_the_panel_scores(cycle: Cycle) -> None:
    with pytest.raises(DomainError, match="panel"):
        services.sheet_save(
            actor=cycle.world.users["evaluator"],
            round_=cycle.round,
            entrant=_entrant(cycle, 1),
            scores=_scores(cycle, "7", "8"),
        )


def _score_all(c: Cycle, table: dict[int, list[tuple[str, str]]]) -> None:
    for i, row in table.items():
        for j, (a, b) in enumerate(row):
            if a:
                services.sheet_save(
                    actor=c.judges[j],
                    round_=c.round,
                    entrant=_entrant(c, i),
                    scores=_scores(c, a, b),
                    confirm=True,
                )


def test_close_tabulates_and_seals_and_publish_shows(cycle: Cycle) -> None:
    # Street 0: judge0 recused; four judges, no trimming: (8+8+9+9)/4 = 8.5, c2 8 → 51 + 32 = 83.
    # Street 1: five judges, trimmed: c1 7 7 8 8 10 → 7.67, c2 all 7 → 46 + 28 = 74.
    # Street 2: judge4 never scores it (missing): c1 6 6 6 6 → 6, c2 6 → 60.
    _score_all(
        cycle,
        {
            0: [("", ""), ("8", "8"), ("8", "8"), ("9", "8"), ("9", "8")],
            1: [("10", "7"), ("7", "7"), ("8", "7"), ("8", "7"), ("7", "7")],
            2: [("6", "6"), ("6", "6"), ("6", "6"), ("6", "6"), ("", "")],
        },
    )
    round_ = services.round_close(
        actor=cycle.admin, round_=cycle.round, version=cycle.round.version
    )
    assert round_.status == RoundStatus.CLOSED
    results = {e.region_id: (e.total, e.rank) for e in round_.entrants.all()}
    assert results[cycle.streets[0].pk] == (Decimal("83.0000"), 1)
    assert results[cycle.streets[1].pk] == (Decimal("74.0000"), 2)
    assert results[cycle.streets[2].pk] == (Decimal("60.0000"), 3)
    judge4 = round_.judges.get(user=cycle.judges[4])
    assert judge4.report["missing"] == [_entrant(cycle, 2).pk]
    with pytest.raises(DomainError, match="closed"):
        services.sheet_save(
            actor=cycle.judges[4],
            round_=round_,
            entrant=_entrant(cycle, 2),
            scores=_scores(cycle, "9", "9"),
        )
    round_ = services.round_publish(actor=cycle.admin, round_=round_, version=round_.version)
    assert round_.status == RoundStatus.PUBLISHED


def test_concurrent_judges_never_lose_a_sheet(cycle: Cycle) -> None:
    """Judges entering at once write their own rows (one per judge and entrant, by constraint);
    a retried second sheet of the same judge is refused, not merged."""
    entrant = _entrant(cycle, 1)
    for j in range(1, 5):
        services.sheet_save(
            actor=cycle.judges[j],
            round_=cycle.round,
            entrant=entrant,
            scores=_scores(cycle, str(j + 5), "5"),
        )
    assert Sheet.objects.filter(entrant=entrant).count() == 4


def test_only_managers_plan_and_judge(cycle: Cycle) -> None:
    with pytest.raises(PermissionDenied):
        services.cycle_plan(actor=cycle.world.users["street_staff"], cycle=cycle.cycle)
    with pytest.raises(PermissionDenied):
        services.round_close(
            actor=cycle.world.twins["evaluator"], round_=cycle.round, version=cycle.round.version
        )


def test_brand_and_milestones_with_audit(cycle: Cycle) -> None:
    staff = cycle.world.users["street_staff"]
    brand = services.brand_save(
        actor=staff,
        cycle=cycle.cycle,
        street=cycle.streets[0],
        project="老旧小区红色物业",
        brand="建新家园",
        focus_area="red_property",
    )
    with pytest.raises(DomainError, match="already"):
        services.brand_save(
            actor=staff,
            cycle=cycle.cycle,
            street=cycle.streets[0],
            project="x",
            brand="y",
            focus_area="other",
        )
    with pytest.raises(PermissionDenied):
        services.brand_save(
            actor=staff,
            cycle=cycle.cycle,
            street=cycle.streets[1],
            project="x",
            brand="y",
            focus_area="other",
        )
    m = services.milestone_add(actor=staff, brand=brand, title="摸底", planned_on=date(2026, 3, 1))
    with pytest.raises(DomainError, match="year"):
        services.milestone_add(actor=staff, brand=brand, title="x", planned_on=date(2027, 3, 1))
    services.milestone_done(actor=staff, milestone=m, version=m.version, done_on=date(2026, 3, 2))
    assert StreetBrand.objects.get().brand == "建新家园"
    assert AuditEvent.objects.filter(action__startswith="eval_milestone").count() == 2


def test_action_items_are_due_in_working_days_and_overdue_ones_become_tickets(cycle: Cycle) -> None:
    from gridlight.core.workdays import district_calendar
    from gridlight.tickets.models import Category, Ticket

    meeting = Event.objects.get(cycle=cycle.cycle, kind="meeting", number=9)
    item = services.action_item_create(
        actor=cycle.admin,
        event=meeting,
        street=cycle.streets[0],
        title="整改阵地标识",
        workdays=5,
        owner_name="王书记",
    )
    assert item.due_on == district_calendar().add_workdays(meeting.held_on, 5)
    category = Category.objects.filter(parent__isnull=False, active=True).first()
    with pytest.raises(DomainError, match="overdue"):
        services.action_item_escalate(
            actor=cycle.admin,
            item=item,
            version=item.version,
            category=category,
            today=item.due_on,
        )
    later = date(2026, 12, 31)
    item = services.action_item_escalate(
        actor=cycle.admin, item=item, version=item.version, category=category, today=later
    )
    ticket = Ticket.objects.get(pk=item.ticket_id)
    assert ticket.region_path == cycle.streets[0].path
    with pytest.raises(DomainError, match="already"):
        services.action_item_escalate(
            actor=cycle.admin, item=item, version=item.version, category=category, today=later
        )
    assert ActionItem.objects.get().ticket_id == ticket.pk


def test_standings_rank_the_streets_and_tier_the_communities(cycle: Cycle) -> None:
    from gridlight.evaluation.models import Standing

    _score_all(
        cycle,
        {
            0: [("", ""), ("8", "8"), ("8", "8"), ("9", "8"), ("9", "8")],
            1: [("10", "7"), ("7", "7"), ("8", "7"), ("8", "7"), ("7", "7")],
            2: [("6", "6"), ("6", "6"), ("6", "6"), ("6", "6"), ("6", "6")],
        },
    )
    services.round_close(actor=cycle.admin, round_=cycle.round, version=cycle.round.version)
    w = cycle.world
    observation = services.round_create(
        actor=cycle.admin,
        event=cycle.cycle.events.get(kind="observation"),
        title="社区观摩",
        criteria=[services.CriterionInput("阵地", Decimal(100), Decimal(100))],
        entrants=[w.secret_community, w.open_community],
        level=2,
    )
    for user in cycle.judges[:3]:
        services.judge_appoint(actor=cycle.admin, round_=observation, user=user)
    # judge0 works in the secret street, so is recused from its community too.
    assert list(
        Recusal.objects.filter(judge__round=observation).values_list(
            "judge__user", "entrant__region"
        )
    ) == [(cycle.judges[0].pk, w.secret_community.pk)]
    for j, (a, b) in enumerate([(None, "70"), ("90", "72"), ("86", "74")]):
        for entrant, value in ((w.secret_community, a), (w.open_community, b)):
            if value:
                services.sheet_save(
                    actor=cycle.judges[j],
                    round_=observation,
                    entrant=observation.entrants.get(region=entrant),
                    scores={str(observation.criteria.get().pk): value},
                    confirm=True,
                )
    services.round_close(actor=cycle.admin, round_=observation, version=observation.version)
    services.standings_compute(actor=cycle.admin, cycle=cycle.cycle)
    streets = {s.region_id: (s.total, s.rank) for s in Standing.objects.filter(level=1)}
    # Only the arena is there: its totals stand for the whole (83, 74, 60).
    assert streets == {
        cycle.streets[0].pk: (Decimal("83.0000"), 1),
        cycle.streets[1].pk: (Decimal("74.0000"), 2),
        cycle.streets[2].pk: (Decimal("60.0000"), 3),
    }
    tiers = dict(Standing.objects.filter(level=2).values_list("region_id", "tier"))
    # Secret community (90 + 86) / 2 = 88 ≥ 85: leading; open (70 + 72 + 74) / 3 = 72 < 75.
    assert tiers == {w.secret_community.pk: "leading", w.open_community.pk: "following"}
