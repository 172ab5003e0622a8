"""Walk every URL pattern — pages and API, including ones added later — as anonymous visitors
and as out-of-scope users, and check that nothing under the secret street comes back and that
nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

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
from gridlight.households.models import Household, LightChange, Resident, Visit
from gridlight.rules.models import RuleSetVersion
from gridlight.tickets.models import (
    Attachment,
    Category,
    Notice,
    SlaPolicy,
    Ticket,
    Transition,
    Unit,
)
from gridlight.tickets.services import ACTORS
from tests.conftest import CANARY, SECRET_ID, SECRET_PHONE, World, login

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
    }


# Which ids a route's integer parameters are tried with, by the route's start. A route that
# matches none of these — one added later — is tried with every secret id of every kind.
ROUTE_KINDS = [
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
    ("open311/", "tickets"),
]


# Pages where the district's communities are listed to anyone who may report a problem (a
# resident picks where it is): their names and codes are public there, nothing else is.
PUBLIC_PLACES = {"tickets/new/"}


def _secret_values(world: World, route: str = "") -> dict[str, list[str]]:
    """Candidate path parameter values that point at secret objects."""
    ids = _secret_ids(world)
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
        "resident_pk": [str(world.secret_resident.pk)],
        "member_id": [str(world.secret_resident.pk)],
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
        "address": "",
        "services": [],
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
    for model in (User, Visit, LightChange, RuleSetVersion, Job, Transition, Notice):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
    for model in (WorkdayOverride,):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
    # Rows that carry a version: their number and the sum of versions catch an insert, a delete
    # and an update alike.
    for model in (Region, ServicePosition, Household, Ticket, SlaPolicy):
        counts.append(f"(SELECT COUNT(*) FROM {table(model)})")  # noqa: S608
        counts.append(f"(SELECT COALESCE(SUM(version), 0) FROM {table(model)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts))
        numbers = tuple(cursor.fetchone())
    return (
        numbers,
        tuple(Household.objects.order_by("pk").values_list("light", "override_light")),
        tuple(RuleSetVersion.objects.order_by("pk").values_list("status", "edit_version")),
        tuple(
            Category.objects.order_by("pk").values_list("policy_id", "default_unit_id", "active")
        ),
    )


def _walk(client: Client, world: World, *, api_token: str | None = None) -> list[str]:
    """Request every route — with GET and POST for pages, every method for the API, and only
    the API when walking with a bearer token — and return the problems found."""
    problems = []
    secret_codes = [*_secret_values(world)["str"], SECRET_ID, SECRET_PHONE]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"} if api_token else {}
    for route, _pattern in all_routes():
        is_api = route.startswith("api/")
        if api_token and not is_api:
            continue
        for url in concrete_urls(route, _secret_values(world, route)):
            for method in METHODS if is_api else ("get", "post"):
                before = _state()
                if method == "get":
                    response = client.get(url, **headers)
                elif is_api:
                    response = getattr(client, method)(
                        url,
                        data=json.dumps(_payload(world)),
                        content_type="application/json",
                        **headers,
                    )
                else:
                    response = client.post(url, data={})
                body = response.content.decode("utf-8", errors="replace")
                if route in PUBLIC_PLACES:
                    for r in world.secret_regions():
                        body = body.replace(r.name, "").replace(r.code, "")
                where = f"{method.upper()} {url} -> {response.status_code}"
                if response.status_code >= 500:
                    problems.append(f"{where}: server error")
                if CANARY in body or any(code in body for code in secret_codes):
                    problems.append(f"{where}: leaked secret data")
                if _state() != before:
                    problems.append(f"{where}: wrote data")
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
    _token, secret = token_create(actor=twin, name="twin token")
    problems = _walk(login(twin), world)
    problems += _walk(Client(raise_request_exception=False), world, api_token=secret)
    assert problems == []


@pytest.mark.django_db
def test_the_walk_detects_a_leak(world: World) -> None:
    """The in-scope district admin does see the secret street: the walk is able to fail."""
    problems = _walk(login(world.users["district_admin"]), world)
    assert any("leaked secret data" in p for p in problems)
    assert any("wrote data" in p for p in problems)
