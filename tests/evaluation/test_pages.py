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
    close = f"/evaluation/rounds/{cycle.round.pk}/close/"
    assert login(cycle.world.twins["district_admin"]).post(close, {"version": 1}).status_code == 404
    assert login(cycle.judges[2]).post(close, {"version": 1}).status_code == 403
    assert login(cycle.admin).post(close, {"version": cycle.round.version}).status_code == 302
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


def test_a_street_reports_its_milestones_with_evidence_and_its_action_items(cycle: Cycle) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridlight.evaluation.models import ActionItem, Evidence, Milestone

    _brand(cycle)
    brand = cycle.cycle.brands.get()
    m = services.milestone_add(
        actor=cycle.admin, brand=brand, title="摸底", planned_on=date(2026, 3, 1)
    )
    staff = login(cycle.world.users["street_staff"])
    url = f"/evaluation/brands/{brand.pk}/"
    assert staff.get(url).status_code == 200
    response = staff.post(
        f"/evaluation/milestones/{m.pk}/done/", {"done_on": "2026-03-02", "version": m.version}
    )
    assert response.status_code == 302
    assert Milestone.objects.get().done_on == date(2026, 3, 2)
    png = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, content_type="image/png")
    staff.post(url, {"milestone": m.pk, "kind": "photo", "title": "现场", "file": png})
    evidence = Evidence.objects.get()
    assert staff.get(f"/evaluation/evidence/{evidence.pk}/").content.startswith(b"\x89PNG")
    fake = SimpleUploadedFile("x.png", b"<html>", content_type="image/png")
    staff.post(url, {"milestone": m.pk, "kind": "photo", "title": "假", "file": fake})
    assert Evidence.objects.count() == 1
    twin = login(cycle.world.twins["street_staff"])
    assert twin.get(url).status_code == 404
    assert twin.get(f"/evaluation/evidence/{evidence.pk}/").status_code == 404
    meeting = cycle.cycle.events.get(kind="meeting", number=3)
    item = services.action_item_create(
        actor=cycle.admin, event=meeting, street=cycle.streets[0], title="补台账", workdays=5
    )
    done_on = meeting.held_on.isoformat()
    assert (
        twin.post(
            f"/evaluation/actions/{item.pk}/done/", {"done_on": done_on, "version": 1}
        ).status_code
        == 404
    )
    staff.post(f"/evaluation/actions/{item.pk}/done/", {"done_on": done_on, "version": 1})
    assert ActionItem.objects.get().done_on == meeting.held_on


def test_cadres_and_position_inspections_in_scope(cycle: Cycle) -> None:
    from gridlight.evaluation.models import Measure, Rectification, StandardItem

    w = cycle.world
    cadre = services.cadre_create(
        actor=cycle.admin, region=w.secret_community, kind="community", name="王志强", post="书记"
    )
    services.participation_add(
        actor=cycle.admin,
        cadre=cadre,
        measure=Measure.objects.get(code="posting"),
        started_on=date(2026, 4, 1),
        ended_on=date(2026, 6, 30),
        unit="区委组织部",
    )
    position = w.secret_positions[0]
    inspection = services.inspection_record(
        actor=cycle.admin,
        position=position,
        inspected_on=date(2026, 5, 10),
        failed=[StandardItem.objects.get(code="sign")],
    )
    secretary = login(w.users["community_secretary"])
    assert "区委组织部" in secretary.get(f"/evaluation/cadres/{cadre.pk}/").content.decode()
    page = secretary.get("/evaluation/positions/").content.decode()
    assert position.name in page
    assert (
        login(w.twins["community_secretary"]).get(f"/evaluation/cadres/{cadre.pk}/").status_code
        == 404
    )
    assert (
        position.name
        not in login(w.twins["community_secretary"]).get("/evaluation/positions/").content.decode()
    )
    row = Rectification.objects.get(inspection=inspection)
    secretary.post(
        f"/evaluation/rectifications/{row.pk}/fix/", {"done_on": "2026-05-20", "version": 1}
    )
    assert Rectification.objects.get().fixed_on == date(2026, 5, 20)
