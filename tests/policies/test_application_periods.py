"""An approved application counts for its period (``grants.period_of``): a yearly policy (no
period of its own) is applied for again the next year, as its grants are made once per year;
a policy with its own period is granted once; one application is in review at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from gridlight.core.errors import DomainError
from gridlight.policies import applications as apps
from gridlight.policies.models import Application, Grant
from tests.policies.grant_world import make_policy, uploads

pytestmark = [pytest.mark.django_db]


def _approved(world: Any, policy: Any) -> Application:
    staff, admin = world.users["street_staff"], world.users["district_admin"]
    app = apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    app = apps.accept(actor=staff, application=app, edit_version=1)
    app = apps.first_review(actor=staff, application=app, edit_version=2)
    return apps.approve(actor=admin, application=app, edit_version=3)


def test_a_yearly_policy_is_applied_for_again_the_next_year(world: Any, clock: Any) -> None:
    policy, _v = make_policy(world, "yearly", "apply", budget_fen=10**8)
    clock(date(2026, 3, 2))
    first = _approved(world, policy)
    assert (first.status, first.period) == ("approved", "2026")
    with pytest.raises(DomainError, match="已申报"):
        apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    clock(date(2027, 3, 1))
    second = _approved(world, policy)
    assert (second.status, second.period) == ("approved", "2027")
    assert sorted(Grant.objects.filter(policy=policy).values_list("period", flat=True)) == [
        "2026",
        "2027",
    ]
    # The database holds it too: a second live application in a period is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=first.pk).update(period="2027")


def test_an_application_in_review_blocks_the_next_year(world: Any, clock: Any) -> None:
    policy, _v = make_policy(world, "yearly_open", "apply", budget_fen=10**8)
    clock(date(2026, 12, 30))
    apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    clock(date(2027, 1, 4))
    with pytest.raises(DomainError, match="已申报"):
        apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    assert Application.objects.filter(policy=policy).count() == 1


def test_a_policy_with_its_own_period_is_granted_once(world: Any, clock: Any) -> None:
    policy, _v = make_policy(
        world,
        "one_period",
        "apply",
        budget_fen=10**8,
        period_start=date(2026, 1, 1),
        period_end=date(2027, 12, 31),
    )
    clock(date(2026, 3, 2))
    assert _approved(world, policy).period == "2026-01-01~2027-12-31"
    clock(date(2027, 3, 1))
    with pytest.raises(DomainError, match="已申报"):
        apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
