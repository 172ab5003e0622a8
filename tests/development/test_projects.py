"""Key projects through their services: who may report, bad input, concurrent reports,
approval and the light, the monthly snapshot and supervision as a ticket."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent
from gridlight.development import access, services
from gridlight.development.models import (
    ProgressReport,
    Project,
    ProjectSnapshot,
    ReportLine,
)
from gridlight.tickets.models import Ticket
from tests.conftest import World
from tests.development.conftest import Projects

pytestmark = pytest.mark.django_db


def _report(world: World, p: Projects, month: date, quantity: str, **kw: object) -> ProgressReport:
    return services.report_submit(
        actor=world.users["street_staff"],
        project=p.demolition,
        month=month,
        investment_fen=kw.pop("investment_fen", 100_000_000),  # type: ignore[arg-type]
        lines=[services.LineInput(p.houses.pk, quantity, kw.pop("unit", "m2"))],  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_street_sees_its_own_projects_a_department_only_its_units(
    world: World, projects: Projects
) -> None:
    def seen(role: str, twin: bool = False) -> set[str]:
        user = (world.twins if twin else world.users)[role]
        codes = access.visible_projects(user).values_list("code", flat=True)
        return set(codes) - {world.secret_project.code}

    secret = world.secret_project
    assert seen("district_admin") == {"P-DEMOLITION", "P-ROAD"}
    assert seen("street_staff") == {"P-DEMOLITION"}
    assert seen("street_staff", twin=True) == {"P-ROAD"}
    assert seen("department_handler") == {"P-ROAD"}  # construction's, not the street's
    assert seen("department_handler", twin=True) == set()  # another district
    assert seen("evaluator") == {"P-DEMOLITION", "P-ROAD"}
    assert access.visible_projects(world.users["street_staff"]).filter(pk=secret.pk).exists()
    assert not access.visible_projects(world.twins["street_staff"]).filter(pk=secret.pk).exists()
    for role in ("grid_worker", "community_secretary", "resident", "talent_commissioner"):
        assert seen(role) == set()


def test_approved_reports_make_the_demolition_task_74_8_percent(
    world: World, projects: Projects
) -> None:
    admin = world.users["district_admin"]
    first = _report(world, projects, date(2026, 3, 1), "100000")
    second = _report(world, projects, date(2026, 5, 1), "57080")
    for report in (first, second):
        services.report_approve(actor=admin, report=report, version=report.version)
    counts = services.lights_recompute(actor=admin, as_of=date(2026, 6, 30))
    p = Project.objects.get(pk=projects.demolition.pk)
    assert p.actual_pct == Decimal("74.80")
    assert (p.planned_pct, p.light) == (Decimal("49.59"), "green")
    snap = ProjectSnapshot.objects.get(project=p, month=date(2026, 6, 1))
    assert (snap.light, snap.actual_pct) == ("green", p.actual_pct)
    assert snap.investment_fen == 200_000_000
    # The road has not started; the secret street's project has no approved report.
    assert counts == {"green": 1, "yellow": 0, "red": 2}
    # A report awaiting approval does not count.
    _report(world, projects, date(2026, 6, 1), "50000")
    services.lights_recompute(actor=admin, as_of=date(2026, 6, 30))
    assert Project.objects.get(pk=p.pk).actual_pct == Decimal("74.80")
    actions = set(AuditEvent.objects.filter(object_id=str(p.pk)).values_list("action", flat=True))
    assert {"project.report_submit", "project.report_approve"} <= actions


def _future() -> date:
    return (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)


BAD_REPORTS: list[tuple[dict[str, object], str]] = [
    ({"month": "future"}, "month that has not begun"),
    ({"unit": "km"}, "counted in"),
    ({"quantity": "-5"}, "cannot be negative"),
    ({"investment_fen": -1}, "investment cannot be negative"),
    ({"quantity": "NaN"}, "not a number"),
    ({"reporting_unit": "construction"}, "not the unit responsible"),
]


@pytest.mark.parametrize(("change", "message"), BAD_REPORTS)
def test_bad_report_is_refused_and_nothing_written(
    world: World, projects: Projects, change: dict[str, object], message: str
) -> None:
    month = _future() if change.get("month") else date(2026, 3, 1)
    reporting = change.get("reporting_unit")
    kw: dict[str, object] = {
        "investment_fen": change.get("investment_fen", 1),
        "unit": world.units[str(reporting)] if reporting else None,
    }
    line = services.LineInput(
        projects.houses.pk, change.get("quantity", "10"), str(change.get("unit", "m2"))
    )
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError, match=message):
        services.report_submit(
            actor=world.users["street_staff"],
            project=projects.demolition,
            month=month,
            lines=[line],
            **kw,  # type: ignore[arg-type]
        )
    assert not ProgressReport.objects.filter(project=projects.demolition).exists()
    assert not ReportLine.objects.filter(milestone=projects.houses).exists()
    assert AuditEvent.objects.count() == before


def test_only_the_responsible_unit_reports(world: World, projects: Projects) -> None:
    for user in (world.users["department_handler"], world.twins["street_staff"]):
        with pytest.raises(DomainError, match="responsible unit"):
            services.report_submit(
                actor=user,
                project=projects.demolition,
                month=date(2026, 3, 1),
                investment_fen=0,
                lines=[],
            )
    # The department reports its own road project.
    report = services.report_submit(
        actor=world.users["department_handler"],
        project=projects.road,
        month=date(2026, 4, 1),
        investment_fen=0,
        lines=[services.LineInput(projects.road_km.pk, "0.5", "km")],
    )
    assert report.unit_id == world.units["construction"].pk


def test_two_reports_at_once_never_overwrite(world: World, projects: Projects) -> None:
    month = date(2026, 3, 1)
    first = _report(world, projects, month, "1000")
    # A second person who did not see the first report cannot silently replace it ...
    with pytest.raises(ConflictError):
        _report(world, projects, month, "2000")
    # ... nor can someone who read it before another change.
    _report(world, projects, month, "1500", version=first.version)
    with pytest.raises(ConflictError):
        _report(world, projects, month, "2500", version=first.version)
    line = ReportLine.objects.get(report__project=projects.demolition)
    assert line.quantity == Decimal("1500")


def test_approved_report_is_final_and_approval_is_the_districts(
    world: World, projects: Projects
) -> None:
    report = _report(world, projects, date(2026, 3, 1), "1000")
    with pytest.raises(DomainError, match="Only the district"):
        services.report_approve(actor=world.users["street_staff"], report=report, version=1)
    with pytest.raises(ConflictError):
        services.report_approve(actor=world.users["district_admin"], report=report, version=7)
    services.report_approve(actor=world.users["district_admin"], report=report, version=1)
    with pytest.raises(DomainError, match="approved"):
        _report(world, projects, date(2026, 3, 1), "1", version=2)


def test_returned_report_can_be_submitted_again(world: World, projects: Projects) -> None:
    report = _report(world, projects, date(2026, 3, 1), "1000")
    with pytest.raises(DomainError, match="reason"):
        services.report_return(
            actor=world.users["district_admin"], report=report, version=1, reason=" "
        )
    returned = services.report_return(
        actor=world.users["district_admin"], report=report, version=1, reason="数量有误"
    )
    again = _report(world, projects, date(2026, 3, 1), "900", version=returned.version)
    assert again.status == "submitted"


def test_bad_project_input(world: World, projects: Projects) -> None:
    admin = world.users["district_admin"]
    base = services.ProjectInput(
        code="P-X",
        name="x",
        year=2026,
        industry="finance",
        region=world.open_street,
        unit=world.units["construction"],
        total_investment_fen=-1,
        annual_investment_fen=0,
        planned_start=date(2026, 1, 1),
        planned_end=date(2026, 12, 31),
    )
    with pytest.raises(DomainError, match="negative"):
        services.project_create(actor=admin, data=base)
    base.total_investment_fen = 10
    base.region = world.open_grid
    with pytest.raises(DomainError, match="street"):
        services.project_create(actor=admin, data=base)
    base.region = world.open_street
    with pytest.raises(DomainError, match="manage"):
        services.project_create(actor=world.users["street_staff"], data=base)
    base.unit = world.units[f"street-{world.secret_street.code}"]
    with pytest.raises(DomainError, match="does not work in this street"):
        services.project_create(actor=admin, data=base)
    assert not Project.objects.filter(code="P-X").exists()


def test_project_update_is_version_checked(world: World, projects: Projects) -> None:
    admin = world.users["district_admin"]
    p = projects.road
    data = services.ProjectInput(
        code=p.code,
        name="新名称",
        year=2026,
        industry="other",
        kind="road",
        region=p.region,
        unit=p.unit,
        total_investment_fen=p.total_investment_fen,
        annual_investment_fen=p.annual_investment_fen,
        planned_start=p.planned_start,
        planned_end=p.planned_end,
    )
    services.project_update(actor=admin, project=p, version=1, data=data)
    with pytest.raises(ConflictError):
        services.project_update(actor=admin, project=p, version=1, data=data)
    event = AuditEvent.objects.get(action="project.update")
    assert event.changes["name"] == ["党杨路立交", "新名称"]


def test_red_project_goes_under_supervision_as_a_ticket(world: World, projects: Projects) -> None:
    admin = world.users["district_admin"]
    services.lights_recompute(actor=admin, as_of=date(2026, 9, 30))  # nothing reported: red
    p = Project.objects.get(pk=projects.road.pk)
    assert p.light == "red"
    assert {r["code"] for r in p.reasons} == {"behind", "late_start"}
    ticket = services.project_supervise(
        actor=admin, project=p, version=p.version, reason="进度滞后"
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.unit_id) == ("dispatched", world.units["construction"].pk)
    assert ticket.category.code == "project_supervision"
    assert "points behind the time-proportional plan" in ticket.description
    p.refresh_from_db()
    assert p.supervision_id == ticket.pk
    with pytest.raises(DomainError, match="already"):
        services.project_supervise(actor=admin, project=p, version=p.version, reason="再次")
    green = Project.objects.get(pk=projects.demolition.pk)
    green.light = "green"
    with pytest.raises(DomainError, match="red"):
        services.project_supervise(actor=admin, project=green, version=1, reason="x")


def test_thresholds_change_the_lights(world: World, projects: Projects) -> None:
    admin = world.users["district_admin"]
    report = _report(world, projects, date(2026, 6, 1), "81900")  # 39% against 49.59%
    services.report_approve(actor=admin, report=report, version=1)
    services.lights_recompute(actor=admin, as_of=date(2026, 6, 30))
    assert Project.objects.get(pk=projects.demolition.pk).light == "yellow"
    with pytest.raises(DomainError):
        services.thresholds_update(
            actor=world.users["street_staff"],
            version=1,
            yellow_behind=Decimal(20),
            red_behind=Decimal(50),
            late_start_red_days=90,
        )
    with pytest.raises(DomainError, match="Yellow"):
        services.thresholds_update(
            actor=admin,
            version=1,
            yellow_behind=Decimal(60),
            red_behind=Decimal(50),
            late_start_red_days=90,
        )
    services.thresholds_update(
        actor=admin,
        version=1,
        yellow_behind=Decimal(20),
        red_behind=Decimal(50),
        late_start_red_days=90,
    )
    services.lights_recompute(actor=admin, as_of=date(2026, 6, 30))
    assert Project.objects.get(pk=projects.demolition.pk).light == "green"


def test_set_based_assessment_matches_the_pure_functions(world: World, projects: Projects) -> None:
    """The database's sums (services.progress_sums) give the same progress and plan as
    lights.actual_progress and planned_progress over milestones of several weights, done over
    and under plan, not yet begun, already ended and one day long."""
    from gridlight.development import lights

    admin = world.users["district_admin"]
    p = projects.demolition
    plans = [
        ("rooms", "item", "7", date(2026, 2, 1), date(2026, 2, 1), 3, "3"),
        ("money", "yuan", "1000000", date(2026, 1, 1), date(2026, 3, 31), 2, "1200000"),
        ("later", "km", "3.3", date(2026, 9, 1), date(2027, 3, 1), 5, "0"),
        ("middle", "mu", "85", date(2026, 4, 10), date(2026, 8, 20), 1, "31.5"),
    ]
    made = [
        services.milestone_add(
            actor=admin,
            project=p,
            name=name,
            quantity_unit=unit,
            planned_quantity=planned,
            planned_start=start,
            planned_end=end,
            weight=weight,
        )
        for name, unit, planned, start, end, weight, _done in plans
    ]
    report = services.report_submit(
        actor=world.users["street_staff"],
        project=p,
        month=date(2026, 5, 1),
        investment_fen=1,
        lines=[services.LineInput(projects.houses.pk, "157000", "m2")]
        + [
            services.LineInput(m.pk, done, unit)
            for m, (_n, unit, _p, _s, _e, _w, done) in zip(made, plans, strict=True)
        ],
    )
    services.report_approve(actor=admin, report=report, version=report.version)
    for as_of in (date(2026, 1, 31), date(2026, 6, 30), date(2026, 12, 31), date(2027, 6, 30)):
        services.assess_projects(Project.objects.filter(pk=p.pk), as_of=as_of)
        fresh = Project.objects.get(pk=p.pk)
        done = {m.pk: Decimal(d) for m, (*_x, d) in zip(made, plans, strict=True)}
        done[projects.houses.pk] = Decimal(157000) if as_of >= date(2026, 5, 31) else Decimal(0)
        milestones = [
            lights.MilestonePlan(
                m.planned_quantity,
                m.planned_start,
                m.planned_end,
                m.weight,
                done[m.pk] if as_of >= date(2026, 5, 31) else Decimal(0),
            )
            for m in p.milestones.all()
        ]
        assert fresh.actual_pct == lights.actual_progress(milestones), as_of
        assert fresh.planned_pct == lights.planned_progress(milestones, as_of), as_of
