"""The evaluation pages in scope, sealing of sheets, and the half-year assessment read from the
live records."""

from __future__ import annotations

from datetime import date

from gridlight.evaluation import services
from gridlight.evaluation.models import AssessmentScore
from gridlight.households.selectors import light_counts_by_child
from tests.conftest import CANARY, login
from tests.evaluation.conftest import Cycle


def _brand(c: Cycle) -> None:
    services.brand_save(
        actor=c.admin,
        cycle=c.cycle,
        street=c.streets[0],
        project=f"{CANARY}项目",
        brand="知函问暖",
        focus_area="other",
    )


def test_board_shows_the_district_all_and_a_street_its_own(cycle: Cycle) -> None:
    _brand(cycle)
    url = f"/evaluation/{cycle.cycle.pk}/board/"
    page = login(cycle.admin).get(url).content.decode()
    assert "知函问暖" in page
    assert "一街一品" in page
    other = login(cycle.world.twins["street_staff"]).get(url)
    assert other.status_code == 200
    assert CANARY not in other.content.decode()
    assert "知函问暖" not in other.content.decode()
    assert login(cycle.world.twins["evaluator"]).get(url).status_code == 404


def test_sheets_are_sealed_until_the_round_closes(cycle: Cycle) -> None:
    first, second = cycle.round.criteria.all()
    entrant = cycle.round.entrants.get(region=cycle.streets[1])
    services.sheet_save(
        actor=cycle.judges[1],
        round_=cycle.round,
        entrant=entrant,
        scores={str(first.pk): "7.25", str(second.pk): "6"},
        confirm=True,
    )
    url = f"/evaluation/rounds/{cycle.round.pk}/"
    assert "7.25" in login(cycle.judges[1]).get(url).content.decode()
    assert "7.25" not in login(cycle.judges[2]).get(url).content.decode()
    assert "7.25" not in login(cycle.admin).get(url).content.decode()
    services.round_close(actor=cycle.admin, round_=cycle.round, version=cycle.round.version)
    assert "7.25" in login(cycle.admin).get(url).content.decode()
    assert "7.25" not in login(cycle.world.users["street_staff"]).get(url).content.decode()
    cycle.round.refresh_from_db()
    services.round_publish(actor=cycle.admin, round_=cycle.round, version=cycle.round.version)
    # Published: the secret street's staff see the ranking, not another street's sheets.
    page = login(cycle.world.users["street_staff"]).get(url).content.decode()
    assert "公开街道" in page
    assert "7.25" not in page


def test_the_half_year_assessment_reads_live_figures_with_their_sources(cycle: Cycle) -> None:
    admin = cycle.admin
    event = cycle.cycle.events.get(kind="assessment")
    row = services.assessment_create(
        actor=admin, event=event, period_start=date(2026, 1, 1), period_end=date(2026, 6, 30)
    )
    _brand(cycle)
    brand = cycle.cycle.brands.get()
    m = services.milestone_add(
        actor=admin, brand=brand, title="一", planned_on=date(2026, 2, 1), weight=3
    )
    services.milestone_add(actor=admin, brand=brand, title="二", planned_on=date(2026, 5, 1))
    services.milestone_done(actor=admin, milestone=m, version=m.version, done_on=date(2026, 2, 3))
    services.assessment_compute(actor=admin, assessment_=row, version=row.version)
    scores = {s.region_id: s for s in AssessmentScore.objects.filter(assessment=row)}
    assert set(scores) == {s.pk for s in cycle.streets}
    figures = {b["code"]: b for b in scores[cycle.streets[0].pk].breakdown}
    assert figures["brand_progress"]["value"] == 75.0  # weight 3 of 4 done
    assert figures["brand_progress"]["source"] == f"/evaluation/{cycle.cycle.pk}/board/"
    _total, per_street = light_counts_by_child(admin, cycle.world.district)
    secret = dict(per_street)[cycle.world.secret_street]
    assert figures["visit_coverage"]["denominator"] == secret.total == 1
    assert figures["visit_coverage"]["source"].startswith("/households/dashboard/")
    # The third street has no households, tickets or milestones: missing, not zero.
    third = {b["code"]: b for b in scores[cycle.streets[2].pk].breakdown}
    assert third["visit_coverage"]["value"] is None
    page = login(admin).get(f"/evaluation/assessments/{row.pk}/").content.decode()
    assert "一街一品节点完成率" in page
    assert "缺数据" in page
    street_page = login(cycle.world.twins["street_staff"]).get(f"/evaluation/assessments/{row.pk}/")
    assert CANARY not in street_page.content.decode()
