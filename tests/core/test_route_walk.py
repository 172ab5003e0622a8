"""Walk every URL pattern — pages and API, including ones added later — as anonymous visitors
and as out-of-scope users, and check that nothing under the secret street comes back and that
nothing is written."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from gridlight.core.access import ACCESS_ATTR
from gridlight.core.models import (
    ApiToken,
    Assignment,
    AuditEvent,
    Job,
    Region,
    ServicePosition,
    User,
    WorkdayOverride,
)
from gridlight.core.services import token_create
from gridlight.core.urlwalk import all_routes, concrete_urls
from gridlight.dashboard.models import CockpitTile
from gridlight.dashboard.refresh import refresh as refresh_cockpit
from gridlight.development.models import (
    DataElement,
    DataValue,
    Milestone,
    ProgressReport,
    Project,
    ProjectSnapshot,
    ReportLine,
)
from gridlight.households.models import Household, LightChange, Resident, Visit
from gridlight.policies.models import (
    Application,
    ApplicationMaterial,
    ApplicationStep,
    Grant,
    Match,
    MatchRun,
    PaymentBatch,
    Policy,
    PolicyBudget,
    PolicyVersion,
    Push,
)
from gridlight.rules.models import RuleSetVersion
from gridlight.talent.models import (
    Cadence,
    CommissionerProfile,
    Enterprise,
    ServiceLog,
    Talent,
    TalentProblem,
)
from gridlight.tickets.access import ACTORS
from gridlight.tickets.models import (
    Attachment,
    Category,
    Notice,
    SlaPolicy,
    Ticket,
    Transition,
    Unit,
)
from tests.conftest import (
    CANARY,
    SECRET_ID,
    SECRET_PHONE,
    TALENT_ID,
    TALENT_PHONE,
    World,
    login,
    raise_secret_problems,
)
from tests.evaluation import secrets as evaluation_secrets
from tests.evaluation.secrets import EVALUATION_COUNTED, EVALUATION_VERSIONED

METHODS = ("get", "post", "put", "patch", "delete")


def _secret_ids(world: World) -> dict[str, list[int]]:
    """The secret objects' ids, by kind."""
    secret_assignments = list(
        Assignment.objects.filter(region_path__startswith=world.secret_street.path)
    )
    return {
        "regions": [r.pk for r in world.secret_regions()],
        "positions": [p.pk for p in world.secret_positions],
        "tokens": list(
            ApiToken.objects.filter(user=world.users["district_admin"]).values_list("pk", flat=True)
        ),
        "assignments": [a.pk for a in secret_assignments],
        "users": [a.user_id for a in secret_assignments],
        "households": [world.secret_household.pk],
        "jobs": list(Job.objects.values_list("pk", flat=True)),
        "versions": list(RuleSetVersion.objects.values_list("pk", flat=True)),
        "tickets": [world.secret_ticket.pk],
        "ticket_admin": list(SlaPolicy.objects.values_list("pk", flat=True))
        + list(WorkdayOverride.objects.values_list("pk", flat=True))
        + list(Category.objects.values_list("pk", flat=True)[:3]),
        "units": [world.units[f"street-{world.secret_street.code}"].pk],
        **(policy_ids := _secret_policy_ids(world)),
        "enterprises": [world.secret_enterprise.pk, *policy_ids["enterprises"]],
        "talents": [world.secret_talent.pk, *policy_ids["talents"]],
        "caseload_users": [world.caseload.commissioner.pk],
        "caseload_talents": [world.caseload.secret_talent.pk],
        "caseload_enterprises": [world.caseload.secret_enterprise.pk],
        "evaluation": evaluation_secrets.ids(),
        "talent_problems": [
            *TalentProblem.objects.filter(
                region_path__startswith=world.secret_street.path
            ).values_list("pk", flat=True),
            world.secret_talent.pk,
            world.secret_enterprise.pk,
        ],
        "projects": [world.secret_project.pk],
        "reports": list(
            ProgressReport.objects.filter(project=world.secret_project).values_list("pk", flat=True)
        ),
        "values": [world.secret_value.pk],
        "milestones": list(
            Milestone.objects.filter(project=world.secret_project).values_list("pk", flat=True)
        ),
        "elements": list(DataElement.objects.values_list("pk", flat=True)),
    }


