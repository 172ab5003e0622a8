"""Small talent and enterprise fixtures for the policies tests (made with the ORM directly:
the talent app's own factories are being written beside this app)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone

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


def secret_policy_world(world: Any) -> dict[str, list[int]]:
    """The secret street's own policy (a published version and a draft), a talent and an
    enterprise, each marked with the canary (made once per world; ids by kind for the route
    walk)."""
    from tests.conftest import CANARY

    made = getattr(world, "_secret_policy_ids", None)
    if made is not None:
        return made  # type: ignore[no-any-return]
    from gridlight.policies.services import draft_create, draft_update, policy_create, publish

    admin = world.users["district_admin"]
    policy = policy_create(
        actor=admin,
        region=world.secret_street,
        code="canary_policy",
        subject_type="enterprise",
        title=f"{CANARY}政策",
        issuer=f"{CANARY}街道办",
        mode="apply",
    )
    # Its issuing document, the canary inside, so the walk sees it is never served out of scope.
    from gridlight.policies.models import PolicySourceFile

    pdf = f"%PDF-1.4 {CANARY}".encode()
    PolicySourceFile.objects.create(
        policy=policy, name=f"{CANARY}.pdf", content_type="application/pdf", size=len(pdf), data=pdf
    )
    when = {"field_in": {"field": "industry", "values": ["digital"]}}
    cases = [{"name": CANARY, "values": {"industry": "digital"}, "expect": "met"}]
    v1 = draft_create(actor=admin, policy=policy)
    v1 = draft_update(
        actor=admin, draft=v1, edit_version=1, definition={"when": when, "tests": cases}
    )
    publish(actor=admin, draft=v1, effective_from=date(2020, 1, 1))
    v2 = draft_create(actor=admin, policy=policy, note=CANARY)
    enterprise = make_enterprise(world.secret_street, name=f"{CANARY}企业")
    talent = make_talent(world.secret_street, name=f"{CANARY}人才", employer=enterprise)
    # Matched (the secret enterprises only: the policy is the secret street's) and pushed, so
    # the walk also looks for the canary in matches, pushes, reminders and KPIs.
    from gridlight.policies.matching import match_all
    from gridlight.policies.models import Match

    match_all("enterprise")
    Match.objects.filter(policy=policy).update(pushed_at=datetime(2020, 3, 2, tzinfo=UTC))
    made = {
        "policies": [policy.pk],
        "policy_versions": [v1.pk, v2.pk],
        "talents": [talent.pk],
        "enterprises": [enterprise.pk],
    }
    world._secret_policy_ids = made
    return made


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``clock(day)``: Django's ``timezone.localdate()`` says ``day`` from now on in the test
    (the day a nightly run, a deadline or a reminder is counted from); nothing else is faked."""
    real = timezone.localdate

    def set_day(day: date) -> None:
        def localdate(value: Any = None, timezone: Any = None) -> date:
            return day if value is None else real(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)

    return set_day
