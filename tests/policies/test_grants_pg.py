"""The budget under concurrency, on PostgreSQL: 50 subjects confirm at the same moment, each on
its own connection, against a budget with room for exactly 10 grants — exactly 10 are made.
(SQLite serialises writers; the guarantee that matters is PostgreSQL's row lock.)"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from gridlight.core.errors import DomainError
from gridlight.policies import grants
from gridlight.policies.models import Grant, PolicyBudget
from tests.factories import UserFactory
from tests.policies.conftest import make_talent
from tests.policies.grant_world import make_match, make_policy

N, ROOM = 50, 10
AMOUNT = 500000


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_confirmations_grant_exactly_ten(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency guarantee is tested on PostgreSQL")
    policy, version = make_policy(world, "race", "auto_grant", budget_fen=ROOM * AMOUNT)
    offers = []
    for i in range(N):
        user = UserFactory(username=f"race-{i}")
        talent = make_talent(world.open_street, user=user)
        offers.append((user, make_match(version, talent, AMOUNT).pk))
    barrier = threading.Barrier(N)
    outcomes: list[str] = []
    lock = threading.Lock()

    def confirm(user: Any, match_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            grants.confirm(actor=user, match_id=match_id)
            result = "granted"
        except DomainError:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=confirm, args=offer) for offer in offers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert sorted(outcomes).count("granted") == ROOM
    assert len(outcomes) == N
    assert Grant.objects.filter(policy=policy).count() == ROOM
    assert PolicyBudget.objects.get(policy=policy).committed_fen == ROOM * AMOUNT
