"""Talent problems as tickets: raising one (by the talent or enterprise, or by its commissioner),
the commissioners' list, and the "problems solved" KPI counted from the tickets."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from gridlight.core.errors import DomainError
from gridlight.core.models import AuditEvent
from gridlight.talent.models import (
    ContactKind,
    ProblemCategory,
    ServiceLog,
    Talent,
    TalentProblem,
)
from gridlight.talent.problems import (
    CATEGORY_CODES,
    NotYours,
    ProblemFilters,
    problem_list,
    raise_problem,
    solved_report,
)
from gridlight.tickets import services as tickets
from gridlight.tickets.models import Category, Source, Ticket
from tests.conftest import CANARY, World, login


def _solve(world: World, problem: TalentProblem, *, resolved: bool = True) -> Ticket:
    """Take the problem's ticket through dispatch, handling and a satisfied follow-up."""
    admin, handler = world.users["district_admin"], world.users["department_handler"]
    t = Ticket.objects.get(pk=problem.ticket_id)
    unit = t.category.default_unit
    assert unit is not None
    unit.members.add(handler)
    t = tickets.dispatch(actor=admin, ticket=t, version=t.version, unit=unit)
    t = tickets.sign(actor=handler, ticket=t, version=t.version)
    t = tickets.start(actor=handler, ticket=t, version=t.version)
    t = tickets.handle(actor=handler, ticket=t, version=t.version, result="已办理")
    return tickets.rate(
        actor=admin, ticket=t, version=t.version, resolved=resolved, satisfaction="satisfied"
    )


def _raise(world: World, category: str = "school", **kw: object) -> TalentProblem:
    return raise_problem(
        actor=world.users["talent"],
        talent=world.secret_talent,
        category=category,
        title=kw.get("title", "孩子入学"),  # type: ignore[arg-type]
        description="明年九月入学，需要协调学位",
    )


def test_every_problem_category_is_an_open_talent_ticket_category(world: World) -> None:
    for category in ProblemCategory.values:
        c = Category.objects.get(code=CATEGORY_CODES[category])
        assert (c.talent, c.public, c.active, c.parent.code) == (
            True,
            True,
            True,
            "talent_service",
        )
        assert c.default_unit is not None  # dispatched somewhere by default


def test_a_talent_raises_its_own_problem_as_a_ticket_followed_by_its_commissioner(
    world: World,
) -> None:
    problem = _raise(world)
    ticket = problem.ticket
    assert ticket.category.code == "school_enrolment"
    assert (ticket.source, ticket.talent, ticket.requester) == (
        Source.TALENT,
        True,
        world.users["talent"],
    )
    assert ticket.region_path == world.secret_street.path
    assert problem.commissioner == world.users["talent_commissioner"]
    assert problem.category == "school"
    log = ServiceLog.objects.get(ticket=ticket)
    assert (log.kind, log.talent, log.commissioner) == (
        ContactKind.PROBLEM,
        world.secret_talent,
        world.users["talent_commissioner"],
    )
    event = AuditEvent.objects.get(action="talent_problem.raise")
    assert event.actor == world.users["talent"]
    assert event.changes["category"] == [None, "school"]
    assert AuditEvent.objects.filter(action="ticket.submit", object_id=str(ticket.pk)).exists()


def test_an_enterprise_user_raises_for_its_enterprise(world: World) -> None:
    problem = raise_problem(
        actor=world.users["enterprise"],
        enterprise=world.secret_enterprise,
        category="apartment",
        title="员工公寓",
        description="三名新员工申请人才公寓",
    )
    assert problem.enterprise == world.secret_enterprise
    assert problem.ticket.category.code == "talent_housing"


def test_the_commissioner_raises_for_a_talent(world: World) -> None:
    problem = raise_problem(
        actor=world.users["talent_commissioner"],
        talent=world.secret_talent,
        category="spouse_job",
        title="配偶就业",
        description="配偶希望在本区就业",
    )
    ticket = problem.ticket
    assert ticket.created_by == world.users["talent_commissioner"]
    assert ticket.source == Source.TALENT
    # The talent is the requester: it follows and rates the problem raised for it.
    assert (ticket.requester, ticket.requester_name) == (
        world.users["talent"],
        world.secret_talent.name,
    )
    assert ticket.requester_phone_enc
    firm = raise_problem(
        actor=world.users["talent_commissioner"],
        enterprise=world.secret_enterprise,
        category="policy",
        title="政策咨询",
        description="研发补贴申报",
    )
    assert firm.ticket.requester == world.users["enterprise"]


