"""Matching: stored matches with explanations, set-based and one-subject paths agreeing, the
"new since last run" flag, withdrawn and superseded rows kept, profile changes re-matched, and
pushes once per subject and version through the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridlight.core.crypto import encrypt
from gridlight.policies import matching
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Match, MatchState, MatchStatus, Push
from gridlight.tickets import notify
from gridlight.tickets.models import Notice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _rows(subject_type: str) -> dict[tuple[int, str], tuple[str, int | None, list[str], str]]:
    return {
        (m.subject_id, m.policy.code): (m.state, m.amount_fen, m.missing, m.status)
        for m in Match.objects.filter(subject_type=subject_type).select_related("policy")
    }


@pytest.fixture
def catalogue(
    world: Any, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        load_policies(actor=world.users["district_admin"], region=world.district)
    return people


def test_publish_matches_and_bulk_equals_one_by_one(catalogue: dict[str, Any]) -> None:
    # Publishing ran the set-based match (on commit, eagerly without a broker).
    bulk = dict(_rows("talent").items())
    assert bulk, "publishing matched the talents"
    doctor = catalogue["doctor"]
    state, amount, _missing, status = bulk[(doctor.pk, "settlement_subsidy")]
    assert (state, status) == ("met", "current")
    assert amount
    assert amount > 0
    unknown = catalogue["unknown"]
    assert any(k[0] == unknown.pk and v[0] == "unknown" and v[2] for k, v in bulk.items()), (
        "a talent with facts missing is possibly matched, with what is missing"
    )
    # The one-subject path stores the same rows (digests equal: nothing rewritten).
    for t in (doctor, unknown, catalogue["owner"]):
        run = matching.match_one("talent", t.pk)
        assert run is not None
        assert run.created == 0
        assert run.changed == 0
    assert _rows("talent") == bulk


def test_explanation_snapshot_has_value_source_and_day(catalogue: dict[str, Any]) -> None:
    doctor = catalogue["doctor"]
    m = Match.objects.get(subject_id=doctor.pk, policy__code="settlement_subsidy")
    assert m.explanation["values"]["level"] == "A"
    label, as_of = m.explanation["sources"]["level"]
    assert label
    assert as_of
    assert m.explanation["as_of"] == timezone.localdate().isoformat()
    assert m.region_path == doctor.region_path


def test_new_flag_withdrawn_and_kept(catalogue: dict[str, Any], world: Any) -> None:
    owner = catalogue["owner"]
    matching.match_all("talent")  # a second run: nothing new
    assert not Match.objects.filter(subject_type="talent", is_new=True).exists()
    # The owner starts renting: the apartment policy appears, new since the last run.
    before = set(Match.objects.filter(subject_id=owner.pk).values_list("policy__code", flat=True))
    type(owner).objects.filter(pk=owner.pk).update(housing="rents", level="C")
    run = matching.match_one("talent", owner.pk)
    assert run is not None
    assert run.created + run.changed >= 1
    new = Match.objects.filter(subject_id=owner.pk, subject_type="talent", is_new=True)
    assert new.exists()
    # Back to owning: the match is withdrawn, not deleted.
    type(owner).objects.filter(pk=owner.pk).update(housing="owns", level="E")
    matching.match_one("talent", owner.pk)
    gone = Match.objects.filter(
        subject_id=owner.pk, subject_type="talent", status=MatchStatus.WITHDRAWN
    )
    assert gone.exists()
    assert all(m.state == MatchState.NOT_MET for m in gone)
    after = set(Match.objects.filter(subject_id=owner.pk).values_list("policy__code", flat=True))
    assert before <= after


def test_profile_change_through_the_service_rematches(
    catalogue: dict[str, Any], world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gridlight.talent.portal import talent_self_correct

    t = catalogue["unknown"]
    user = world.users.get("talent")
    if user is None or t.user_id is None:
        from gridlight.core.models import User

        user = User.objects.create_user(username="match_talent", password="x")
        type(t).objects.filter(pk=t.pk).update(user=user)
        t.refresh_from_db()
    count = Match.objects.filter(subject_id=t.pk, subject_type="talent").count()
    with django_capture_on_commit_callbacks(execute=True):
        talent_self_correct(
            actor=user,
            talent=t,
            version=t.version,
            phone="",
            spouse_employment="",
            housing="rents",
            children=[],
        )
    m = Match.objects.filter(
        subject_id=t.pk, subject_type="talent", policy__code="talent_apartment"
    )
    assert m.exists()
    assert m.get().state == "met"
    assert Match.objects.filter(subject_id=t.pk, subject_type="talent").count() >= count


def test_push_once_per_subject_and_version(
    catalogue: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = str(tmp_path)
    doctor = catalogue["doctor"]
    type(doctor).objects.filter(pk=doctor.pk).update(phone_enc=encrypt("13900000009"))
    Match.objects.update(pushed_at=None)
    Push.objects.all().delete()
    Notice.objects.filter(kind="policy_push").delete()
    first = matching.queue_pushes("talent")
    assert (
        first
        == Match.objects.filter(
            subject_type="talent", state="met", offered=True, status="current"
        ).count()
    )
    assert matching.queue_pushes("talent") == 0  # nothing twice
    Match.objects.update(pushed_at=None)  # even if the marks were lost
    assert matching.queue_pushes("talent") == 0
    assert Push.objects.count() == first
    m = Push.objects.first()
    assert m is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Push.objects.create(
            match_id=m.match_id,
            subject_type=m.subject_type,
            subject_id=m.subject_id,
            policy_id=m.policy_id,
            version_id=m.version_id,
            region_path=m.region_path,
            created_at=timezone.now(),
        )
    notify.send_pending()
    keys = notify.FakeSmsGateway().path.read_text(encoding="utf-8")
    assert "policy-push:" in keys
    assert "13900000009" not in keys
    matching.mark_opened("talent", doctor.pk)
    assert Match.objects.filter(subject_id=doctor.pk, opened_at__isnull=False).exists()


def test_new_version_supersedes(
    catalogue: dict[str, Any], world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gridlight.policies.models import Policy
    from gridlight.policies.services import draft_create, publish

    admin = world.users["district_admin"]
    policy = Policy.objects.get(code="settlement_subsidy")
    draft = draft_create(actor=admin, policy=policy)
    with django_capture_on_commit_callbacks(execute=True):
        publish(actor=admin, draft=draft, effective_from=timezone.localdate())
    old = Match.objects.filter(policy=policy).exclude(version=draft)
    assert old.exists()
    assert all(m.status == MatchStatus.SUPERSEDED for m in old)
    assert Match.objects.filter(version=draft, status="current").exists()


def test_a_subject_that_moves_takes_its_matches_along(
    catalogue: dict[str, Any], world: Any
) -> None:
    doctor = catalogue["doctor"]
    rows = Match.objects.filter(subject_type="talent", subject_id=doctor.pk)
    assert rows.exists()
    assert {m.region_path for m in rows} == {world.secret_street.path}
    type(doctor).objects.filter(pk=doctor.pk).update(
        street=world.open_street, region_path=world.open_street.path
    )
    matching.match_one("talent", doctor.pk)
    assert {m.region_path for m in rows.exclude(status="superseded")} == {world.open_street.path}


def _stored_rows(subject_type: str) -> dict[tuple[int, int], tuple[Any, ...]]:
    fields = ("state", "status", "offered", "superseded_by", "amount_fen", "missing")
    return {
        (m["subject_id"], m["version_id"]): (*(m[f] for f in fields), m["explanation"], m["digest"])
        for m in Match.objects.filter(subject_type=subject_type).values(
            "subject_id", "version_id", *fields, "explanation", "digest"
        )
    }


@pytest.mark.parametrize("subject_type", ["talent", "enterprise"])
def test_the_set_based_run_writes_exactly_what_the_one_subject_path_writes(
    catalogue: dict[str, Any], subject_type: str
) -> None:
    from gridlight.talent.models import Enterprise, Talent

    model: Any = Talent if subject_type == "talent" else Enterprise
    # Two subjects with the same facts share the set-based run's remembered texts: each must
    # still carry its own sources (an employer's name, a profile's day).
    if subject_type == "talent":
        doctor = catalogue["doctor"]
        twin = Talent.objects.get(pk=doctor.pk)
        twin.pk = None
        twin.name, twin.employer = "双胞胎", catalogue["dealer"]
        twin.save()
    Match.objects.filter(subject_type=subject_type).delete()
    matching.match_all(subject_type, push=False)
    bulk = _stored_rows(subject_type)
    assert bulk
    Match.objects.filter(subject_type=subject_type).delete()
    for pk in model.objects.values_list("pk", flat=True):
        matching.match_one(subject_type, pk, push=False)
    assert _stored_rows(subject_type) == bulk
    # And the set-based run finds nothing to rewrite in what the one-subject path wrote.
    run = matching.match_all(subject_type, push=False)
    assert (run.created, run.changed, run.withdrawn) == (0, 0, 0)


def test_keys_not_checked_by_the_database_still_protect_and_cascade(
    catalogue: dict[str, Any],
) -> None:
    """The version and subject keys of a match are not checked by the database (a run writes
    hundreds of thousands of rows): the ORM still refuses to delete a version with matches and
    deletes a subject's matches with it."""
    from django.db.models import ProtectedError

    owner = catalogue["doctor"]
    m = Match.objects.filter(subject_type="talent", subject_id=owner.pk).first()
    assert m is not None
    with pytest.raises(ProtectedError), transaction.atomic():
        m.version.delete()
    assert Match.objects.filter(pk=m.pk).exists()
    mine = Match.objects.filter(subject_type="talent", subject_id=owner.pk)
    assert mine.exists()
    type(owner).objects.filter(pk=owner.pk).delete()
    assert not mine.exists()


def test_one_subject_run_clears_new_on_its_own_rows_only(catalogue: dict[str, Any]) -> None:
    """Clearing "new" is one statement scoped to the run's subjects: a run for one talent
    clears its unchanged rows' flag and leaves every other subject's alone."""
    owner = catalogue["doctor"]
    talents = Match.objects.filter(subject_type="talent", status=MatchStatus.CURRENT)
    talents.update(is_new=True)  # as after a run that found them all
    others = talents.exclude(subject_id=owner.pk)
    assert others.filter(is_new=True).count() == others.count() > 0
    assert talents.filter(subject_id=owner.pk, is_new=True).exists()
    run = matching.match_one("talent", owner.pk, push=False)
    assert run is not None
    assert (run.created, run.changed, run.withdrawn) == (0, 0, 0)
    assert not talents.filter(subject_id=owner.pk, is_new=True).exists()
    assert others.filter(is_new=True).count() == others.count()
