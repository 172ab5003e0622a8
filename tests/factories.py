"""Factories for test data. Everything here is synthetic."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from gridlight.core.idcard import synthetic_id
from gridlight.core.models import Assignment, Region, ServicePosition, User
from gridlight.core.models.regions import KIND_LEVEL
from gridlight.core.services import next_child_path
from gridlight.households import services as household_services
from gridlight.households.models import Household, Resident, Visit, VisitMethod
from gridlight.tickets import services as ticket_services
from gridlight.tickets.models import Category, Ticket

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password(PASSWORD)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    parent = None
    kind = "district"
    code = factory.Sequence(lambda n: f"9{n:08d}")
    name = factory.Sequence(lambda n: f"测试区域{n}")

    @classmethod
    def _create(cls, model_class: type[Region], *args: Any, **kwargs: Any) -> Region:
        parent = kwargs.get("parent")
        kwargs.setdefault("level", KIND_LEVEL[kwargs["kind"]])
        kwargs.setdefault("path", next_child_path(parent))
        return super()._create(model_class, *args, **kwargs)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePosition

    region = factory.SubFactory(RegionFactory)
    region_path = factory.LazyAttribute(lambda o: o.region.path)
    kind = "grid_station"
    code = factory.Sequence(lambda n: f"POS-{n:06d}")
    name = factory.Sequence(lambda n: f"测试驿站{n}")
    address = "济南市市中区测试路1号"
    longitude = Decimal("116.990000")
    latitude = Decimal("36.640000")
    opening_hours = "周一至周五 9:00-17:00"
    services = factory.LazyFunction(lambda: ["便民服务"])


def assign(
    user: User, role: str, region: Region | None, write: Region | str | None = "same"
) -> Assignment:
    """Give ``user`` a role at ``region``; the write scope defaults to the same node."""
    write_region = region if write == "same" else write
    assert not isinstance(write_region, str)
    return Assignment.objects.create(
        user=user,
        role=role,
        region=region,
        region_path=region.path if region else "",
        write_region=write_region,
        write_region_path=write_region.path if write_region else "",
    )


class GridFactory(RegionFactory):
    """A grid under a fresh community, street and district (households belong to grids)."""

    kind = "grid"
    parent = factory.SubFactory(
        RegionFactory,
        kind="community",
        parent=factory.SubFactory(
            RegionFactory, kind="street", parent=factory.SubFactory(RegionFactory)
        ),
    )


def admin_over(region: Region) -> User:
    """The district administrator of the district holding ``region`` (made on first use): the
    default actor of the household factories."""
    district = Region.objects.get(path=region.path.split(".", 1)[0])
    user: User = UserFactory(username=f"factory-admin-{district.code}")
    if not user.assignments.filter(role="district_admin").exists():
        assign(user, "district_admin", district)
    return user


def synthetic_id_number(n: int, *, birth_date: date = date(1960, 5, 17), sex: str = "F") -> str:
    """A valid GB 11643 number, distinct for each ``n`` (the region code carries it), so members
    with the same birth date and sex never clash on the unique ID index."""
    region_code = f"{(110101 + n) % 1_000_000:06d}"
    return synthetic_id(random.Random(n), region_code=region_code, birth_date=birth_date, sex=sex)


class MemberFactory(factory.Factory):
    """A member as the household services take it (``MemberInput``): the services parse the ID
    number and phone, encrypt them and index them, exactly as for a member typed in a form.
    ``birth_date=None`` gives a member without an ID number (birth date unknown)."""

    class Meta:
        model = household_services.MemberInput

    class Params:
        birth_date: date | None = date(1960, 5, 17)
        sex = "F"

    name = factory.Sequence(lambda n: f"测试居民{n}")
    id_number = factory.LazyAttributeSequence(
        lambda o, n: (
            synthetic_id_number(n, birth_date=o.birth_date, sex=o.sex) if o.birth_date else ""
        )
    )
    phone = factory.Sequence(lambda n: f"139{n % 100_000_000:08d}")
    relation = "other"
    attributes = factory.LazyFunction(dict)


class HouseholdFactory(factory.Factory):
    """A household registered through ``household_register`` (so it is audited and classified);
    one head by default, ``members`` a list of MemberFactory builds."""

    class Meta:
        model = Household

    grid = factory.SubFactory(GridFactory)
    actor = factory.LazyAttribute(lambda o: admin_over(o.grid))
    code = factory.Sequence(lambda n: f"TEST-H{n:06d}")
    address = factory.Sequence(lambda n: f"测试路{n}号")
    members = factory.LazyFunction(lambda: [MemberFactory.build(relation="head")])
    attributes = factory.LazyFunction(list)
    registered_on = None

    @classmethod
    def _create(cls, model_class: type[Household], *args: Any, **kwargs: Any) -> Household:
        return household_services.household_register(**kwargs)


class ResidentFactory(factory.Factory):
    """A member added to an existing household through ``resident_save`` (reclassifies it)."""

    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    actor = factory.LazyAttribute(lambda o: admin_over(o.household.grid))
    member = factory.SubFactory(MemberFactory)

    @classmethod
    def _create(cls, model_class: type[Resident], *args: Any, **kwargs: Any) -> Resident:
        household = kwargs["household"]
        household.refresh_from_db()
        return household_services.resident_save(
            actor=kwargs["actor"],
            household=household,
            version=household.version,
            member=kwargs["member"],
        )


class VisitFactory(factory.Factory):
    """A visit recorded through ``visit_record`` (reschedules the household's next visit)."""

    class Meta:
        model = Visit

    household = factory.SubFactory(HouseholdFactory)
    actor = factory.LazyAttribute(lambda o: admin_over(o.household.grid))
    method = VisitMethod.HOME
    visited_on = factory.LazyFunction(timezone.localdate)
    notes = "入户走访，情况稳定"
    problems = ""

    @classmethod
    def _create(cls, model_class: type[Visit], *args: Any, **kwargs: Any) -> Visit:
        household = kwargs.pop("household")
        household.refresh_from_db()
        return household_services.visit_record(household=household, **kwargs)


class TicketFactory(factory.Factory):
    """A ticket raised through ``tickets.services.submit``: pass ``actor`` (who raises it) and
    ``region``, or ``world`` for its resident and open grid; a school-enrolment request by
    default."""

    class Meta:
        model = Ticket

    class Params:
        world: Any = None  # tests.conftest.World: a resident of it raises it in its open grid

    actor = factory.LazyAttribute(lambda o: o.world.users["resident"] if o.world else None)
    region = factory.LazyAttribute(lambda o: o.world.open_grid if o.world else None)
    category = factory.LazyFunction(lambda: Category.objects.get(code="school_enrolment"))
    title = "孩子入学"
    description = "需要协调入学"
    requester_phone = ""
    source = "resident"

    @classmethod
    def _submit(cls, kwargs: dict[str, Any]) -> Ticket:
        actor = kwargs.pop("actor")
        if actor is None or kwargs.get("region") is None:
            raise TypeError("TicketFactory needs an actor and a region")
        return ticket_services.submit(actor=actor, intake=ticket_services.Intake(**kwargs))

    @classmethod
    def _create(cls, model_class: type[Ticket], *args: Any, **kwargs: Any) -> Ticket:
        return cls._submit(kwargs)


class DispatchedTicketFactory(TicketFactory):
    """A ticket submitted, then sent to ``unit`` by ``dispatcher`` through
    ``tickets.services.dispatch`` (accepted on the way), its deadlines counted from ``at``.
    With ``world``: the world's education unit, dispatched by its district administrator."""

    unit = factory.LazyAttribute(lambda o: o.world.units["education"] if o.world else None)
    dispatcher = factory.LazyAttribute(
        lambda o: o.world.users["district_admin"] if o.world else None
    )
    at: datetime | None = None

    @classmethod
    def _create(cls, model_class: type[Ticket], *args: Any, **kwargs: Any) -> Ticket:
        unit, dispatcher, at = kwargs.pop("unit"), kwargs.pop("dispatcher"), kwargs.pop("at")
        if unit is None or dispatcher is None:
            raise TypeError("DispatchedTicketFactory needs a unit and a dispatcher")
        ticket = cls._submit(kwargs)
        return ticket_services.dispatch(
            actor=dispatcher, ticket=ticket, version=ticket.version, unit=unit, at=at
        )
