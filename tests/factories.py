"""Factories for test data. Everything here is synthetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from gridlight.core.models import Assignment, Region, ServicePosition, User
from gridlight.core.models.regions import KIND_LEVEL
from gridlight.core.services import next_child_path

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
