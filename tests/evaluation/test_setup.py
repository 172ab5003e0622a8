"""Setting up the cycle through the pages: a year and its plan, meetings with attendance and
action items (an overdue one raised as a ticket), a judged round with its panel and conflicts, a
street's own 一街一品 entry, the streets' tasks (page, Excel import all-or-nothing, export), the
triggers of the assessment and the standings, cadres and inspections — each in scope, refused
with a message and nothing written when wrong."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from gridlight.core.models import AuditEvent
from gridlight.core.spreadsheets import read_sheet, write_workbook
from gridlight.evaluation import imports
from gridlight.evaluation.models import (
    ActionItem,
    Attendance,
    CycleYear,
    Event,
    Judge,
    Milestone,
    Recusal,
    RecusalKind,
    Round,
    StreetBrand,
    StreetTask,
)
from gridlight.tickets.models import Category, Ticket
from tests.conftest import CANARY, login
from tests.evaluation.conftest import Cycle


def test_a_manager_creates_a_year_and_generates_its_events(cycle: Cycle) -> None:
    w = cycle.world
    admin = login(cycle.admin)
    body = {
        "district": w.district.pk,
        "year": 2027,
        "arenas": "50",
        "assessment": "30",
        "observation": "30",
        "leading": "85",
        "advanced": "75",
    }
    refused = admin.post("/evaluation/new/", body)
    assert refused.status_code == 400
    assert "110" in refused.content.decode()  # "add up to 110, not 100"
    assert not CycleYear.objects.filter(year=2027).exists()
    created = admin.post("/evaluation/new/", body | {"arenas": "40"})
    assert created.status_code == 302
    year = CycleYear.objects.get(year=2027)
    assert created["Location"] == f"/evaluation/{year.pk}/setup/"
    assert admin.post(f"/evaluation/{year.pk}/plan/").status_code == 302
    assert year.events.count() == 18
    assert year.events.filter(kind="meeting").count() == 12
    assert year.events.filter(kind="arena").count() == 4
    # Generating again keeps what is there.
    admin.post(f"/evaluation/{year.pk}/plan/")
    assert year.events.count() == 18
    page = admin.get(f"/evaluation/{year.pk}/setup/").content.decode()
    assert "年底观摩" in page, page
    assert login(w.twins["district_admin"]).get(f"/evaluation/{year.pk}/setup/").status_code == 404
    assert login(w.users["street_staff"]).get(f"/evaluation/{year.pk}/setup/").status_code == 403
    assert login(w.users["street_staff"]).post(f"/evaluation/{year.pk}/plan/").status_code == 403


def test_a_meeting_keeps_attendance_and_action_items_and_raises_an_overdue_one(
    cycle: Cycle,
) -> None:
    w = cycle.world
    admin = login(cycle.admin)
    meeting = cycle.cycle.events.get(kind="meeting", number=1)
    url = f"/evaluation/events/{meeting.pk}/"
    admin.post(f"{url}attendance/", {"street": w.secret_street.pk, "status": "present"})
    assert Attendance.objects.get(event=meeting).status == "present"
    edit = admin.post(
        f"{url}edit/",
        {
            "held_on": meeting.held_on.isoformat(),
            "agenda": "通报一街一品进展",
            "minutes": "",
            "version": meeting.version,
        },
    )
    assert edit.status_code == 302
    stale = admin.post(
        f"{url}edit/",
        {"held_on": meeting.held_on.isoformat(), "agenda": "x", "minutes": "", "version": 1},
    )
    assert stale.status_code == 409
    assert Event.objects.get(pk=meeting.pk).agenda == "通报一街一品进展"
    admin.post(
        f"{url}actions/",
        {"street": w.secret_street.pk, "title": "补齐台账", "workdays": 0, "owner_name": "王"},
    )
    assert not ActionItem.objects.exists()
    admin.post(
        f"{url}actions/",
        {"street": w.secret_street.pk, "title": "补齐台账", "workdays": 5, "owner_name": "王"},
    )
    item = ActionItem.objects.get()
    assert item.due_on > meeting.held_on
    # A street's staff see their own item on the meeting's page; another street's do not.
    assert "补齐台账" in login(w.users["street_staff"]).get(url).content.decode()
    assert "补齐台账" not in login(w.twins["street_staff"]).get(url).content.decode()
    assert login(w.users["street_staff"]).post(f"{url}actions/", {}).status_code == 403
    category = Category.objects.get(code="noise")
    tickets = Ticket.objects.count()
    response = admin.post(
        f"/evaluation/actions/{item.pk}/ticket/", {"category": category.pk, "version": 1}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.ticket_id is not None
    assert Ticket.objects.count() == tickets + 1
    # Once only.
    admin.post(f"/evaluation/actions/{item.pk}/ticket/", {"category": category.pk, "version": 2})
    assert Ticket.objects.count() == tickets + 1


def test_a_round_is_set_up_with_criteria_a_panel_and_conflicts(cycle: Cycle) -> None:
    w = cycle.world
    admin = login(cycle.admin)
    arena = cycle.cycle.events.get(kind="arena", number=2)
    url = f"/evaluation/events/{arena.pk}/rounds/new/"
    body = {
        "title": "二季度擂台",
        "level": "1",
        "criteria": "工作成效, 60, 10\n创新特色, 30, 10",
        "entrants": "",
        "trim": "1",
        "trim_min": "5",
        "deviation_z": "2.5",
    }
    refused = admin.post(url, body)
    assert refused.status_code == 400
    assert "90" in refused.content.decode()
    assert Round.objects.count() == 1
    body["criteria"] = "工作成效, 60, 10\n创新特色，40，10"
    created = admin.post(url, body)
    assert created.status_code == 302
    round_ = Round.objects.get(title="二季度擂台")
    assert round_.criteria.count() == 2
    assert round_.entrants.count() == w.district.children.count()
    panel = f"/evaluation/rounds/{round_.pk}/"
    judge = cycle.judges[0]  # also on the secret street's staff
    admin.post(f"{panel}judges/", {"user": judge.pk})
    j = Judge.objects.get(round=round_, user=judge)
    secret = round_.entrants.get(region=w.secret_street)
    assert Recusal.objects.get(judge=j).entrant == secret
    admin.post(f"{panel}judges/", {"user": cycle.judges[1].pk})
    other = round_.entrants.get(region=w.open_street)
    admin.post(
        f"{panel}conflicts/",
        {
            "judge": Judge.objects.get(round=round_, user=cycle.judges[1]).pk,
            "entrant": other.pk,
            "reason": "曾任该街道书记",
        },
    )
    assert Recusal.objects.filter(kind=RecusalKind.DECLARED).count() == 1
    page = admin.get(f"{panel}panel/").content.decode()
    assert "曾任该街道书记" in page
    assert "本街道" in page or "Own street" in page
    assert login(w.twins["district_admin"]).get(f"{panel}panel/").status_code == 404
    assert login(judge).get(f"{panel}panel/").status_code == 403


def test_a_street_keeps_its_own_entry_and_milestones(cycle: Cycle) -> None:
    w = cycle.world
    staff = login(w.users["street_staff"])
    url = f"/evaluation/{cycle.cycle.pk}/brand/"
    page = staff.get(url)
    assert page.status_code == 200
    assert "公开街道" not in page.content.decode()  # only their own street to choose
    body = {
        "street": w.secret_street.pk,
        "project": f"{CANARY}项目",
        "brand": "知函问暖",
        "focus_area": "positions",
        "goals": "",
    }
    assert staff.post(url, body | {"street": w.open_street.pk}).status_code == 400
    assert staff.post(url, body).status_code == 302
    brand = StreetBrand.objects.get()
    # A second create is refused; a change needs the version.
    assert staff.post(url, body).status_code == 400
    assert staff.post(url, body | {"brand": "知函问暖2", "version": 1}).status_code == 302
    assert StreetBrand.objects.get().brand == "知函问暖2"
    staff.post(
        f"/evaluation/brands/{brand.pk}/milestones/",
        {"title": "阵地改造", "planned_on": "2026-05-01", "weight": "2"},
    )
    assert Milestone.objects.get().weight == 2
    twin = login(w.twins["street_staff"])
    assert (
        twin.post(
            f"/evaluation/brands/{brand.pk}/milestones/",
            {"title": "x", "planned_on": "2026-05-01", "weight": "1"},
        ).status_code
        == 404
    )
    assert Milestone.objects.count() == 1


def test_tasks_by_page_and_by_excel_all_or_nothing(cycle: Cycle) -> None:
    w = cycle.world
    admin = login(cycle.admin)
    url = f"/evaluation/{cycle.cycle.pk}/tasks/"
    admin.post(f"{url}set/", {"street": w.secret_street.pk, "tasks": "党建引领, 60\n红色物业, 30"})
    assert not StreetTask.objects.exists()
    admin.post(f"{url}set/", {"street": w.secret_street.pk, "tasks": "党建引领, 60\n红色物业, 40"})
    assert StreetTask.objects.count() == 2
    rows = [
        ["2026", w.open_street.code, "阵地提升", "50"],
        ["2026", w.open_street.code, "新业态党建", "50"],
        ["2026", w.secret_street.code, "党建引领", "70"],
        ["2026", w.secret_street.code, "红色物业", "20"],
    ]

    def upload(rows: list[list[str]]) -> SimpleUploadedFile:
        data = write_workbook(imports.SHEET, imports.COLUMNS, rows)
        return SimpleUploadedFile("tasks.xlsx", data)

    bad = admin.post("/evaluation/tasks/import/", {"file": upload(rows)})
    assert bad.status_code == 400
    assert "90" in bad.content.decode()
    assert StreetTask.objects.count() == 2  # nothing written
    rows[3][3] = "30"
    done = admin.post("/evaluation/tasks/import/", {"file": upload(rows)})
    assert done.status_code == 302
    weights = dict(StreetTask.objects.values_list("title", "weight"))
    assert weights["党建引领"] == Decimal(70)
    assert StreetTask.objects.count() == 4
    events = AuditEvent.objects.count()
    assert admin.post("/evaluation/tasks/import/", {"file": upload(rows)}).status_code == 302
    assert AuditEvent.objects.count() == events  # the same file again changes nothing
    # Street staff report done; a stale version is refused.
    task = StreetTask.objects.get(title="党建引领")
    staff = login(w.users["street_staff"])
    assert task.version == 2  # its weight changed
    staff.post(f"/evaluation/tasks/{task.pk}/done/", {"done_on": "2026-06-01", "version": 1})
    assert StreetTask.objects.get(pk=task.pk).done_on is None
    staff.post(
        f"/evaluation/tasks/{task.pk}/done/", {"done_on": "2026-06-01", "version": task.version}
    )
    assert StreetTask.objects.get(pk=task.pk).done_on == date(2026, 6, 1)
    assert "阵地提升" not in staff.get(url).content.decode()
    # Only the district imports; a street's import names nothing of another street.
    assert staff.post("/evaluation/tasks/import/", {"file": upload(rows)}).status_code == 403
    exported = admin.get(f"/evaluation/{cycle.cycle.pk}/tasks/export/")
    assert exported.status_code == 200
    sheet = read_sheet(io.BytesIO(exported.content), imports.COLUMNS, sheet=imports.SHEET)
    assert len(sheet.rows) == 4


def test_assessment_and_standings_triggers_and_the_standings_export(cycle: Cycle) -> None:
    w = cycle.world
    admin = login(cycle.admin)
    event = cycle.cycle.events.get(kind="assessment")
    url = f"/evaluation/events/{event.pk}/assessment/"
    admin.post(url, {"period_start": "2026-07-01", "period_end": "2026-01-01"})
    assert not event.__class__.objects.get(pk=event.pk).__dict__.get("assessment")
    admin.post(url, {"period_start": "2026-01-01", "period_end": "2026-06-30"})
    row = event.assessment
    staff = login(w.users["street_staff"])
    assert (
        staff.post(f"/evaluation/assessments/{row.pk}/compute/", {"version": 1}).status_code == 403
    )
    admin.post(f"/evaluation/assessments/{row.pk}/compute/", {"version": row.version})
    row.refresh_from_db()
    assert row.computed_at is not None
    assert row.scores.count() == 3
    assert admin.post(f"/evaluation/{cycle.cycle.pk}/standings/compute/").status_code == 302
    assert cycle.cycle.standings.filter(level=1).count() == 3
    response = admin.get(f"/evaluation/{cycle.cycle.pk}/standings/export/")
    assert response.status_code == 200
    assert response.content.startswith(b"PK")
    assert login(w.twins["district_admin"]).get(
        f"/evaluation/{cycle.cycle.pk}/standings/export/"
    ).status_code in (403, 404)


def test_cadres_and_inspections_are_recorded_through_the_pages(cycle: Cycle) -> None:
    from gridlight.evaluation.models import Cadre, Inspection, Measure, StandardItem

    w = cycle.world
    secretary = login(w.users["community_secretary"])
    response = secretary.post(
        "/evaluation/cadres/new/",
        {"region": w.secret_community.pk, "kind": "community", "name": "李芳", "post": "委员"},
    )
    assert response.status_code == 302
    cadre = Cadre.objects.get()
    posting = Measure.objects.get(code="posting")
    refused = secretary.post(
        f"/evaluation/cadres/{cadre.pk}/participations/",
        {"measure": posting.pk, "started_on": "2026-04-01", "hours": "0"},
    )
    assert refused.status_code == 400
    secretary.post(
        f"/evaluation/cadres/{cadre.pk}/participations/",
        {
            "measure": posting.pk,
            "started_on": "2026-04-01",
            "ended_on": "2026-06-30",
            "unit": "区委组织部",
            "hours": "0",
        },
    )
    assert cadre.participations.count() == 1
    assert (
        login(w.twins["community_secretary"])
        .post(f"/evaluation/cadres/{cadre.pk}/participations/", {})
        .status_code
        == 404
    )
    admin = login(cycle.admin)
    position = w.secret_positions[0]
    admin.post(
        "/evaluation/positions/inspect/",
        {
            "position": position.pk,
            "inspected_on": "2026-05-10",
            "failed": [StandardItem.objects.get(code="sign").pk],
            "deadline_workdays": "10",
        },
    )
    assert Inspection.objects.get().rectifications.count() == 1
    assert secretary.get("/evaluation/positions/inspect/").status_code == 403


def test_the_years_weights_change_with_their_version(cycle: Cycle) -> None:
    admin = login(cycle.admin)
    url = f"/evaluation/{cycle.cycle.pk}/weights/"
    body = {
        "arenas": "50",
        "assessment": "20",
        "observation": "20",
        "leading": "90",
        "advanced": "80",
        "version": cycle.cycle.version,
    }
    refused = admin.post(url, body)
    assert refused.status_code == 400
    assert "90" in refused.content.decode()
    assert admin.post(url, body | {"observation": "30", "advanced": "95"}).status_code == 400
    assert admin.post(url, body | {"observation": "30"}).status_code == 302
    year = CycleYear.objects.get(pk=cycle.cycle.pk)
    assert year.ranking_weights["arenas"] == "50"
    assert year.echelon_thresholds == {"leading": "90", "advanced": "80"}
    assert admin.post(url, body | {"observation": "30"}).status_code == 409  # stale version
    assert login(cycle.world.twins["district_admin"]).get(url).status_code == 404


def test_every_kind_of_event_page_and_the_observations_route(cycle: Cycle) -> None:
    from gridlight.evaluation.models import SiteVisit

    w = cycle.world
    admin = login(cycle.admin)
    for event in cycle.cycle.events.all():
        assert admin.get(f"/evaluation/events/{event.pk}/").status_code == 200
    staff = login(w.users["street_staff"])
    observation = cycle.cycle.events.get(kind="observation")
    assert staff.get(f"/evaluation/events/{observation.pk}/").status_code == 200
    url = f"/evaluation/events/{observation.pk}/route/"
    assert admin.get(url).status_code == 200
    body = {
        "starts_at": "2026-12-10T09:00",
        "minutes": "45",
        "stops": f"{w.secret_community.code} {w.open_community.code}",
        "observers": [cycle.judges[1].pk],
    }
    assert admin.post(url, body | {"stops": "999999"}).status_code == 400
    assert not SiteVisit.objects.exists()
    assert admin.post(url, body).status_code == 302
    stops = list(SiteVisit.objects.order_by("order"))
    assert [s.region_id for s in stops] == [w.secret_community.pk, w.open_community.pk]
    assert (stops[1].starts_at - stops[0].starts_at).seconds == 45 * 60
    page = admin.get(f"/evaluation/events/{observation.pk}/").content.decode()
    assert w.secret_community.name in page
    # The other street's staff see the stop in their own street, not the secret one.
    twin = login(w.twins["street_staff"]).get(f"/evaluation/events/{observation.pk}/")
    assert w.secret_community.name not in twin.content.decode()
    meeting = cycle.cycle.events.get(kind="meeting", number=1)
    assert admin.get(f"/evaluation/events/{meeting.pk}/route/").status_code == 404
    assert admin.get(f"/evaluation/events/{meeting.pk}/rounds/new/").status_code == 404
    assert admin.get(f"/evaluation/{cycle.cycle.pk}/setup/").status_code == 200
    assert admin.get("/evaluation/").status_code == 200
    assert admin.get(f"/evaluation/rounds/{cycle.round.pk}/panel/").status_code == 200