def _secret_policy_ids(world: World) -> dict[str, list[int]]:
    """The secret street's own policy (with its versions), talent and enterprise; its
    applications, grants, payment batch and grant offer."""
    from tests.policies.conftest import secret_policy_world
    from tests.policies.grant_world import secret_grant_world

    made = dict(secret_policy_world(world))
    grants = dict(secret_grant_world(world))
    made["policies"] = [*made["policies"], *grants.pop("grant_policies")]
    return made | grants


# Which ids a route's integer parameters are tried with, by the route's start. A route that
# matches none of these — one added later — is tried with every secret id of every kind.
ROUTE_KINDS = [
    ("talent/caseload/commissioners/", "caseload_users"),
    ("talent/caseload/talents/", "caseload_talents"),
    ("talent/caseload/enterprises/", "caseload_enterprises"),
    ("api/v1/caseload/commissioners", "caseload_users"),
    ("api/v1/caseload/talents", "caseload_talents"),
    ("api/v1/caseload/enterprises", "caseload_enterprises"),
    ("households/rules/", "versions"),
    ("households/", "households"),
    ("regions/", "regions"),
    ("positions/", "positions"),
    ("users/", "users"),
    ("assignments/", "assignments"),
    ("accounts/tokens/", "tokens"),
    ("jobs/", "jobs"),
    ("api/v1/regions", "regions"),
    ("api/v1/positions", "positions"),
    ("api/v1/households", "households"),
    ("api/v1/traffic-light/versions", "versions"),
    ("tickets/catalogue/units/", "units"),
    ("tickets/catalogue/", "ticket_admin"),
    ("tickets/calendar/", "ticket_admin"),
    ("tickets/", "tickets"),
    ("api/v1/tickets", "tickets"),
    ("policies/applications/", "applications"),
    ("policies/grants/batch/", "policies"),
    ("policies/grants/", "grants"),
    ("policies/batches/", "batches"),
    ("me/talent/policies/offers/", "matches"),
    ("me/talent/policies/apply/", "policies"),
    ("me/talent/policies/", "applications"),
    ("api/v1/policy-applications", "applications"),
    ("api/v1/policy-grants", "grants"),
    ("api/v1/payment-batches", "batches"),
    ("api/v1/me/policies/offers", "matches"),
    ("api/v1/me/policies/policies", "policies"),
    ("api/v1/me/policies", "applications"),
    ("policies/versions/", "policy_versions"),
    ("policies/reminders/", "policies"),
    ("policies/pushes/", "policies"),
    ("policies/talents/", "talents"),
    ("policies/enterprises/", "enterprises"),
    ("policies/", "policies"),
    ("api/v1/policies/versions", "policy_versions"),
    ("api/v1/policies", "policies"),
    ("api/v1/talents", "talents"),
    ("api/v1/enterprises", "enterprises"),
    ("open311/", "tickets"),
    ("talent/enterprises/", "enterprises"),
    ("talent/talents/", "talents"),
    ("evaluation/", "evaluation"),
    ("api/v1/evaluation", "evaluation"),
    ("talent/problems/", "talent_problems"),
    ("me/talent/", "talent_problems"),
    ("api/v1/me/talent", "talent_problems"),
    ("api/v1/talent/problems", "talent_problems"),
    ("development/projects/", "projects"),
    ("development/reports/", "reports"),
    ("development/indicators/values/", "values"),
    ("development/indicators/elements/", "elements"),
    ("api/v1/projects", "projects"),
    ("api/v1/reports", "reports"),
    ("development/milestones/", "milestones"),
    ("api/v1/milestones", "milestones"),
]


# --- a household moved out of a street ----------------------------------------------------------
# Its members (one departed), a visit with problems, light history and a ticket raised from the
# visit are made in the open street, then the household moves into the secret street. Its staff
# in the open street (the twins) must reach none of it afterwards.
MOVED_MARK = "MOVEDHOME"  # household number, address and names
HEAD_ID, HEAD_PHONE = "110101195001010033", "13900000003"
DEPARTED_ID, DEPARTED_PHONE = "110101198503070021", "13900000004"
# The old street's audit log (its page, and its latest events on the home page) keeps what its
# own staff did while the household was theirs — the names and address in those events' labels;
# nothing else of the household stays there.
KEEPS_HISTORY = frozenset({"audit/", ""})