def _nothing_written(before: tuple[int, int, int]) -> bool:
    return before == (
        Ticket.objects.count(),
        TalentProblem.objects.count(),
        ServiceLog.objects.count(),
    )


def _counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), TalentProblem.objects.count(), ServiceLog.objects.count()


@pytest.mark.parametrize(
    "who", ["talent-twin", "enterprise-twin", "commissioner-twin", "street_staff", "resident"]
)
def test_others_may_not_raise_for_a_record(world: World, who: str) -> None:
    actor = {
        "talent-twin": world.twins["talent"],
        "enterprise-twin": world.twins["enterprise"],
        "commissioner-twin": world.twins["talent_commissioner"],
        "street_staff": world.users["street_staff"],
        "resident": world.users["resident"],
    }[who]
    before = _counts()
    with pytest.raises(NotYours) as err:
        raise_problem(
            actor=actor,
            talent=world.secret_talent,
            category="school",
            title="x",
            description="y",
        )
    assert err.value.status == 404
    assert _nothing_written(before)


def test_a_record_without_a_commissioner_is_refused_clearly(world: World, english: None) -> None:
    Talent.objects.filter(pk=world.secret_talent.pk).update(commissioner=None)
    world.secret_talent.refresh_from_db()
    before = _counts()
    with pytest.raises(DomainError, match="No commissioner is assigned"):
        _raise(world)
    assert _nothing_written(before)


def test_bad_category_and_empty_title_are_refused(world: World) -> None:
    before = _counts()
    with pytest.raises(DomainError):
        _raise(world, category="lottery")
    with pytest.raises(DomainError):
        _raise(world, title="  ")
    assert _nothing_written(before)


# --- the list -------------------------------------------------------------------------------


def test_list_filters_by_status_category_commissioner_and_enterprise(world: World) -> None:
    solved = _raise(world)
    _solve(world, solved)
    open_one = _raise(world, category="medical")
    other = raise_problem(
        actor=world.twins["talent"],
        talent=world.open_talent,
        category="travel",
        title="出入境",
        description="签证",
    )
    user = world.users["talent_commissioner"]

    def ids(**f: object) -> set[int]:
        return set(problem_list(user, ProblemFilters(**f)).values_list("pk", flat=True))  # type: ignore[arg-type]

    assert ids() == {solved.pk, open_one.pk, other.pk}
    assert ids(status="open") == {open_one.pk, other.pk}
    assert ids(status="closed") == {solved.pk}
    assert ids(category="medical") == {open_one.pk}
    # An enterprise's problems include its talents'.
    assert ids(enterprise=world.secret_enterprise.pk) == {solved.pk, open_one.pk}
    assert ids(commissioner=world.twins["talent_commissioner"].pk) == set()
    assert ids(month=timezone.localdate()) == {solved.pk, open_one.pk, other.pk}
    # The street office of the open street sees only its street's problem.
    assert set(
        problem_list(world.twins["street_staff"], ProblemFilters()).values_list("pk", flat=True)
    ) == {other.pk}


def test_list_page_links_to_tickets_and_its_queries_do_not_grow(world: World) -> None:
    client = login(world.users["talent_commissioner"])
    _raise(world)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/talent/problems/").status_code == 200
    for i in range(6):
        _raise(world, category=ProblemCategory.values[i % 8], title=f"问题{i}")
        raise_problem(
            actor=world.users["enterprise"],
            enterprise=world.secret_enterprise,
            category="policy",
            title=f"企业问题{i}",
            description="d",
        )
    with CaptureQueriesContext(connection) as large:
        page = client.get("/talent/problems/?status=open")
    assert page.status_code == 200
    assert len(large) == len(small)
    body = page.content.decode()
    first = TalentProblem.objects.order_by("pk").first()
    assert first is not None
    assert f"/tickets/{first.ticket_id}/" in body
    assert "企业问题5" in body


def test_the_commissioner_raises_from_the_staff_page(world: World) -> None:
    client = login(world.users["talent_commissioner"])
    url = f"/talent/problems/raise/?talent={world.secret_talent.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"category": "hukou", "title": "落户", "description": "子女随迁落户"}
    )
    problem = TalentProblem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{problem.ticket_id}/"
    # Out of scope: the twin commissioner and the street staff without a case get no form.
    twin = login(world.twins["talent_commissioner"])
    assert twin.get(url).status_code == 404
    assert (
        twin.post(url, {"category": "hukou", "title": "x", "description": "y"}).status_code == 404
    )
    staff = login(world.users["street_staff"])
    assert (
        staff.post(url, {"category": "hukou", "title": "x", "description": "y"}).status_code == 404
    )
    assert TalentProblem.objects.count() == 1


