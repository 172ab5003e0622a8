"""Policies for the application and grant tests: one taking online applications (two
materials) and one granted without application, both for talents, issued by the district."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from gridlight.core.uploads import Upload
from gridlight.policies.models import Match, Policy, PolicyVersion
from gridlight.policies.services import draft_create, draft_update, policy_create, publish

PDF = b"%PDF-1.4\n% test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
MATERIALS = ["身份证明", "学历证书"]
WHEN = {"field_in": {"field": "level", "values": ["A", "B", "C", "D", "E"]}}
CASES = [{"name": "a class C talent", "values": {"level": "C"}, "expect": "met", "amount": 500000}]


def make_policy(
    world: Any, code: str, mode: str, region: Any = None, **kw: Any
) -> tuple[Policy, PolicyVersion]:
    admin = world.users["district_admin"]
    kw.setdefault("materials", MATERIALS if mode == "apply" else [])
    policy = policy_create(
        actor=admin,
        region=region or world.district,
        code=code,
        subject_type="talent",
        title=f"测试政策{code}",
        issuer="测试区人社局",
        mode=mode,
        **kw,
    )
    draft = draft_create(actor=admin, policy=policy)
    draft = draft_update(
        actor=admin,
        draft=draft,
        edit_version=draft.edit_version,
        definition={"when": WHEN, "benefit": {"fixed": 500000}, "tests": CASES},
    )
    version = publish(actor=admin, draft=draft, effective_from=date(2020, 1, 1))
    return policy, version


def uploads() -> dict[str, Upload]:
    return {MATERIALS[0]: Upload("id.pdf", PDF), MATERIALS[1]: Upload("degree.png", PNG)}


def make_match(version: PolicyVersion, talent: Any, amount: int = 500000, **kw: Any) -> Match:
    now = timezone.now()
    return Match.objects.create(
        subject_type="talent",
        subject_id=talent.pk,
        talent=talent,
        policy=version.policy,
        version=version,
        region_path=talent.region_path,
        state=kw.pop("state", "met"),
        amount_fen=amount,
        created_at=now,
        evaluated_at=now,
        changed_at=now,
        **kw,
    )


def secret_grant_world(world: Any) -> dict[str, list[int]]:
    """The secret street's own application and grant policies with an application in review,
    an approved one paid in a batch, and a confirmed grant-without-application offer — all the
    secret talent's (the "talent" user's), each marked with the canary through its name (ids by
    kind for the route walk; made once per world)."""
    from tests.conftest import CANARY

    made = getattr(world, "_secret_grant_ids", None)
    if made is not None:
        return made  # type: ignore[no-any-return]
    from gridlight.policies import applications as apps
    from gridlight.policies import grants

    admin, staff, talent = (
        world.users["district_admin"],
        world.users["street_staff"],
        world.users["talent"],
    )
    street = world.secret_street  # issued by the secret street
    apply, _v = make_policy(world, "canary_apply", "apply", street, budget_fen=10**9)
    other, _v2 = make_policy(world, "canary_apply2", "apply", street, budget_fen=10**9)
    auto, auto_v = make_policy(world, "canary_auto", "auto_grant", street, budget_fen=10**9)
    for p in (apply, other, auto):
        p.title = f"{CANARY}{p.title}"
        p.save(update_fields=["title"])
    open_app = apps.submit(actor=talent, policy=apply, statement=CANARY, uploads=uploads())
    done = apps.submit(actor=talent, policy=other, uploads=uploads())
    done = apps.accept(actor=staff, application=done, edit_version=1)
    done = apps.first_review(actor=staff, application=done, edit_version=2)
    done = apps.approve(actor=admin, application=done, edit_version=3)
    batch = grants.create_batch(actor=admin, policy=other)
    match = make_match(auto_v, world.secret_talent)
    grant = grants.confirm(actor=talent, match_id=match.pk)
    made = {
        "applications": [open_app.pk, done.pk],
        "grants": [grant.pk, *batch.grants.values_list("pk", flat=True)],
        "batches": [batch.pk],
        "matches": [match.pk],
        "grant_policies": [apply.pk, other.pk, auto.pk],
    }
    world._secret_grant_ids = made
    return made
