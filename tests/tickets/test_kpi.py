"""Ticket KPIs: exact rates from hand-computed cases built through the real services, scope,
the page, the Excel export, a fixed number of queries, and facts rebuilt from the log."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from python_calamine import CalamineWorkbook

from gridlight.tickets import facts, services
from gridlight.tickets.kpi import KpiRow, Rate, kpis
from gridlight.tickets.models import Category, DispatchFact, Ticket, Transition, Unit
from tests.conftest import CANARY, World, login

pytestmark = pytest.mark.django_db

MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)


def moment(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of 2025 in the district's time zone. March 2025 has no public holidays, so the
    deadlines below are plain weekdays: a dispatch on Monday 3 March must be signed for by the
    end of Tuesday 4 March and handled by the end of Monday 10 March (5 working days)."""
    return timezone.make_aware(datetime(2025, month, day, hour, minute))


@contextmanager
def frozen(when: datetime) -> Iterator[None]:
    """Every ``timezone.now()`` — in services, deadlines and the log — answers ``when``."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


class Scenario:
    """The open street's street-light tickets of March and April 2025 (docs/tickets-kpi.md's
    worked example)::

        A  signed, handled on time, rated resolved and satisfied
        B  sent back the next day (responded on time, returned)
        C  signed on time, handled two days late, rated resolved and basically satisfied
        D  signed, handled on time, rated unresolved and unsatisfied, reopened: round 2 open
        E  signed, 3 more working days approved, handled after the first deadline but within
           the extended one; not rated yet
        F  signed a day late, never handled, red-carded after its deadline
        G  dispatched on 1 April to the street's office, nothing since
    """

    def __init__(self, w: World, region: Any = None, title: str = "路灯不亮") -> None:
        self.w = w
        self.admin = w.users["district_admin"]
        self.handler = w.users["department_handler"]
        self.urban: Unit = w.units["urban"]
        self.urban.members.add(self.handler)
        self.region = region or w.open_grid
        street = w.secret_street if self.region.path.startswith(w.secret_street.path) else None
        # The office of the tickets' street (a unit serves only the places under it).
        self.office: Unit = w.units[f"street-{(street or w.open_street).code}"]
        self.title = title
        self.category = Category.objects.get(code="street_light")
        self.tickets: dict[str, Ticket] = {}

    def new(self, name: str, when: datetime, unit: Unit | None = None) -> Ticket:
        with frozen(when):
            t = services.submit(
                actor=self.admin,
                intake=services.Intake(
                    category=self.category,
                    region=self.region,
                    title=f"{self.title}{name}",
                    description="路灯不亮，请修理",
                    source="hotline",
                ),
            )
            t = services.dispatch(
                actor=self.admin, ticket=t, version=t.version, unit=unit or self.urban, at=when
            )
        self.tickets[name] = t
        return t

    def step(
        self, name: str, when: datetime, action: Callable[..., Ticket], actor: Any, **kw: Any
    ) -> Ticket:
        t = self.tickets[name]
        with frozen(when):
            t = action(actor=actor, ticket=t, version=t.version, **kw)
        self.tickets[name] = t
        return t

    def red_card(self, name: str, when: datetime) -> None:
        """What the supervision sweep logs when a deadline passes with the ticket unhandled."""
        t = Ticket.objects.get(pk=self.tickets[name].pk)
        Transition.objects.create(
            ticket=t,
            name="card",
            source=t.status,
            target=t.status,
            at=when,
            unit_id=t.unit_id,
            round=t.round,
            data={"card": "red"},
        )
        facts.refresh(t)

    def build(self) -> Scenario:
        s, admin, handler = services, self.admin, self.handler
        day3 = moment(3, 3)
        for name in "ABCDEF":
            self.new(name, day3)
        self.step("A", moment(3, 3, 11), s.sign, handler)
        self.step("A", moment(3, 5), s.handle, handler, result="已修复")
        self.step("A", moment(3, 6), s.rate, admin, resolved=True, satisfaction="satisfied")
        self.step("B", moment(3, 4), s.send_back, handler, reason="不属于本单位职责")
        self.step("C", moment(3, 4), s.sign, handler)
        self.step("C", moment(3, 12), s.handle, handler, result="已修复")
        self.step("C", moment(3, 13), s.rate, admin, resolved=True, satisfaction="basic")
        self.step("D", moment(3, 3, 12), s.sign, handler)
        self.step("D", moment(3, 6), s.handle, handler, result="已处理")
        self.step("D", moment(3, 6, 15), s.rate, admin, resolved=False, satisfaction="unsatisfied")
        self.step("D", moment(3, 7), s.reopen, admin, reason="群众不满意")
        self.step("E", moment(3, 3, 11), s.sign, handler)
        self.step("E", moment(3, 6), s.request_extension, handler, days=3, reason="需采购灯具")
        self.step("E", moment(3, 6, 11), s.decide_extension, admin, approve=True)
        self.step("E", moment(3, 13, 16), s.handle, handler, result="已更换灯具")
        self.step("F", moment(3, 5, 9), s.sign, handler)
        self.red_card("F", moment(3, 11, 9))
        self.new("G", moment(4, 1), unit=self.office)
        return self


@pytest.fixture
def scenario(world: World) -> Scenario:
    return Scenario(world).build()


def _counts(row: KpiRow) -> dict[str, int]:
    return dict(vars(row.counts))


def _rates(row: KpiRow) -> dict[str, tuple[int, int]]:
    return {
        code: (row.rate(code).numerator, row.rate(code).denominator)
        for code in (
            "response",
            "on_time",
            "resolution",
            "satisfaction",
            "return",
            "reopen",
            "overdue",
        )
    }


def _report(user: Any, scenario: Scenario, **kw: Any) -> Any:
    kw.setdefault("by", "unit")
    kw.setdefault("start", MARCH)
    kw.setdefault("end", APRIL)
    return kpis(user, category=scenario.category.pk, **kw)


def test_facts_of_the_worked_example(scenario: Scenario) -> None:
    t = scenario.tickets

    def fact(name: str, round: int = 1) -> DispatchFact:
        return DispatchFact.objects.get(ticket=t[name], round=round)

    a, b, c, d, e, f = (fact(n) for n in "ABCDEF")
    assert a.responded_on_time
    assert a.handled_on_time
    assert a.resolved
    assert a.satisfied
    assert b.responded_on_time
    assert b.returned
    assert not b.handled
    assert not b.overdue
    assert c.responded_on_time
    assert c.handled
    assert not c.handled_on_time
    assert c.overdue
    assert c.satisfied
    assert c.resolved
    assert d.rated
    assert not d.satisfied
    assert not d.resolved
    assert d.reopened
    assert e.handled_on_time
    assert not e.overdue
    assert not e.rated
    assert f.responded
    assert not f.responded_on_time
    assert f.overdue
    assert not f.handled
    d2 = fact("D", 2)
    assert d2.month == MARCH
    assert not d2.responded
    assert d2.unit_id == scenario.urban.pk
    assert fact("G").month == APRIL


def test_rates_of_the_worked_example(scenario: Scenario) -> None:
    report = _report(scenario.admin, scenario)
    assert _counts(report.total) == {
        "dispatches": 8,
        "responded": 6,
        "responded_on_time": 5,
        "returned": 1,
        "handled": 4,
        "handled_on_time": 3,
        "timed": 5,
        "overdue": 2,
        "rated": 3,
        "resolved": 2,
        "satisfied": 2,
        "reopened": 1,
    }
    assert _rates(report.total) == {
        "response": (5, 8),
        "on_time": (3, 5),
        "resolution": (2, 3),
        "satisfaction": (2, 3),
        "return": (1, 8),
        "reopen": (1, 3),
        "overdue": (2, 8),
    }
    assert [str(r) for r in report.total.rates] == [
        "62.5%",
        "60.0%",
        "66.7%",
        "66.7%",
        "12.5%",
        "33.3%",
        "25.0%",
    ]
    by_unit = {r.key: r for r in report.rows}
    assert set(by_unit) == {
        scenario.urban.pk,
        scenario.office.pk,
    }
    assert by_unit[scenario.urban.pk].counts.dispatches == 7


def test_a_rate_with_nothing_to_count_has_no_value(scenario: Scenario) -> None:
    report = _report(scenario.admin, scenario, by="month", start=APRIL, end=APRIL)
    (april,) = report.rows
    assert april.key == APRIL
    assert april.label == "2025-04"
    assert _rates(april) == {
        "response": (0, 1),
        "on_time": (0, 0),
        "resolution": (0, 0),
        "satisfaction": (0, 0),
        "return": (0, 1),
        "reopen": (0, 0),
        "overdue": (0, 1),
    }
    assert str(april.rate("response")) == "0.0%"
    assert april.rate("on_time").value is None
    assert str(april.rate("on_time")) == "—"
    assert str(Rate(0, 0)) == "—"
    assert Rate(0, 0).percent is None


def test_month_rows_and_the_trend_cover_the_period(scenario: Scenario) -> None:
    report = _report(scenario.admin, scenario, by="month", start=date(2025, 2, 1), end=APRIL)
    assert [(r.label, r.counts.dispatches) for r in report.rows] == [
        ("2025-03", 7),
        ("2025-04", 1),
    ]
    assert [(r.label, r.counts.dispatches) for r in report.trend] == [
        ("2025-02", 0),
        ("2025-03", 7),
        ("2025-04", 1),
    ]
    # The trend is the same whichever dimension the rows are grouped by.
    by_unit = _report(scenario.admin, scenario, by="unit", start=date(2025, 2, 1), end=APRIL)
    assert [_counts(r) for r in by_unit.trend] == [_counts(r) for r in report.trend]


def test_filters(scenario: Scenario, world: World) -> None:
    admin = scenario.admin
    open_office = world.units[f"street-{world.open_street.code}"]
    assert _report(admin, scenario, unit=open_office.pk).total.counts.dispatches == 1
    assert _report(admin, scenario, street=world.open_street.pk).total.counts.dispatches == 8
    assert _report(admin, scenario, street=world.secret_street.pk).rows == []
    assert _report(admin, scenario, talent_only=True).rows == []
    assert _report(admin, scenario, start=MARCH, end=MARCH).total.counts.dispatches == 7
    with translation.override("zh-hans"):
        by_category = kpis(admin, by="category", start=MARCH, end=APRIL)
    assert [(r.label, r.counts.dispatches) for r in by_category.rows] == [("路灯照明", 8)]
    # By community: the example's tickets all lie in the open community.
    by_community = kpis(admin, by="community", start=MARCH, end=APRIL)
    assert [(r.key, r.counts.dispatches) for r in by_community.rows] == [
        (world.open_community.path, 8)
    ]
    assert by_community.rows[0].label == f"{world.open_street.name} {world.open_community.name}"
    assert by_community.rows[0].counts == by_community.total.counts
    # A talent ticket in the period.
    talent = Scenario(world, title="入学")
    talent.category = Category.objects.get(code="school_enrolment")
    talent.new("H", moment(3, 10), unit=world.units["education"])
    with translation.override("zh-hans"):
        report = kpis(admin, by="category", start=MARCH, end=APRIL, talent_only=True)
    assert [(r.label, r.counts.dispatches) for r in report.rows] == [("子女入学", 1)]


def test_scope(world: World) -> None:
    Scenario(world).build()
    Scenario(world, region=world.secret_grid, title=f"{CANARY}路灯").build()
    admin_report = kpis(world.users["district_admin"], by="street", start=MARCH, end=APRIL)
    assert [(r.key, r.counts.dispatches) for r in admin_report.rows] == [
        (world.secret_street.pk, 8),
        (world.open_street.pk, 8),
    ]
    twin = world.twins["street_staff"]  # staff of the open street
    twin_report = kpis(twin, by="street", start=MARCH, end=APRIL)
    assert [(r.key, r.counts.dispatches) for r in twin_report.rows] == [(world.open_street.pk, 8)]
    assert _counts(twin_report.total) == _counts(admin_report.rows[1])
    assert twin_report.total.rate("response") == Rate(5, 8)
    assert kpis(world.twins["district_admin"], by="unit", start=MARCH, end=APRIL).rows == []
    with pytest.raises(PermissionDenied):
        kpis(world.users["department_handler"], by="unit", start=MARCH, end=APRIL)

    page = "/tickets/kpi/?start=2025-03&end=2025-04"
    for by in ("unit", "street", "category", "month"):
        body = login(twin).get(f"{page}&by={by}").content.decode()
        assert CANARY not in body
    # Asking for the secret street by its id is refused as an invalid choice, and leaks nothing.
    response = login(twin).get(f"{page}&street={world.secret_street.pk}")
    assert response.status_code == 200
    assert CANARY not in response.content.decode()
    export = login(twin).get("/tickets/kpi/export/?start=2025-03&end=2025-04&by=street")
    assert CANARY not in json.dumps(_sheet(export.content))
    in_scope = login(world.users["street_staff"]).get(f"{page}&by=street").content.decode()
    assert CANARY in in_scope


def test_a_handler_without_ticket_view_is_refused(world: World) -> None:
    client = login(world.users["department_handler"])
    assert client.get("/tickets/kpi/").status_code == 403
    assert client.get("/tickets/kpi/export/").status_code == 403


def _sheet(content: bytes) -> list[list[Any]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows: list[list[Any]] = book.get_sheet_by_index(0).to_python()
    return rows


def test_export_round_trip(scenario: Scenario) -> None:
    client = login(scenario.admin)
    query = f"start=2025-03&end=2025-04&by=month&category={scenario.category.pk}"
    response = client.get(f"/tickets/kpi/export/?{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-month-202503-202504.xlsx"')
    header, march, april, total = _sheet(response.content)
    assert header[:3] == ["月份", "派单数", "已响应"]
    cols = {h: i for i, h in enumerate(header)}
    assert march[0] == "2025-03"
    assert april[0] == "2025-04"
    assert total[cols["派单数"]] == 8
    assert total[cols["响应率(%)"]] == 62.5
    assert total[cols["按期办结率(%)"]] == 60.0
    assert total[cols["重办率(%)"]] == 33.3
    assert april[cols["按期办结率(%)"]] == "—"
    assert april[cols["响应率(%)"]] == 0
    # The sheet holds exactly what the page computes.
    page_report = _report(scenario.admin, scenario, by="month")
    assert [row[cols["派单数"]] for row in (march, april)] == [
        r.counts.dispatches for r in page_report.rows
    ]


def test_page_renders_with_data(scenario: Scenario) -> None:
    client = login(scenario.admin)
    response = client.get(
        f"/tickets/kpi/?start=2025-03&end=2025-04&by=unit&category={scenario.category.pk}"
    )
    assert response.status_code == 200
    body = response.content.decode()
    table = body.split('data-testid="kpi-table"')[1].split("</table>")[0]
    assert scenario.urban.name in table
    for text in ("62.5%", "5/8", "60.0%", "3/5", "33.3%", "1/3", "—"):
        assert text in table
    assert 'id="kpi-chart"' in body
    assert "gridlight/kpi.js" in body
    assert "/tickets/kpi/export/?start=2025-03" in body
    data = json.loads(body.split('id="kpi-data" type="application/json">')[1].split("</script>")[0])
    assert data["months"] == ["2025-03", "2025-04"]
    office = scenario.office
    assert data["names"] == [scenario.urban.name, office.name]  # departments first
    assert data["trend"][0] == [round(100 * 5 / 7, 1), 0.0]  # response rate per month
    assert data["trend"][1][1] is None  # April: nothing handled or overdue yet
    # The default page (the last twelve months) and a wrong period render too.
    assert client.get("/tickets/kpi/").status_code == 200
    wrong = client.get("/tickets/kpi/?start=2025-05&end=2025-03")
    assert wrong.status_code == 200
    assert "invalid-feedback" in wrong.content.decode()


@pytest.mark.parametrize("by", ["unit", "street", "community", "category", "month"])
def test_the_page_uses_a_fixed_number_of_queries(world: World, by: str) -> None:
    client = login(world.users["district_admin"])
    url = f"/tickets/kpi/?start=2025-01&end=2025-12&by={by}"
    Scenario(world).build()
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more = Scenario(world, region=world.secret_grid, title="更多")
    more.category = Category.objects.get(code="road_damage")
    for i, month in enumerate((1, 5, 9, 11)):
        more.new(f"M{i}", moment(month, 10), unit=world.units["construction"])
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_rebuilt_facts_equal_the_incremental_ones(scenario: Scenario) -> None:
    def snapshot() -> list[dict[str, Any]]:
        return [
            {k: v for k, v in model_to_dict(f).items() if k != "id"} | {"at": f.dispatched_at}
            for f in DispatchFact.objects.order_by("ticket_id", "round")
        ]

    before = snapshot()
    assert len(before) == 9  # the scenario's eight and the world's secret ticket
    report = _report(scenario.admin, scenario)
    DispatchFact.objects.all().delete()
    assert facts.rebuild() == 9
    assert snapshot() == before
    assert _counts(_report(scenario.admin, scenario).total) == _counts(report.total)


def test_the_last_handling_report_of_a_round_counts(world: World) -> None:
    """Handled on time, failed on-site verification, finished again after the deadline: the
    round was handled late (docs/tickets-kpi.md, ``handled``)."""
    s = Scenario(world, title="道路破损")
    s.category = Category.objects.get(code="road_damage")  # verified on site
    t = s.new("H", moment(3, 3))
    admin, handler = s.admin, s.handler
    s.step("H", moment(3, 3, 11), services.sign, handler)
    s.step("H", moment(3, 6), services.handle, handler, result="已修补")
    assert DispatchFact.objects.get(ticket=t).handled_on_time
    s.step("H", moment(3, 7), services.verify, admin, passed=False, note="坑仍未填平")
    s.step("H", moment(3, 12), services.handle, handler, result="重新修补")
    fact = DispatchFact.objects.get(ticket=t)
    assert fact.handled
    assert not fact.handled_on_time
    assert fact.overdue
