"""Small talent and enterprise fixtures for the policies tests (made with the ORM directly:
the talent app's own factories are being written beside this app)."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from gridlight.core.models import Region
from gridlight.talent.models import Child, Enterprise, EnterpriseTag, RdPlatform, Talent

_codes = itertools.count(1)


def make_enterprise(street: Region, **kw: Any) -> Enterprise:
    n = next(_codes)
    kw.setdefault("industry", "digital")
    return Enterprise.objects.create(
        name=kw.pop("name", f"测试企业{n}"),
        credit_code=f"91370103TEST{n:06d}",
        street=street,
        region_path=street.path,
        **kw,
    )


def make_talent(street: Region, **kw: Any) -> Talent:
    n = next(_codes)
    kw.setdefault("level", "C")
    children = kw.pop("children", [])
    talent = Talent.objects.create(
        name=kw.pop("name", f"测试人才{n}"), street=street, region_path=street.path, **kw
    )
    for birth in children:
        Child.objects.create(talent=talent, birth_date=birth)
    return talent


def tag(enterprise: Enterprise, kind: str, **kw: Any) -> EnterpriseTag:
    return EnterpriseTag.objects.create(enterprise=enterprise, kind=kind, year=2024, **kw)


def platform(enterprise: Enterprise, level: str) -> RdPlatform:
    return RdPlatform.objects.create(
        enterprise=enterprise, name=f"平台{level}", kind="key_lab", level=level, year=2024
    )


@pytest.fixture
def people(world: Any) -> dict[str, Any]:
    """A few enterprises and talents in the open and the secret street."""
    s, o = world.secret_street, world.open_street
    srdi = make_enterprise(s, industry="digital", headcount=120, revenue_yuan=50_000_000)
    tag(srdi, "srdi", level="national")
    platform(srdi, "provincial")
    platform(srdi, "municipal")
    dealer = make_enterprise(o, industry="commerce", headcount=30)
    listing = make_enterprise(o, industry="finance")
    tag(listing, "listing_reserve", stage="filing")
    blank = make_enterprise(o, industry="energy")
    tag(blank, "srdi")  # recognised, level not entered
    return {
        "srdi": srdi,
        "dealer": dealer,
        "listing": listing,
        "blank": blank,
        "doctor": make_talent(
            s,
            level="A",
            degree="doctor",
            birth_date=date(1990, 3, 1),
            arrived_on=date(2024, 9, 1),
            housing="rents",
            employer=srdi,
            children=[date(2017, 5, 1), date(2023, 1, 1)],
        ),
        "unknown": make_talent(o, level="B"),
        "owner": make_talent(
            o, level="E", degree="master", housing="owns", arrived_on=date(2015, 1, 1)
        ),
    }