# --- problems solved ------------------------------------------------------------------------


def test_solved_counts_tickets_closed_as_resolved_by_commissioner_category_enterprise_month(
    world: World,
) -> None:
    a = _raise(world)
    b = _raise(world, category="apartment")
    c = _raise(world, category="apartment")
    _raise(world, category="medical")  # still open
    e = raise_problem(
        actor=world.twins["enterprise"],
        enterprise=world.open_enterprise,
        category="apartment",
        title="公寓",
        description="d",
    )
    _solve(world, a)
    _solve(world, b)
    _solve(world, c, resolved=False)  # closed as explained: not solved
    _solve(world, e)
    user = world.users["district_admin"]
    today = timezone.localdate()
    report = solved_report(user, by="category", start=today, end=today)
    by_key = {r.key: (r.solved, r.raised) for r in report.rows}
    assert by_key == {"school": (1, 1), "apartment": (2, 3), "medical": (0, 1)}
    assert (report.total.solved, report.total.raised) == (3, 5)
    report = solved_report(user, by="enterprise", start=today, end=today)
    assert {r.key: r.solved for r in report.rows} == {
        world.secret_enterprise.pk: 2,
        world.open_enterprise.pk: 1,
    }
    report = solved_report(user, by="commissioner", start=today, end=today)
    assert [(r.label, r.solved) for r in report.rows] == [
        (str(world.users["talent_commissioner"]), 3)
    ]
    report = solved_report(user, by="month", start=date(today.year - 1, today.month, 1), end=today)
    assert report.rows[-1].solved == 3
    assert [r.solved for r in report.trend][-1] == 3
    assert len(report.trend) == 13
    # Scope: the open street's office counts its own street only.
    own = solved_report(world.twins["street_staff"], by="category", start=today, end=today)
    assert (own.total.solved, own.total.raised) == (1, 1)


def test_solved_page_chart_export_and_query_counts(world: World) -> None:
    client = login(world.users["talent_commissioner"])
    _solve(world, _raise(world))
    with CaptureQueriesContext(connection) as small:
        page = client.get("/talent/problems/solved/?by=enterprise")
    assert page.status_code == 200
    assert page.context["report"].total.solved == 1
    assert 'id="solved-data"' in page.content.decode()
    for i in range(5):
        _solve(world, _raise(world, category=ProblemCategory.values[i]))
    raise_problem(
        actor=world.twins["enterprise"],
        enterprise=world.open_enterprise,
        category="policy",
        title="政策",
        description="d",
    )
    with CaptureQueriesContext(connection) as large:
        page = client.get("/talent/problems/solved/?by=enterprise")
    assert len(large) == len(small)
    assert page.context["report"].total.solved == 6
    xlsx = client.get("/talent/problems/solved/export/?by=category")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row][:3] for row in sheet.iter_rows()]
    assert ["子女入学", 2, 2] in values
    assert ["合计", 6, 7] in values


def test_solved_period_is_checked(world: World) -> None:
    client = login(world.users["district_admin"])
    page = client.get("/talent/problems/solved/?start=2026-05&end=2025-01")
    assert page.status_code == 200
    assert page.context["form"].non_field_errors()


def test_staff_pages_are_refused_to_the_public(world: World) -> None:
    for role in ("talent", "enterprise", "resident"):
        client = login(world.users[role])
        assert client.get("/talent/problems/").status_code == 403
        assert client.get("/talent/problems/solved/").status_code == 403


def test_canary_never_reaches_the_other_street(world: World) -> None:
    _raise(world)
    body = login(world.twins["street_staff"]).get("/talent/problems/").content.decode()
    assert CANARY not in body


def test_a_ticket_is_raised_on_behalf_of_a_public_user_only(world: World, english: None) -> None:
    from gridlight.core.errors import DomainError
    from gridlight.tickets import services as tickets
    from gridlight.tickets.models import Category

    intake = tickets.Intake(
        category=Category.objects.get(code="spouse_job"),
        region=world.secret_street,
        title="代提",
        description="代提诉求",
        source=Source.TALENT,
        on_behalf_of=world.users["street_staff"],
    )
    before = Ticket.objects.count()
    with pytest.raises(DomainError, match="on behalf of a resident or a talent"):
        tickets.submit(actor=world.users["talent_commissioner"], intake=intake)
    assert Ticket.objects.count() == before
