"""A profile change is re-matched in the same transaction as the profile write (issue 13 item
4): the stored match already reflects the change when that transaction commits, so a process
that dies right after the commit loses nothing until the night; a rolled-back write leaves the
matches, runs and pushes as they were.

No on-commit callback is run here (none is captured): that is exactly a process stopped after
the commit, which a re-match run "on commit" would lose."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from gridlight.core.models import User
from gridlight.policies.models import Match, MatchRun, Push
from gridlight.talent.models import Talent
from gridlight.talent.portal import talent_self_correct
from gridlight.talent.subject import changed, gathered

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def catalogue(
    world: Any, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> dict[str, Any]:
    from gridlight.policies.demo import load_policies

    with django_capture_on_commit_callbacks(execute=True):
        load_policies(actor=world.users["district_admin"], region=world.district)
    return people


def _own(t: Talent) -> tuple[Talent, User]:
    user = User.objects.create_user(username=f"self_{t.pk}", password="x")
    Talent.objects.filter(pk=t.pk).update(user=user)
    t.refresh_from_db()
    return t, user


def _apartment(t: Talent) -> str | None:
    return (
        Match.objects.filter(
            subject_type="talent", subject_id=t.pk, policy__code="talent_apartment"
        )
        .exclude(status="withdrawn")
        .values_list("state", flat=True)
        .first()
    )


def _starts_renting(t: Talent, user: User) -> None:
    talent_self_correct(
        actor=user,
        talent=t,
        version=t.version,
        phone="",
        spouse_employment="",
        housing="rents",
        children=[],
    )


def _stored(t: Talent) -> list[tuple[Any, ...]]:
    return sorted(
        Match.objects.filter(subject_type="talent", subject_id=t.pk).values_list(
            "id", "policy_id", "version_id", "state", "status", "offered", "digest", "pushed_at"
        )
    )


def test_the_rematch_is_written_in_the_profile_writes_transaction(
    catalogue: dict[str, Any],
) -> None:
    t, user = _own(catalogue["unknown"])  # housing not entered: the apartment is not met
    assert _apartment(t) != "met"
    with transaction.atomic():
        _starts_renting(t, user)
        # Still inside the transaction of the write: the match is already there, so it
        # commits with the write (no callback after the commit has to run for it).
        assert _apartment(t) == "met"
        run = MatchRun.objects.get(kind="profile", subject_type="talent", subject_id=t.pk)
        assert run.finished_at is not None
    assert _apartment(t) == "met"
    assert Push.objects.filter(subject_type="talent", subject_id=t.pk).exists()


def test_a_rolled_back_profile_write_leaves_the_matches_untouched(
    catalogue: dict[str, Any],
) -> None:
    t, user = _own(catalogue["unknown"])
    before = _stored(t)
    runs, pushes = MatchRun.objects.count(), Push.objects.count()

    def write_then_fail() -> None:
        with transaction.atomic():
            _starts_renting(t, user)
            assert _apartment(t) == "met"  # re-matched inside the transaction …
            raise RuntimeError("the request fails after the write")

    with pytest.raises(RuntimeError, match="fails after the write"):
        write_then_fail()
    # … and rolled back with it.
    assert Talent.objects.get(pk=t.pk).housing == ""
    assert _stored(t) == before
    assert (MatchRun.objects.count(), Push.objects.count()) == (runs, pushes)


def test_gathered_changes_are_rematched_once_at_the_end_of_the_block(
    catalogue: dict[str, Any],
) -> None:
    owner, unknown = catalogue["owner"], catalogue["unknown"]
    runs = MatchRun.objects.filter(kind="profile").count()
    with transaction.atomic(), gathered():
        for t in (owner, unknown):
            Talent.objects.filter(pk=t.pk).update(housing="rents", level="C")
            changed("talent", [t.pk])
        # Gathered: nothing re-matched yet inside the block.
        assert MatchRun.objects.filter(kind="profile").count() == runs
        assert _apartment(owner) != "met"
    # At its end, inside the same transaction, both re-matched.
    assert _apartment(owner) == "met"
    assert _apartment(unknown) == "met"
    assert MatchRun.objects.filter(kind="profile").count() == runs + 2  # one each (≤ 20)


def test_a_gathered_block_that_fails_rematches_nothing(catalogue: dict[str, Any]) -> None:
    owner = catalogue["owner"]
    before = _stored(owner)
    runs = MatchRun.objects.count()

    def gather_then_fail() -> None:
        with transaction.atomic(), gathered():
            Talent.objects.filter(pk=owner.pk).update(housing="rents", level="C")
            changed("talent", [owner.pk])
            raise RuntimeError("the block fails")

    with pytest.raises(RuntimeError, match="the block fails"):
        gather_then_fail()
    assert _stored(owner) == before
    assert MatchRun.objects.count() == runs
