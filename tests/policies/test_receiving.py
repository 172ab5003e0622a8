"""What a subject already receives reaches matching: a live grant of a policy in its current
period (from an approved application or a confirmed offer) makes the stored match "not
offered" (kept, not deleted), on the set-based and the one-subject path alike; the subject is
re-matched when the grant is made or cancelled; a new version of the policy is not pushed to
it; "policies for me" lists it as granted, not as a new match."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from gridlight.policies import applications as apps
from gridlight.policies import grants, matching
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Grant, Match, Policy, PolicyVersion, Push
from gridlight.policies.services import draft_create, publish
from tests.conftest import login
from tests.policies.grant_world import make_policy, uploads

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _match(talent: Any, version: PolicyVersion) -> Match:
    return Match.objects.get(subject_type="talent", subject_id=talent.pk, version=version)


def _cards(body: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}">(.*?)</div></div>', body, flags=re.S)


def test_an_approved_application_is_received_not_offered_nor_pushed_again(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    policy, v1 = make_policy(world, "recv_apply", "apply", budget_fen=10**7)
    matching.match_all("talent")
    talent = world.secret_talent
    before = _match(talent, v1)
    assert (before.state, before.offered, before.status) == ("met", True, "current")
    assert before.pushed_at is not None
    # Applied, reviewed and approved: the approval's grant re-matches the talent on commit.
    staff, admin = world.users["street_staff"], world.users["district_admin"]
    app = apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    app = apps.accept(actor=staff, application=app, edit_version=app.edit_version)
    app = apps.first_review(actor=staff, application=app, edit_version=app.edit_version)
    with django_capture_on_commit_callbacks(execute=True):
        apps.approve(actor=admin, application=app, edit_version=app.edit_version)
    after = _match(talent, v1)
    assert after.pk == before.pk  # kept, not deleted
    assert (after.state, after.offered, after.status) == ("met", False, "current")
    assert grants.receiving("talent")[talent.pk] == {"recv_apply"}
    assert grants.receiving("talent", [talent.pk]) == {talent.pk: {"recv_apply"}}
    assert world.open_talent.pk not in grants.receiving("talent")
    # A nightly run (set-based) agrees with the one-subject re-match: nothing to rewrite.
    run = matching.match_all("talent")
    assert (run.created, run.changed, run.withdrawn) == (0, 0, 0)
    assert not _match(talent, v1).offered
    # A new version of the policy: pushed to the other talent, not to the one receiving it.
    draft = draft_create(actor=admin, policy=policy)
    with django_capture_on_commit_callbacks(execute=True):
        v2 = publish(actor=admin, draft=draft, effective_from=timezone.localdate())
    assert _match(talent, v2).state == "met"
    assert not _match(talent, v2).offered
    assert not Push.objects.filter(version=v2, subject_id=talent.pk).exists()
    assert Push.objects.filter(version=v2, subject_id=world.open_talent.pk).exists()
    # "Policies for me": granted, not matched.
    body = login(world.users["talent"]).get("/me/policies/").content.decode()
    assert any(policy.title in c for c in _cards(body, "mine-granted"))
    assert not any(policy.title in c for c in _cards(body, "mine-met"))
    api = login(world.users["talent"]).get("/api/v1/me/policies").json()
    assert "recv_apply" not in {m["policy_code"] for m in api}


def test_a_cancelled_grant_or_one_of_another_period_is_not_received(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _policy, version = make_policy(world, "recv_auto", "auto_grant", budget_fen=10**7)
    matching.match_all("talent")
    talent = world.secret_talent
    offer = _match(talent, version)
    with django_capture_on_commit_callbacks(execute=True):
        grant = grants.confirm(actor=world.users["talent"], match_id=offer.pk)
    assert not _match(talent, version).offered
    assert not grants.offers_for(world.users["talent"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        grants.reconfirm(
            actor=world.users["district_admin"],
            grant_ids=[grant.pk],
            approve=False,
            reason="重复享受",
        )
    assert _match(talent, version).offered  # offered again
    # A grant of last year (a yearly policy) is not what the talent receives this year.
    Grant.objects.filter(pk=grant.pk).update(
        status="paid", period=str(timezone.localdate().year - 1)
    )
    assert grants.receiving("talent", [talent.pk]) == {}
    matching.match_one("talent", talent.pk)
    assert _match(talent, version).offered


def test_set_based_and_one_subject_paths_agree_with_grants(
    world: Any, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    admin = world.users["district_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        load_policies(actor=admin, region=world.district)
    doctor = people["doctor"]
    policy = Policy.objects.get(code="settlement_subsidy")
    stored = Match.objects.get(subject_id=doctor.pk, subject_type="talent", policy=policy)
    assert stored.offered
    assert stored.amount_fen
    grants.create_grant(
        actor=admin,
        policy=policy,
        version=stored.version,
        obj=doctor,
        amount_fen=stored.amount_fen,
        source="application",
    )
    fields = ("subject_id", "version_id", "state", "offered", "superseded_by", "amount_fen")
    rows = Match.objects.filter(subject_type="talent").values_list(*fields, "digest")
    Match.objects.filter(subject_type="talent").delete()
    matching.match_all("talent", push=False)
    bulk = set(rows.all())
    assert (doctor.pk, stored.version_id, "met", False, "", stored.amount_fen) in {
        r[:-1] for r in bulk
    }
    Match.objects.filter(subject_type="talent").delete()
    for pk in type(doctor).objects.values_list("pk", flat=True):
        matching.match_one("talent", pk, push=False)
    assert set(rows.all()) == bulk
