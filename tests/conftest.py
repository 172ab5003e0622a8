"""Shared fixtures: a small district with a secret street, and users of every role with an
out-of-scope twin of each (as healthchecks' test base does with its "stranger")."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from gridlight.core.models import Region, ServicePosition, User
from tests.factories import PositionFactory, RegionFactory, UserFactory, assign

# Everything under the secret street carries this marker in its name, so a response that leaks
# any of it is caught by a plain substring test.
CANARY = "CANARY"


@dataclass
class World:
    district: Region
    other_district: Region
    secret_street: Region
    open_street: Region
    secret_community: Region
    open_community: Region
    secret_grid: Region
    open_grid: Region
    secret_positions: list[ServicePosition]
    secret_household: Any = None
    secret_resident: Any = None
    open_household: Any = None
    secret_ticket: Any = None  # dispatched to the department unit, in the secret grid
    open_ticket: Any = None
    units: dict[str, Any] = field(default_factory=dict)
    secret_enterprise: Any = None  # the "enterprise" user's, in the secret street
    secret_talent: Any = None  # the "talent" user's, employed there
    open_enterprise: Any = None  # the enterprise twin's, in the open street
    open_talent: Any = None  # the talent twin's
    caseload: Any = None  # tests/talent/caseload_world.py
    secret_project: Any = None  # key project in the secret street, with a report
    secret_value: Any = None  # an indicator value for the secret street
    users: dict[str, User] = field(default_factory=dict)
    twins: dict[str, User] = field(default_factory=dict)

    def secret_regions(self) -> list[Region]:
        return list(Region.objects.filter(path__startswith=self.secret_street.path))


@pytest.fixture(autouse=True)
def _fast_hasher(settings: pytest.FixtureRequest) -> None:
    # Argon2 is the production hasher (tested on its own); tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background jobs run inline, so a test sees their outcome at once.
    settings.GRIDLIGHT_JOBS_EAGER = True
    # Nothing cached (list counts, …) leaks from one test into the next.
    from django.core.cache import cache

    from gridlight.core.selectors import forget_street_ids

    cache.clear()
    forget_street_ids()
    # A request in English leaves English active in the thread: start each test in Chinese.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
) -> Iterator[None]:
    """On SQLite the test database is a file in a fresh temporary folder, not memory, so that
    another process (the Celery worker of tests/tickets/test_celery.py, started with
    GRIDLIGHT_DATA_DIR set to that folder) sees what a transactional test committed."""
    import shutil
    import tempfile
    from pathlib import Path

    from django.conf import settings

    db = settings.DATABASES["default"]
    folder = None
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        # In memory-backed /dev/shm where there is one: a file on disk makes every commit slow.
        shm = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private (0700) folder in it
        base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
        folder = Path(tempfile.mkdtemp(prefix="gridlight-test-", dir=base))
        db.setdefault("TEST", {})["NAME"] = str(folder / "gridlight.sqlite3")
    yield
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def world(db: None) -> World:
    district = RegionFactory(kind="district", code="900001", name="测试区")
    other = RegionFactory(kind="district", code="900002", name="邻区")
    secret_street = RegionFactory(
        parent=district, kind="street", code="900001001", name=f"{CANARY}街道"
    )
    open_street = RegionFactory(parent=district, kind="street", code="900001002", name="公开街道")
    secret_comm = RegionFactory(
        parent=secret_street, kind="community", code="900001001001", name=f"{CANARY}社区"
    )
    open_comm = RegionFactory(
        parent=open_street, kind="community", code="900001002001", name="公开社区"
    )
    secret_grid = RegionFactory(
        parent=secret_comm, kind="grid", code="90000100100101", name=f"{CANARY}网格"
    )
    open_grid = RegionFactory(parent=open_comm, kind="grid", code="90000100200101", name="公开网格")
    other_street = RegionFactory(parent=other, kind="street", code="900002001", name="邻街道")
    secret_positions = [
        PositionFactory(
            region=secret_comm,
            kind="party_mass_centre",
            name=f"{CANARY}党群中心",
            code=f"{CANARY}-PM",
        ),
        PositionFactory(
            region=secret_grid, kind="grid_station", name=f"{CANARY}驿站", code=f"{CANARY}-GS"
        ),
    ]
    PositionFactory(region=open_grid, kind="grid_station", name="公开驿站", code="OPEN-GS")
    PositionFactory(
        region=other_street, kind="warm_heart_station", name="邻区暖心驿站", code="OTHER-WH"
    )
    w = World(
        district,
        other,
        secret_street,
        open_street,
        secret_comm,
        open_comm,
        secret_grid,
        open_grid,
        secret_positions,
    )
    # In-scope users (their scope includes the secret street) and their out-of-scope twins.
    specs = {
        "district_admin": (district, other),
        "street_staff": (secret_street, open_street),
        "community_secretary": (secret_comm, open_comm),
        "grid_worker": (secret_grid, open_grid),
        "department_handler": (district, other),
        "talent_commissioner": (district, other),
        "evaluator": (district, other),
    }
    for role, (home, away) in specs.items():
        w.users[role] = UserFactory(username=role)
        assign(w.users[role], role, home)
        w.twins[role] = UserFactory(username=f"{role}-twin")
        assign(w.twins[role], role, away)
    for role in ("resident", "talent", "enterprise"):
        w.users[role] = UserFactory(username=role)
        assign(w.users[role], role, None)
        w.twins[role] = UserFactory(username=f"{role}-twin")
        assign(w.twins[role], role, None)
    _households(w)
    _tickets(w)
    _talent(w)
    from tests.talent.caseload_world import caseload_world

    w.caseload = caseload_world(w)
    _development(w)
    return w


SECRET_ID = "110101194001010012"  # synthetic; fixed so a leak of the full number can be seen
SECRET_PHONE = "13900000001"


def _households(w: World) -> None:
    from gridlight.households.services import MemberInput, household_register

    admin = w.users["district_admin"]
    w.secret_household = household_register(
        actor=admin,
        grid=w.secret_grid,
        code=f"{CANARY}-H1",
        address=f"{CANARY}路1号",
        attributes=["living_alone"],
        members=[
            MemberInput(
                name=f"{CANARY}老人",
                id_number=SECRET_ID,
                phone=SECRET_PHONE,
                relation="head",
                attributes={"disability": 2},
            )
        ],
    )
    w.secret_resident = w.secret_household.residents.get()
    w.open_household = household_register(
        actor=admin,
        grid=w.open_grid,
        code="OPEN-H1",
        address="公开路1号",
        members=[MemberInput(name="公开居民", relation="head")],
    )


def _tickets(w: World) -> None:
    """Units (a department with the handler, a street office with the street staff) and a
    secret ticket raised by the resident in the secret grid and dispatched to the department."""
    from gridlight.tickets import services
    from gridlight.tickets.catalogue import ensure_units
    from gridlight.tickets.models import Category

    w.units = ensure_units(w.district)
    w.units["education"].members.add(w.users["department_handler"], w.twins["department_handler"])
    w.units[f"street-{w.secret_street.code}"].members.add(w.users["street_staff"])
    w.units[f"street-{w.open_street.code}"].members.add(w.twins["street_staff"])
    category = Category.objects.get(code="school_enrolment")
    w.secret_ticket = services.submit(
        actor=w.users["resident"],
        intake=services.Intake(
            category=category,
            region=w.secret_grid,
            title=f"{CANARY}入学",
            description=f"{CANARY}孩子入学问题",
            requester_phone=SECRET_PHONE,
        ),
    )
    services.dispatch(
        actor=w.users["district_admin"],
        ticket=w.secret_ticket,
        version=w.secret_ticket.version,
        unit=w.units["education"],
    )
    w.open_ticket = services.submit(
        actor=w.users["district_admin"],
        intake=services.Intake(
            category=Category.objects.get(code="noise"),
            region=w.open_grid,
            title="公开噪音",
            description="公开噪音问题",
            source="hotline",
        ),
    )


SECRET_CREDIT_CODE = "91900001MA0000001L"
OPEN_CREDIT_CODE = "91900001MA0000002P"


def _talent(w: World) -> None:
    """An enterprise and a talent (with a child) in each street: the secret ones belong to the
    "enterprise" and "talent" users, the open ones to their twins."""
    from datetime import date

    from gridlight.talent import services
    from gridlight.talent.models import EnterpriseAccount, Talent

    admin = w.users["district_admin"]
    for secret, street, code in (
        (True, w.secret_street, SECRET_CREDIT_CODE),
        (False, w.open_street, OPEN_CREDIT_CODE),
    ):
        mark = CANARY if secret else "公开"
        enterprise = services.enterprise_create(
            actor=admin,
            data=services.EnterpriseInput(
                name=f"{mark}科技有限公司",
                credit_code=code,
                industry="digital",
                street=street,
                address=f"{mark}路8号",
                headcount=120,
                tags=[services.TagInput(kind="srdi", level="provincial", year=2024)],
                commissioner=w.users["talent_commissioner"],
            ),
        )
        talent = services.talent_create(
            actor=admin,
            data=services.TalentInput(
                name=f"{mark}人才",
                street=street,
                level="B",
                id_number=SECRET_ID if secret else "",
                phone=SECRET_PHONE if secret else "",
                employer=enterprise,
                children=[services.ChildInput(name=f"{mark}子女", birth_date=date(2016, 5, 1))],
                commissioner=w.users["talent_commissioner"],
            ),
        )
        owner = w.users if secret else w.twins
        EnterpriseAccount.objects.create(user=owner["enterprise"], enterprise=enterprise)
        Talent.objects.filter(pk=talent.pk).update(user=owner["talent"])
        if secret:
            w.secret_enterprise, w.secret_talent = enterprise, Talent.objects.get(pk=talent.pk)
        else:
            w.open_enterprise, w.open_talent = enterprise, Talent.objects.get(pk=talent.pk)


TALENT_ID, TALENT_PHONE = SECRET_ID, SECRET_PHONE  # the secret talent's numbers


def raise_secret_problems(w: World) -> list[Any]:
    """A problem of the secret talent and one of the secret enterprise, raised by themselves."""
    from gridlight.talent.problems import raise_problem

    return [
        raise_problem(
            actor=w.users["talent"],
            talent=w.secret_talent,
            category="school",
            title=f"{CANARY}子女入学",
            description=f"{CANARY}孩子明年入学",
        ),
        raise_problem(
            actor=w.users["enterprise"],
            enterprise=w.secret_enterprise,
            category="apartment",
            title=f"{CANARY}人才公寓",
            description=f"{CANARY}员工申请人才公寓",
        ),
    ]


def _development(w: World) -> None:
    """A key project of the secret street (its office responsible) with a milestone and a
    submitted report, and a GDP value for the secret street awaiting approval."""
    from datetime import date

    from gridlight.development import indicator_services, services

    admin = w.users["district_admin"]
    w.secret_project = services.project_create(
        actor=admin,
        data=services.ProjectInput(
            code=f"{CANARY}-P1",
            name=f"{CANARY}项目",
            year=2026,
            industry="finance",
            region=w.secret_street,
            unit=w.units[f"street-{w.secret_street.code}"],
            total_investment_fen=100_000_000,
            annual_investment_fen=50_000_000,
            planned_start=date(2026, 1, 1),
            planned_end=date(2026, 12, 31),
        ),
    )
    milestone = services.milestone_add(
        actor=admin,
        project=w.secret_project,
        name=f"{CANARY}节点",
        quantity_unit="m2",
        planned_quantity=1000,
        planned_start=date(2026, 1, 1),
        planned_end=date(2026, 12, 31),
    )
    services.report_submit(
        actor=w.users["street_staff"],
        project=w.secret_project,
        month=date(2026, 1, 1),
        investment_fen=1,
        lines=[services.LineInput(milestone.pk, 10, "m2")],
        note=f"{CANARY}月报",
    )
    gdp = indicator_services.element_create(
        actor=admin,
        code="gdp",
        name="地区生产总值",
        unit="亿元",
        aggregation="sum",
        period_type="quarter",
    )
    w.secret_value = indicator_services.value_enter(
        actor=admin, element=gdp, region=w.secret_street, period=date(2026, 1, 1), value=1
    )


def login(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(world: World) -> Client:
    return login(world.users["district_admin"])


@pytest.fixture
def english() -> Iterator[None]:
    """Messages in English (the source language), for tests that match on message text."""
    with translation.override("en"):
        yield
