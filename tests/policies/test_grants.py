"""Grants without application: candidates from stored matches, one-click confirmation, the
lead department's batch re-confirmation, payment batches exported and marked paid (by hand or
from the returned sheet, all-or-nothing), the budget and once-per-period guarantees."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.http import Http404

from gridlight.core.errors import DomainError, ImportRejected
from gridlight.core.spreadsheets import write_workbook
from gridlight.policies import grants
from gridlight.policies.models import Grant, PaymentBatch, PolicyBudget
from tests.policies.grant_world import make_match, make_policy


@pytest.fixture
def auto(world: Any) -> Any:
    return make_policy(world, "auto_test", "auto_grant", budget_fen=1000000)


def test_confirm_reconfirm_batch_and_pay(world: Any, auto: Any) -> None:
    policy, version = auto
    talent_user, admin = world.users["talent"], world.users["district_admin"]
    match = make_match(version, world.secret_talent)
    assert list(grants.grant_candidates(version)) == [match]
    assert list(grants.offers_for(talent_user)) == [match]
    with pytest.raises(Http404):  # not the twin's match
        grants.confirm(actor=world.twins["talent"], match_id=match.pk)
    grant = grants.confirm(actor=talent_user, match_id=match.pk)
    assert grant.status == "pending"
    assert grant.amount_fen == 500000
    assert not grants.grant_candidates(version).exists()
    with pytest.raises(DomainError):  # a second grant in the period
        grants.confirm(actor=talent_user, match_id=match.pk)
    assert Grant.objects.count() == 1
    assert PolicyBudget.objects.get(policy=policy).committed_fen == 500000
    # The lead department re-confirms: not a department that does not lead it.
    with pytest.raises(DomainError):
        grants.reconfirm(actor=world.users["department_handler"], grant_ids=[grant.pk])
    assert grants.reconfirm(actor=admin, grant_ids=[grant.pk]) == 1
    batch = grants.create_batch(actor=admin, policy=policy)
    assert (batch.count, batch.total_fen) == (1, 500000)
    with pytest.raises(DomainError):  # nothing left to batch
        grants.create_batch(actor=admin, policy=policy)
    grants.mark_paid(actor=admin, batch=batch, version=batch.version)
    assert Grant.objects.get().status == "paid"


def test_withdrawn_match_and_budget_are_refused(world: Any, auto: Any) -> None:
    policy, version = auto
    withdrawn = make_match(version, world.secret_talent, status="withdrawn")
    with pytest.raises(DomainError, match=r"withdrawn|撤回"):
        grants.confirm(actor=world.users["talent"], match_id=withdrawn.pk)
    big = make_match(version, world.open_talent, amount=2000000)
    with pytest.raises(DomainError):
        grants.confirm(actor=world.twins["talent"], match_id=big.pk)
    assert not Grant.objects.exists()
    assert not PolicyBudget.objects.filter(policy=policy, committed_fen__gt=0).exists()


def test_cancelling_gives_the_budget_back(world: Any, auto: Any) -> None:
    policy, version = auto
    grant = grants.confirm(
        actor=world.users["talent"], match_id=make_match(version, world.secret_talent).pk
    )
    admin = world.users["district_admin"]
    with pytest.raises(DomainError):  # a cancellation needs its reason
        grants.reconfirm(actor=admin, grant_ids=[grant.pk], approve=False)
    grants.reconfirm(actor=admin, grant_ids=[grant.pk], approve=False, reason="已离开本区")
    assert Grant.objects.get().status == "cancelled"
    assert PolicyBudget.objects.get(policy=policy).committed_fen == 0


def _sheet(rows: list[list[Any]]) -> bytes:
    return write_workbook(grants.PAY_SHEET, grants.PAY_COLUMNS, rows)


def test_returned_sheet_marks_paid_all_or_nothing(world: Any, auto: Any) -> None:
    policy, version = auto
    admin = world.users["district_admin"]
    ids = [
        grants.confirm(actor=user, match_id=make_match(version, talent).pk).pk
        for talent, user in (
            (world.secret_talent, world.users["talent"]),
            (world.open_talent, world.twins["talent"]),
        )
    ]
    grants.reconfirm(actor=admin, grant_ids=ids)
    batch = grants.create_batch(actor=admin, policy=policy)
    wrong = _sheet([[ids[0], "", "", "", 500000, 5000, "是"], [ids[1], "", "", "", 1, 0, "否"]])
    with pytest.raises(ImportRejected) as refused:
        grants.import_paid(actor=admin, batch=batch, version=batch.version, data=wrong)
    assert {e.column for e in refused.value.errors} == {"amount_fen", "paid"}
    assert not PaymentBatch.objects.get().paid
    good = _sheet([[i, "", "", "", 500000, 5000, "是"] for i in ids])
    grants.import_paid(actor=admin, batch=batch, version=batch.version, data=good)
    assert set(Grant.objects.values_list("status", flat=True)) == {"paid"}
    assert io.BytesIO(good)