@dataclass
class Moved:
    household: Household
    members: list[Resident]
    visit: Visit
    ticket: Ticket

    def query(self, what: str = "id_number") -> str:
        """Its ids as query parameters: the ticket form's visit, a search for the departed
        member's ID number, and what a reveal asks for (the API's reveal takes it there)."""
        return urlencode(
            {
                "visit": self.visit.pk,
                "household": self.household.pk,
                "resident": self.members[-1].pk,
                "q": DEPARTED_ID,
                "what": what,
            }
        )

    def leaks(self, route: str, body: str) -> bool:
        # Pages echo the walker's own request (the language switch's "next", a search box):
        # that is not the household's data.
        for asked in (self.query("id_number"), self.query("phone")):
            for echo in (asked, asked.replace("&", "&amp;")):
                body = body.replace(echo, "")
        body = body.replace(f'value="{DEPARTED_ID}"', "")
        numbers = (HEAD_ID, HEAD_PHONE, DEPARTED_ID, DEPARTED_PHONE)
        if any(n in body for n in numbers):
            return True
        return MOVED_MARK in body and route not in KEEPS_HISTORY


# Pages where the district's communities are listed to anyone who may report a problem (a
# resident picks where it is): their names and codes are public there, nothing else is.
PUBLIC_PLACES = {"tickets/new/"}


def _secret_values(
    world: World,
    route: str = "",
    moved: Moved | None = None,
    secret_ids: dict[str, list[int]] | None = None,
) -> dict[str, list[str]]:
    """Candidate path parameter values that point at secret objects (``secret_ids``: the ids
    read once for a whole walk)."""
    ids = {kind: list(group) for kind, group in (secret_ids or _secret_ids(world)).items()}
    members = [world.secret_resident.pk]
    if moved is not None:
        ids["households"].append(moved.household.pk)
        members += [m.pk for m in moved.members]
    kind = next((k for prefix, k in ROUTE_KINDS if route.startswith(prefix)), None)
    chosen = ids[kind] if kind else [i for group in ids.values() for i in group]
    codes = [r.code for r in world.secret_regions()] + [p.code for p in world.secret_positions]
    return {
        "int": [str(i) for i in sorted(set(chosen))],
        "str": codes,
        "path": codes,
        "slug": codes,
        "what": ["id_number", "phone"],
        "light": ["red"],
        "resident_pk": [str(pk) for pk in members],
        "member_id": [str(pk) for pk in members],
        "name": sorted(ACTORS),
        "format": ["json", "xml"],
        "attachment_pk": [str(pk) for pk in Attachment.objects.values_list("pk", flat=True)]
        or ["1"],
    }


def _payload(world: World) -> dict[str, Any]:
    """A body that passes the API's schemas, so the walk reaches the access checks."""
    return {
        "version": 1,
        "code": "WALK-1",
        "name": "walk",
        "kind": "grid_station",
        "sort_order": 0,
        "parent_id": world.secret_grid.pk,
        "region_code": world.secret_grid.code,
        "grid_code": world.secret_grid.code,
        "address": "",
        "services": [],
        "subject_type": "talent",
        "title": "walk",
        "issuer": "walk",
        "mode": "push",
        "edit_version": 1,
        "definition": {},
        "effective_from": "2026-01-01",
        "street_code": world.secret_street.code,
        "level": "B",
        "industry": "digital",
        "credit_code": "91900001MA0000009D",
        "unit_code": f"street-{world.secret_street.code}",
        "year": 2026,
        "total_investment_fen": 1,
        "annual_investment_fen": 1,
        "planned_start": "2026-01-01",
        "planned_end": "2026-12-31",
        "quantity_unit": "m2",
        "planned_quantity": "1",
        "stage": "started",
        "on": "2026-01-02",
    }


