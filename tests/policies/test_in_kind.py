"""Benefits in kind (a talent apartment, a school place: the version names no amount) are
approved and granted at 0 fen, charged to no budget and paid in no batch; a money benefit is
still not approved at 0 without a reason."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from gridlight.core.errors import DomainError
from gridlight.core.models import AuditEvent
from gridlight.policies import applications as apps
from gridlight.policies import grants
from gridlight.policies.models import Application, Grant, Policy, PolicyBudget, PolicyVersion
from gridlight.policies.services import draft_create, draft_update, policy_create, publish
from tests.conftest import login
from tests.policies.grant_world import MATERIALS, make_match, make_policy, uploads

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

KIND = "非资金类待遇"  # the pages are in Chinese for these users
WHEN = {"field_in": {"field": "level", "values": ["A", "B", "C", "D", "E"]}}


def in_kind_policy(world: Any, code: str, mode: str, **kw: Any) -> tuple[Policy, PolicyVersion]:
    """A policy whose benefit is a place (no ``benefit`` in its definition)."""
    admin = world.users["district_admin"]
    policy = policy_create(
        actor=admin,
        region=world.district,
        code=code,
        subject_type="talent",
        title=f"人才公寓{code}",
        issuer="区人才办",
        mode=mode,
        materials=MATERIALS if mode == "apply" else [],
        **kw,
    )
    draft = draft_create(actor=admin, policy=policy)
    cases = [{"name": "a class C talent", "values": {"level": "C"}, "expect": "met"}]
    draft = draft_update(
        actor=admin, draft=draft, edit_version=1, definition={"when": WHEN, "tests": cases}
    )
    return policy, publish(actor=admin, draft=draft, effective_from=date(2020, 1, 1))


def _reviewed(world: Any, policy: Policy) -> Application:
    staff = world.users["street_staff"]
    app = apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    app = apps.accept(actor=staff, application=app, edit_version=1)
    return apps.first_review(actor=staff, application=app, edit_version=2)


def test_a_place_is_approved_at_zero_without_touching_the_budget(world: Any) -> None:
    # A budget with no room at all: an apartment costs the policy's money nothing.
    policy, version = in_kind_policy(world, "apartment_test", "apply", budget_fen=0)
    assert version.in_kind
    admin = world.users["district_admin"]
    app = _reviewed(world, policy)
    assert app.computed_fen == 0
    with pytest.raises(DomainError, match="not money"):
        apps.approve(actor=admin, application=app, edit_version=3, amount_fen=100, reason="x")
    app = apps.approve(actor=admin, application=app, edit_version=3)
    assert (app.status, app.amount_fen, app.adjust_reason) == ("approved", 0, "")
    grant = Grant.objects.get(application=app)
    assert (grant.amount_fen, grant.status) == (0, "confirmed")
    assert not PolicyBudget.objects.filter(policy=policy, committed_fen__gt=0).exists()
    assert AuditEvent.objects.filter(action="grant.create", object_id=str(grant.pk)).exists()
    # Nothing to pay: no payment batch is made of it.
    with pytest.raises(DomainError):
        grants.create_batch(actor=admin, policy=policy)
    # Still once per period.
    with pytest.raises(DomainError):
        apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())


def test_a_money_benefit_is_not_approved_at_zero_without_a_reason(world: Any) -> None:
    policy, _v = make_policy(world, "money_test", "apply", budget_fen=10**9)
    admin = world.users["district_admin"]
    app = _reviewed(world, policy)
    assert app.computed_fen == 500000
    with pytest.raises(DomainError, match=r"0 (yuan only with a reason|元批准时须说明理由)"):
        apps.approve(actor=admin, application=app, edit_version=3, amount_fen=0)
    # The same through the API: a 400 with the reason, nothing written.
    client = login(admin)
    response = client.post(
        f"/api/v1/policy-applications/{app.pk}/steps/approve",
        data=json.dumps({"edit_version": 3, "amount_fen": 0}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "0 元" in response.json()["detail"]
    app.refresh_from_db()
    assert app.status == "first_passed"
    assert not Grant.objects.exists()
    # The computed amount 0 (a formula giving nothing) needs the reason too.
    Application.objects.filter(pk=app.pk).update(computed_fen=0)
    app.refresh_from_db()
    with pytest.raises(DomainError, match=r"0 (yuan only with a reason|元批准时须说明理由)"):
        apps.approve(actor=admin, application=app, edit_version=3)
    app = apps.approve(
        actor=admin, application=app, edit_version=3, amount_fen=0, reason="核定不予补贴金额"
    )
    assert app.amount_fen == 0
    assert Grant.objects.get(application=app).amount_fen == 0
    assert not PolicyBudget.objects.filter(policy=policy, committed_fen__gt=0).exists()


def test_a_money_approval_still_charges_the_budget(world: Any) -> None:
    policy, _v = make_policy(world, "money_budget", "apply", budget_fen=100000)
    app = _reviewed(world, policy)
    with pytest.raises(DomainError, match="budget"):
        apps.approve(actor=world.users["district_admin"], application=app, edit_version=3)
    assert not Grant.objects.exists()


def test_a_place_without_application_is_offered_and_confirmed_at_zero(world: Any) -> None:
    policy, version = in_kind_policy(world, "school_test", "auto_grant", budget_fen=0)
    match = make_match(version, world.secret_talent, amount=0)
    assert list(grants.grant_candidates(version)) == [match]
    talent = world.users["talent"]
    assert [m.pk for m in grants.offers_for(talent)] == [match.pk]
    grant = grants.confirm(actor=talent, match_id=match.pk)
    assert (grant.amount_fen, grant.status) == (0, "pending")
    assert not PolicyBudget.objects.filter(policy=policy, committed_fen__gt=0).exists()
    assert grants.reconfirm(actor=world.users["district_admin"], grant_ids=[grant.pk]) == 1
    # A money policy's match at 0 fen is not an offer, and cannot be confirmed.
    _money, money_v = make_policy(world, "money_auto", "auto_grant", budget_fen=10**9)
    nothing = make_match(money_v, world.secret_talent, amount=0)
    assert not grants.grant_candidates(money_v).exists()
    assert nothing.pk not in {m.pk for m in grants.offers_for(talent)}
    with pytest.raises(DomainError):
        grants.confirm(actor=talent, match_id=nothing.pk)


def test_pages_show_a_place_as_a_benefit_in_kind_not_as_zero_yuan(world: Any) -> None:
    """The grant console, the review queue, the application page and the talent's portal show
    ``Benefit in kind`` for a 0-fen place; a money grant still shows its amount."""
    policy, _v = in_kind_policy(world, "apartment_pages", "apply")
    admin = world.users["district_admin"]
    app = _reviewed(world, policy)
    client = login(admin)
    queue = client.get("/policies/applications/?status=first_passed").content.decode()
    assert KIND in queue
    app = apps.approve(actor=admin, application=app, edit_version=3)
    money, money_v = make_policy(world, "money_pages", "auto_grant", budget_fen=10**9)
    grants.create_grant(
        actor=None,
        policy=money,
        version=money_v,
        obj=world.secret_talent,
        amount_fen=123456,
        source="auto",
        status="confirmed",
    )
    console = client.get("/policies/grants/?status=confirmed").content.decode()
    rows = console.split('data-testid="grants"')[1]
    assert KIND in rows
    assert "1,234.56" in rows
    assert ">0.00<" not in rows
    page = client.get(f"/policies/applications/{app.pk}/").content.decode()
    assert KIND in page
    assert ">0.00" not in page
    kpi = client.get(f"/policies/kpi/?by=policy&policy={policy.pk}").content.decode()
    assert KIND in kpi.split('data-testid="kpi"')[1]
    mine = login(world.users["talent"]).get("/me/talent/policies/").content.decode()
    assert KIND in mine
    assert "0.00 元" not in mine
