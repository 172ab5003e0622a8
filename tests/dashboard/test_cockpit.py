"""The cockpit: its figures equal the underlying queries (computed here another way), it is
scoped like its pillars, its refresh is a job that writes only what changed, and serving it
takes a fixed number of queries whatever the data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridlight.core.models import Job, Region
from gridlight.core.models.regions import subtree
from gridlight.dashboard.models import CockpitTile, Section
from gridlight.dashboard.refresh import refresh, ticket_months
from gridlight.development import indicator_selectors as sel
from gridlight.development.models import DataElement, DataValue, Project
from gridlight.households.models import Household
from gridlight.talent.models import Enterprise, EnterpriseTag, Talent
from gridlight.talent.problems import solved_report
from gridlight.tickets.kpi import kpis
from gridlight.tickets.models import Ticket
from tests.conftest import CANARY, World, login, raise_secret_problems

pytestmark = pytest.mark.django_db


def _tile(region: Region, section: str) -> dict[str, Any]:
    return CockpitTile.objects.get(region=region, section=section).data  # type: ignore[no-any-return]


def _gdp_series(world: World) -> tuple[DataElement, list[DataElement]]:
    """GDP and two parts for the district, this year's and last year's first quarter: one part
    grows more than GDP does (its contribution is above 100%), the other shrinks."""
    admin = world.users["district_admin"]
    gdp = DataElement.objects.get(code="gdp")
    parts = [
        DataElement.objects.create(
            code=code,
            name=name,
            unit="亿元",
            aggregation="sum",
            period_type="quarter",
            gdp_part=True,
        )
        for code, name in (("finance_va", "金融业增加值"), ("commerce_va", "商贸业增加值"))
    ]
    year = timezone.localdate().year
    values = {
        ("gdp", year - 1): "280.4",
        ("gdp", year): "290.0",
        ("finance_va", year - 1): "62.31",
        ("finance_va", year): "79.6",
        ("commerce_va", year - 1): "46.5",
        ("commerce_va", year): "40.2",
    }
    elements = {e.code: e for e in [gdp, *parts]}
    for (code, y), v in values.items():
        DataValue.objects.create(
            element=elements[code],
            period=date(y, 1, 1),
            region=world.district,
            region_path=world.district.path,
            value=Decimal(v),
            status="approved",
            entered_by=admin,
            approved_by=admin,
            updated_at=timezone.now(),
        )
    return gdp, parts


def test_figures_equal_the_underlying_queries(world: World) -> None:
    raise_secret_problems(world)
    gdp, parts = _gdp_series(world)
    day = timezone.localdate()
    result = refresh()
    assert result.tiles == 8 * 5  # two districts and three streets, eight sections each
    admin = world.users["district_admin"]
    district, street = world.district, world.secret_street

    # Households: active ones by light, read straight from the table.
    for region in (district, street):
        homes = _tile(region, Section.HOUSEHOLDS)
        rows = Household.objects.filter(subtree("region_path", region.path), status="active")
        for light in ("red", "yellow", "green"):
            assert homes[light] == rows.filter(light=light).count()
        assert homes["total"] == rows.count() > 0
        assert homes["overdue"] == rows.filter(next_visit_due__lt=day).count()

    # Tickets: the KPI page's own report over the same twelve months, and the tickets table.
    months = ticket_months(day)
    report = kpis(admin, by="month", start=months[0], end=months[-1])
    tickets = _tile(district, Section.TICKETS)
    assert tickets["counts"] == vars(report.total.counts)
    assert tickets["counts"]["dispatches"] >= 1
    received = Ticket.objects.filter(
        created_at__date__gte=months[0], region_path__startswith=district.path
    )
    assert tickets["received"] == received.count() >= 2
    assert tickets["closed"] == received.filter(status="closed").count()

    # Talents: the registers and the "problems solved" report of the year.
    talent = _tile(district, Section.TALENT)
    assert talent["talents"] == Talent.objects.filter(region_path__startswith=district.path).count()
    assert (
        talent["enterprises"]
        == Enterprise.objects.filter(region_path__startswith=district.path).count()
    )
    solved = solved_report(admin, by="month", start=date(day.year, 1, 1), end=date(day.year, 12, 1))
    assert (talent["solved"], talent["raised"]) == (solved.total.solved, solved.total.raised)
    assert talent["raised"] >= 2
    tags = EnterpriseTag.objects.filter(enterprise__region_path__startswith=district.path)
    assert talent["tags"] == {k: tags.filter(kind=k).count() for k in talent["tags"]}
    assert set(talent["tags"]) == set(tags.values_list("kind", flat=True))
    assert talent["grades"] == {
        "srdi:provincial:": tags.filter(kind="srdi", level="provincial").count()
    }
    assert talent["grades"]["srdi:provincial:"] >= 2
    secret_talent = _tile(street, Section.TALENT)
    assert secret_talent["talents"] == Talent.objects.filter(street=street).count() >= 1

    # Key projects of the year, by light and stage.
    plans = _tile(street, Section.PROJECTS)
    mine = Project.objects.filter(year=day.year, region_path__startswith=street.path)
    assert plans["count"] == mine.count()
    assert plans["stage"] == {s: mine.filter(stage=s).count() for s in plans["stage"]}
    assert sum(plans["light"].values()) == mine.count()

    # Indicators: the element page's figures, and the pulls that add up to GDP's growth.
    figures = _tile(district, Section.INDICATORS)
    finance = next(r for r in figures["elements"] if r["code"] == "finance_va")
    period = sel.latest_period(parts[0], district)
    assert period is not None
    expected = sel.element_figures(parts[0], district, period)
    assert finance["value"] == float(expected.value.rounded(2) or 0)
    assert finance["growth"] == float(expected.growth.rounded(1) or 0)
    table = sel.contribution_table(gdp, parts, district, period)
    assert table.growth is not None
    assert figures["gdp"]["growth"] == float(
        round(Decimal(table.growth.numerator) / table.growth.denominator, 1)
    )
    pulls = {r["code"]: r["pull"] for r in figures["gdp"]["rows"]}
    exact = {r.name: r.pull for r in table.rows}
    assert pulls["finance_va"] == round(float(exact["金融业增加值"]), 1)
    assert sum(exact.values(), Fraction(0)) == table.growth  # the invariant the page relies on
    assert pulls["finance_va"] > figures["gdp"]["growth"]  # a share above 100%
    assert pulls["commerce_va"] < 0


def test_a_street_sees_its_own_cockpit_and_the_district_all(world: World) -> None:
    refresh()
    street_staff = login(world.users["street_staff"])
    page = street_staff.get("/cockpit/")
    assert page.status_code == 200
    body = page.content.decode()
    assert world.secret_street.name in body
    assert 'data-testid="sec-households"' in body
    assert street_staff.get(f"/cockpit/?region={world.district.code}").status_code == 404
    api = street_staff.get(f"/api/v1/cockpit?region={world.district.code}")
    assert api.status_code == 404

    twin = login(world.twins["street_staff"])
    body = twin.get("/cockpit/").content.decode()
    assert world.open_street.name in body
    assert CANARY not in body
    assert twin.get(f"/cockpit/?region={world.secret_street.code}").status_code == 404

    admin = login(world.users["district_admin"])
    data = admin.get("/api/v1/cockpit").json()
    assert data["region"]["code"] == world.district.code
    assert set(data["sections"]) == {
        "households",
        "tickets",
        "talent",
        "projects",
        "indicators",
        "map",
        "evaluation",
        "policies",
    }
    assert admin.get(f"/cockpit/?region={world.secret_street.code}").status_code == 200
    assert admin.get(f"/cockpit/?region={world.other_district.code}").status_code == 404

    # A section only where its pillar is readable: the evaluator reads projects and
    # indicators over the district, not the households' lights.
    evaluator = login(world.users["evaluator"]).get("/api/v1/cockpit").json()
    assert "projects" in evaluator["sections"]
    assert "households" not in evaluator["sections"]
    assert "evaluation" in evaluator["sections"]
    assert "policies" not in evaluator["sections"]  # no policy.view
    # A grid worker sees no street or district whole: no cockpit.
    assert login(world.users["grid_worker"]).get("/cockpit/").status_code == 403
    assert login(world.users["resident"]).get("/api/v1/cockpit").status_code == 403


def test_every_figure_says_where_it_comes_from(world: World) -> None:
    refresh()
    data = login(world.users["district_admin"]).get("/api/v1/cockpit").json()
    figures = [f for s in data["sections"].values() for f in s.get("figures", [])]
    assert len(figures) >= 15
    for f in figures:
        assert f["url"].startswith("/"), f
        assert f["how"], f
    assert data["as_of"]


def test_the_refresh_is_a_job_and_writes_only_what_changed(world: World) -> None:
    admin = login(world.users["district_admin"])
    jobs_before = Job.objects.count()
    # Nothing named: refused, nothing written.
    assert admin.post("/cockpit/refresh/", {}).status_code == 302
    assert Job.objects.count() == jobs_before
    assert not CockpitTile.objects.exists()
    # A street office may not refresh.
    street = login(world.users["street_staff"])
    street.post("/cockpit/refresh/", {"region": world.secret_street.code})
    assert Job.objects.count() == jobs_before
    response = admin.post("/cockpit/refresh/", {"region": world.district.code})
    job = Job.objects.latest("pk")
    assert response.status_code == 302
    assert job.kind == "dashboard.refresh"
    assert job.status == "done"
    assert job.result["tiles"] == 8 * 3
    assert not CockpitTile.objects.filter(region=world.other_district).exists()
    versions = dict(CockpitTile.objects.values_list("pk", "version"))
    again = refresh(world.district)
    assert again.changed == 0
    assert dict(CockpitTile.objects.values_list("pk", "version")) == versions
    # A household turning red changes the households' tiles of its district and street only.
    Household.objects.filter(pk=world.open_household.pk).update(light="red")
    assert refresh(world.district).changed == 2
    assert _tile(world.open_street, Section.HOUSEHOLDS)["red"] == 1


def test_serving_takes_a_fixed_number_of_queries(world: World) -> None:
    refresh()
    admin = login(world.users["district_admin"])
    admin.get("/cockpit/")  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get("/cockpit/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    # Ten times the households and more projects: the page reads the same tiles.
    from gridlight.households.services import MemberInput, household_register

    for i in range(20):
        household_register(
            actor=world.users["district_admin"],
            grid=world.open_grid,
            code=f"MORE-{i}",
            address=f"新增路{i}号",
            members=[MemberInput(name=f"居民{i}", relation="head")],
        )
    # Policy records (applications, grants, matches) do not add queries either.
    from tests.policies.grant_world import secret_grant_world

    secret_grant_world(world)
    refresh()
    assert count() == small <= 12


def test_a_missing_value_is_shown_as_missing(world: World) -> None:
    _gdp, parts = _gdp_series(world)
    DataValue.objects.filter(element=parts[1], period__year=timezone.localdate().year - 1).delete()
    refresh()
    figures = _tile(world.district, Section.INDICATORS)
    commerce = next(r for r in figures["elements"] if r["code"] == "commerce_va")
    assert commerce["value"] is not None
    assert commerce["growth"] is None
    assert commerce["missing"]
    assert figures["gdp"]["growth"] is None
    assert figures["gdp"]["missing"]
    body = login(world.users["district_admin"]).get("/cockpit/").content.decode()
    assert "—" in body


def test_the_scheduler_runs_the_refresh(world: World) -> None:
    from gridlight.core import periodic

    try:
        done = periodic.run_due(now=10.0**9)
        assert "cockpit" in done
        assert done["cockpit"]["tiles"] > 0
        assert periodic.run_due(now=10.0**9 + 1) == {}  # not due again yet
    finally:
        periodic._NEXT.clear()  # the scheduler of a later test starts afresh
    assert CockpitTile.objects.filter(region=world.district).count() == len(Section.values)


def test_the_command_refreshes(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_cockpit", district=world.district.code, stdout=out)
    assert "24 tiles" in out.getvalue()
    assert (
        CockpitTile.objects.filter(computed_at__gte=timezone.now() - timedelta(minutes=1)).count()
        == 24
    )


def test_evaluation_and_policy_figures_equal_their_records(world: World) -> None:
    """The street evaluation shows the latest *published* arena only (an open round's sealed
    sheets and a closed round's results never reach the tiles) and the year's standings; the
    policy figures per mode equal the KPI page's report and the push and grant records."""
    from gridlight.evaluation import services as ev
    from gridlight.evaluation.models import CycleYear, Entrant, Round, Standing
    from gridlight.policies import kpi as policy_kpi
    from gridlight.policies.models import Application, Policy, Push
    from tests.evaluation import secrets
    from tests.policies.grant_world import secret_grant_world

    admin = world.users["district_admin"]
    day = timezone.localdate()
    secrets.make(world)  # an open arena with a sealed sheet about the secret street
    CycleYear.objects.update(year=day.year)
    secret_grant_world(world)
    refresh()
    district, street = world.district, world.secret_street
    assert _tile(district, Section.EVALUATION) == {"arena": None, "standings": None}
    round_ = Round.objects.get()
    round_ = ev.round_close(actor=admin, round_=round_, version=round_.version)
    refresh()
    assert _tile(district, Section.EVALUATION)["arena"] is None  # closed, not published
    ev.round_publish(actor=admin, round_=round_, version=round_.version)
    cycle = CycleYear.objects.get()
    community = Region.objects.filter(parent=street).first()
    assert community is not None
    for region, level, rank, tier in (
        (street, 1, 1, ""),
        (world.open_street, 1, 2, ""),
        (community, 2, 1, "leading"),
    ):
        Standing.objects.create(
            cycle=cycle,
            region=region,
            region_path=region.path,
            level=level,
            total=Decimal(90 - rank),
            rank=rank,
            tier=tier,
        )
    refresh()

    arena = _tile(district, Section.EVALUATION)["arena"]
    entrants = Entrant.objects.filter(round=round_).order_by("rank", "region_path")
    assert arena["pk"] == round_.pk
    assert [(r["region"], r["rank"]) for r in arena["rows"]] == [
        (e.region_id, e.rank) for e in entrants
    ]
    assert arena["entrants"] == entrants.count() == 2
    mine = _tile(street, Section.EVALUATION)
    assert [r["region"] for r in mine["arena"]["rows"]] == [street.pk]
    assert mine["standings"]["rows"] == [{"region": street.pk, "total": 89.0, "rank": 1}]
    assert mine["standings"]["tiers"] == {"leading": 1}
    assert _tile(world.open_street, Section.EVALUATION)["standings"]["tiers"] == {}

    # Policies: the KPI page's own report over the year, grouped by the policies' modes.
    report = policy_kpi.report(admin, by="policy", start=date(day.year, 1, 1), end=day)
    mode_of = dict(Policy.objects.values_list("pk", "mode"))
    modes = _tile(district, Section.POLICIES)["modes"]
    for mode in ("push", "apply", "auto_grant"):
        rows = [r for r in report.rows if mode_of[r.key] == mode]
        got = modes[mode]
        assert got["applications"] == sum(r.applications for r in rows)
        assert got["approved"] == sum(r.approved for r in rows)
        assert got["matched"] == sum(r.matched for r in rows)
        assert got["granted_fen"] == sum(r.granted_fen for r in rows)
        assert got["pushes"] == Push.objects.filter(policy__mode=mode).count()
        approved = Application.objects.filter(policy__mode=mode, status="approved")
        assert got["approved_fen"] == sum(a.amount_fen or 0 for a in approved)
    assert modes["apply"]["applications"] == 2
    assert modes["apply"]["approved"] == 1
    assert modes["auto_grant"]["granted_fen"] > 0
    assert _tile(world.open_street, Section.POLICIES)["modes"]["apply"]["applications"] == 0

    # On the page: sections for the district, each figure a link; the sealed note never shows.
    data = login(admin).get("/api/v1/cockpit").json()
    assert data["sections"]["evaluation"]["arena"]["url"] == f"/evaluation/rounds/{round_.pk}/"
    cells = data["sections"]["policies"]["figures"]
    assert all(f["url"].startswith("/policies/") and f["how"] for f in cells)
    tag = next(
        f for f in data["sections"]["talent"]["tags"] if f["key"] == "talent.tag.srdi.provincial"
    )
    listed = login(admin).get(tag["url"]).content.decode()
    assert "tag_level=provincial" in tag["url"]
    assert world.secret_enterprise.name in listed
    body = login(admin).get("/cockpit/").content.decode()
    assert 'data-testid="sec-evaluation"' in body
    assert 'data-testid="sec-policies"' in body
    assert f"{CANARY}评语" not in body


def test_a_listing_stage_figure_opens_the_list_of_that_stage(world: World) -> None:
    EnterpriseTag.objects.create(
        enterprise=world.open_enterprise, kind="listing_reserve", stage="tutoring", year=2025
    )
    EnterpriseTag.objects.create(
        enterprise=world.secret_enterprise, kind="listing_reserve", stage="filing", year=2025
    )
    refresh()
    admin = login(world.users["district_admin"])
    tags = admin.get("/api/v1/cockpit").json()["sections"]["talent"]["tags"]
    tutoring = next(f for f in tags if f["key"] == "talent.tag.listing_reserve.tutoring")
    assert tutoring["value"] == 1
    assert "tag_stage=tutoring" in tutoring["url"]
    listed = admin.get(tutoring["url"]).content.decode()
    assert world.open_enterprise.name in listed
    assert world.secret_enterprise.name not in listed