def _state() -> tuple[Any, ...]:
    """Everything a request must not change, read in four queries (the walk makes thousands
    of requests, each between two readings)."""

    def table(model: Any) -> str:
        return str(model._meta.db_table)

    counts = [
        f"(SELECT COUNT(*) FROM {table(AuditEvent)} WHERE action NOT LIKE 'auth.%%')",  # noqa: S608
        f"(SELECT COUNT(*) FROM {table(ApiToken)} WHERE revoked_at IS NOT NULL)",  # noqa: S608
        f"(SELECT COUNT(*) FROM {table(Assignment)} WHERE active)",  # noqa: S608
        f"(SELECT COUNT(*) FROM {table(Resident)} WHERE status = 'present')",  # noqa: S608
        f"(SELECT COUNT(*) FROM {table(Unit.members.through)})",  # noqa: S608
    ]
    for model in (User, Visit, LightChange, RuleSetVersion, Job, Transition, Notice, PolicyVersion):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
    for model in (WorkdayOverride, ServiceLog, TalentProblem, ReportLine, ProjectSnapshot):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
    for model in EVALUATION_COUNTED:
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
    # Matches (a portal visit marks pushed ones opened), runs and pushes.
    for model in (Match, MatchRun, Push):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
    counts.append(f"(SELECT COUNT(opened_at) FROM {table(Match)})")  # noqa: S608
    for model in (ApplicationStep, ApplicationMaterial):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
    counts.append(f"(SELECT COALESCE(SUM(committed_fen), 0) FROM {table(PolicyBudget)})")  # noqa: S608
    counts.append(f"(SELECT COUNT(*) FROM {table(Application)})")  # noqa: S608
    counts.append(f"(SELECT COALESCE(SUM(edit_version), 0) FROM {table(Application)})")  # noqa: S608
    # A cadence change moves due dates without touching versions: its days say it.
    counts.append(f"(SELECT COALESCE(SUM(days), 0) FROM {table(Cadence)})")  # noqa: S608
    # Rows that carry a version: their number and the sum of versions catch an insert, a delete
    # and an update alike.
    for model in (
        Region,
        ServicePosition,
        Household,
        Ticket,
        SlaPolicy,
        Policy,
        Enterprise,
        Talent,
        CommissionerProfile,
        Project,
        ProgressReport,
        DataValue,
        *EVALUATION_VERSIONED,
        Grant,
        PaymentBatch,
        Milestone,
        CockpitTile,
    ):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
        counts.append(f"(SELECT COALESCE(SUM(version), 0) FROM {table(model)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts))
        numbers = tuple(cursor.fetchone())
    return (
        numbers,
        tuple(Household.objects.order_by("pk").values_list("light", "override_light")),
        tuple(RuleSetVersion.objects.order_by("pk").values_list("status", "edit_version")),
        tuple(PolicyVersion.objects.order_by("pk").values_list("status", "edit_version")),
        tuple(
            Category.objects.order_by("pk").values_list("policy_id", "default_unit_id", "active")
        ),
    )


def _change_counter() -> Callable[[], int]:
    """A reader of how many rows this connection has written so far: a cheap counter that moves
    on any insert, update or delete, so the full reading of ``_state`` is needed only after a
    request that moved it (SQLite's total_changes(); on PostgreSQL the per-transaction
    statistics of every table, which the test's transaction keeps to itself)."""
    if connection.vendor != "postgresql":
        sql, params = "SELECT total_changes()", None
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT array_agg(relid) FROM pg_stat_user_tables")
            tables = cursor.fetchone()[0]
        sql = (
            "SELECT COALESCE(SUM(pg_stat_get_xact_tuples_inserted(t)"
            " + pg_stat_get_xact_tuples_updated(t) + pg_stat_get_xact_tuples_deleted(t)), 0)"
            " FROM unnest(%s::oid[]) AS t"
        )
        params = [tables]

    def read() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

    return read


def _walk(
    client: Client, world: World, *, api_token: str | None = None, moved: Moved | None = None
) -> list[str]:
    """Request every route — with GET and POST for pages, every method for the API, and only
    the API when walking with a bearer token — and return the problems found.

    With ``moved`` (a household moved out of the walker's street) every route is read instead:
    GET with the moved household's ids in the path and again in the query string (the ticket
    form prefilled from a visit, searches), and POST where a read is a POST (reveals)."""
    problems = []
    secret_ids = _secret_ids(world)
    secret_codes = [*_secret_values(world)["str"], SECRET_ID, SECRET_PHONE, TALENT_ID, TALENT_PHONE]
    # What must not change is read in full once per route and after any request that wrote a
    # row (the counter moved); a write that the counter cannot see — another connection's —
    # still shows at the route's end.
    state = _state()
    changes = _change_counter()
    written = changes()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"} if api_token else {}
    for route, _pattern in all_routes():
        is_api = route.startswith("api/")
        if api_token and not is_api:
            continue
        if moved is not None:
            methods: tuple[str, ...] = ("get", "post") if "reveal" in route else ("get",)
        else:
            methods = METHODS if is_api else ("get", "post")
        route_problems = len(problems)
        for url in concrete_urls(route, _secret_values(world, route, moved, secret_ids)):
            tries = [(m, url) for m in methods]
            if moved is not None:
                tries.append(("get", f"{url}?{moved.query()}"))
                if "post" in methods:
                    tries += [("post", f"{url}?{moved.query(w)}") for w in ("id_number", "phone")]
            for method, target in tries:
                if method == "get":
                    response = client.get(target, **headers)
                elif is_api:
                    response = getattr(client, method)(
                        target,
                        data=json.dumps(_payload(world)),
                        content_type="application/json",
                        **headers,
                    )
                else:
                    response = client.post(target, data={})
                body = response.content.decode("utf-8", errors="replace")
                if route in PUBLIC_PLACES:
                    for r in world.secret_regions():
                        body = body.replace(r.name, "").replace(r.code, "")
                where = f"{method.upper()} {target} -> {response.status_code}"
                if response.status_code >= 500:
                    problems.append(f"{where}: server error")
                if CANARY in body or any(code in body for code in secret_codes):
                    problems.append(f"{where}: leaked secret data")
                if moved is not None and moved.leaks(route, body):
                    problems.append(f"{where}: leaked the moved household")
                if (now := changes()) != written:
                    written = now
                    after = _state()
                    if after != state:
                        problems.append(f"{where}: wrote data")
                        state = after
        after = _state()
        if after != state:
            if len(problems) == route_problems:
                problems.append(f"{route}: wrote data")
            state = after
    return problems


def test_every_page_view_declares_its_access_rule() -> None:
    unmarked = [
        route for route, pattern in all_routes() if not getattr(pattern.callback, ACCESS_ATTR, None)
    ]
    assert unmarked == []


def test_walk_covers_pages_and_api() -> None:
    routes = [r for r, _p in all_routes()]
    assert any(r.startswith("api/v1/") for r in routes)
    assert "regions/<int:pk>/" in routes
    assert len(routes) >= 30


@pytest.mark.django_db
def test_anonymous_visitor_gets_nothing(world: World) -> None:
    assert _walk(Client(raise_request_exception=False), world) == []


@pytest.mark.django_db
def test_anonymous_pages_redirect_to_login_and_api_answers_401(world: World) -> None:
    client = Client()
    assert client.get(f"/regions/{world.secret_street.pk}/").status_code == 302
    assert client.get("/api/v1/regions").status_code == 401
    assert client.get("/api/v1/regions", HTTP_AUTHORIZATION="Bearer glt_forged").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [
        "district_admin",
        "street_staff",
        "community_secretary",
        "grid_worker",
        "department_handler",
        "talent_commissioner",
        "evaluator",
        "resident",
        "talent",
        "enterprise",
    ],
)
def test_out_of_scope_twin_sees_and_changes_nothing(world: World, role: str) -> None:
    twin = world.twins[role]
    token_create(actor=world.users["district_admin"], name="in-scope token")
    Job.objects.create(
        kind="households.recompute",
        created_by=world.users["district_admin"],
        message=f"{CANARY} job",
        result={"note": CANARY},
    )
    evaluation_secrets.make(world)
    _token, secret = token_create(actor=twin, name="twin token")
    raise_secret_problems(world)
    refresh_cockpit()  # the cockpit's tiles, the secret street's among them
    problems = _walk(login(twin), world)
    problems += _walk(Client(raise_request_exception=False), world, api_token=secret)
    assert problems == []


