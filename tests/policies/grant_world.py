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


def make_policy(world: Any, code: str, mode: str, **kw: Any) -> tuple[Policy, PolicyVersion]:
    admin = world.users["district_admin"]
    kw.setdefault("materials", MATERIALS if mode == "apply" else [])
    policy = policy_create(
        actor=admin,
        region=world.district,
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