@pytest.mark.django_db
def test_the_walk_detects_a_leak(world: World) -> None:
    """The in-scope district admin does see the secret street: the walk is able to fail; and
    nothing answers the admin with a server error."""
    refresh_cockpit()
    problems = _walk(login(world.users["district_admin"]), world)
    assert any("leaked secret data" in p for p in problems)
    assert any("wrote data" in p for p in problems)
    # In scope, every route answers whatever it is sent — the walk's empty form posts and its
    # API bodies included — and never with a server error.
    assert [p for p in problems if "server error" in p] == []


def _household_in_open_street(world: World) -> Moved:
    """A household of the open street with a departed member, a visit whose problems are
    secret, a manual light (a light change the dashboard trend counts) and a ticket raised from
    the visit by the open street's grid worker."""
    from gridlight.households import services
    from gridlight.households.services import MemberInput
    from gridlight.tickets import services as tickets

    admin = world.users["district_admin"]
    h = services.household_register(
        actor=admin,
        grid=world.open_grid,
        code=f"{MOVED_MARK}-1",
        address=f"{MOVED_MARK}路1号",
        members=[
            MemberInput(
                name=f"{MOVED_MARK}户主", id_number=HEAD_ID, phone=HEAD_PHONE, relation="head"
            )
        ],
    )
    departed = services.resident_save(
        actor=admin,
        household=h,
        version=Household.objects.get(pk=h.pk).version,
        member=MemberInput(
            name=f"{MOVED_MARK}女儿", id_number=DEPARTED_ID, phone=DEPARTED_PHONE, relation="child"
        ),
    )
    services.resident_depart(
        actor=admin, resident=departed, status="moved_out", on=timezone.localdate()
    )
    services.household_override(
        actor=admin,
        household=h,
        light="red",
        reason="重点关注",
        until=timezone.localdate() + timedelta(days=30),
    )
    visit = services.visit_record(
        actor=admin,
        household=h,
        method="home",
        visited_on=timezone.localdate(),
        notes=f"{CANARY}走访记录",
        problems=f"{CANARY}家中漏水无人修",
    )
    ticket = tickets.submit(
        actor=world.twins["grid_worker"],
        intake=tickets.Intake(
            category=Category.objects.get(code="noise"),
            region=world.open_grid,
            title="楼道漏水",
            description="走访发现楼道漏水",
            source="grid",
            visit_id=visit.pk,
        ),
    )
    head = h.residents.get(id_number_index__isnull=False, status="present")
    return Moved(Household.objects.get(pk=h.pk), [head, departed], visit, ticket)


def _move(world: World, moved: Moved, how: str) -> None:
    from gridlight.core.spreadsheets import write_workbook
    from gridlight.households import imports, services

    admin = world.users["district_admin"]
    h = moved.household
    if how == "service":
        services.household_move(actor=admin, household=h, version=h.version, grid=world.secret_grid)
    elif how == "api":
        response = login(admin).post(
            f"/api/v1/households/{h.pk}/move",
            data=json.dumps({"grid_code": world.secret_grid.code, "version": h.version}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    else:
        # The file names the household's present head only: the departed daughter is not in it.
        head = [h.code, world.secret_grid.code, h.address, "", f"{MOVED_MARK}户主", HEAD_ID]
        data = write_workbook("residents", imports.COLUMNS, [[*head, HEAD_PHONE, "户主", ""]])
        summary = imports.check_and_import(actor=admin, upload=io.BytesIO(data))
        assert summary.households_updated == 1


def _old_street_sees(client: Client, world: World) -> tuple[int, int]:
    """(light changes in the old street's dashboard trend, red households in its API counts)."""
    page = client.get("/households/dashboard/")
    assert page.context["region"] == world.open_street
    chart = page.context["chart"]
    trend = sum(sum(chart[f"trend_{light}"]) for light in ("red", "yellow", "green"))
    counts = client.get(f"/api/v1/lights?region={world.open_street.code}").json()
    return trend, counts[0]["red"]


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["service", "api", "import"])
def test_old_street_reaches_nothing_of_a_household_moved_away(world: World, how: str) -> None:
    """Moved by the service, the API or an import, the household takes its members (the
    departed too), visits and light history along; the old street's staff then walk every
    route with its ids and find nothing of it, while the ticket raised there stays theirs."""
    from gridlight.households.services import CARRIED_BY_HOUSEHOLD

    moved = _household_in_open_street(world)
    old_staff = login(world.twins["street_staff"])
    assert _old_street_sees(old_staff, world) == (1, 1)  # the check can see it before
    _move(world, moved, how)

    h = moved.household
    for model in CARRIED_BY_HOUSEHOLD:
        rows = model.objects.filter(household=h)
        assert rows.exists()
        assert set(rows.values_list("region_path", flat=True)) == {world.secret_grid.path}
    ticket = Ticket.objects.get(pk=moved.ticket.pk)
    assert (ticket.region_path, ticket.visit_id) == (world.open_grid.path, moved.visit.pk)
    event = AuditEvent.objects.get(action="household.move", object_id=str(h.pk))
    assert event.changes == {"grid": [world.open_grid.path, world.secret_grid.path]}
    assert event.actor == world.users["district_admin"]
    assert _old_street_sees(old_staff, world) == (0, 0)

    problems = _walk(old_staff, world, moved=moved)  # pages and API alike
    assert problems == []
    # The walk can see what it looks for: the new street's grid worker gets all of it.
    new_staff = login(world.users["grid_worker"])
    departed = moved.members[-1]
    reveal = f"/households/{h.pk}/members/{departed.pk}/reveal/id_number/"
    assert DEPARTED_ID in new_staff.post(reveal).content.decode()
    form = new_staff.get(f"/tickets/new/?{moved.query()}").content.decode()
    assert f"{CANARY}家中漏水无人修" in form
