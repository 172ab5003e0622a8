"""The talent's own "policies for me" ranks the facts it has not given by how many more
policies each would decide ("add your degree: N more policies can be checked"), counted from
its stored matches, and lists what it has been granted."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import ngettext

from gridlight.core.models import User
from gridlight.policies import grants, matching
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Match, Policy
from gridlight.rules.subjects import get_subject
from tests.conftest import login

pytestmark = [pytest.mark.django_db]


def test_my_page_ranks_the_missing_facts_and_lists_my_grants(
    world: Any, people: dict[str, Any]
) -> None:
    admin = world.users["district_admin"]
    load_policies(actor=admin, region=world.district)
    matching.match_all("talent")
    talent = people["unknown"]  # class B, nothing else known
    user = User.objects.create_user(username="unknown_talent", password="x")
    type(talent).objects.filter(pk=talent.pk).update(user=user)
    # From the stored matches: the facts each offered policy still needs.
    decides: Counter[str] = Counter()
    concerns: Counter[str] = Counter()
    for m in Match.objects.filter(
        subject_type="talent", subject_id=talent.pk, status="current", offered=True
    ):
        concerns.update(m.missing)
        if len(m.missing) == 1:
            decides.update(m.missing)
    assert decides, "some fact alone decides a policy"
    expected = sorted(concerns, key=lambda f: (-decides[f], -concerns[f], f))
    client = login(user)
    body = client.get("/me/policies/").content.decode()
    shown = re.findall(r'<li data-field="([^"]+)" data-decides="(\d+)">(.*?)</li>', body)
    assert [(f, int(n)) for f, n, _text in shown] == [(f, decides[f]) for f in expected]
    first, n = expected[0], decides[expected[0]]
    label = str(get_subject("talent").fields()[first].label)
    with translation.override("zh-hans"):
        sentence = ngettext(
            "Add %(f)s: %(n)s more policy can be checked.",
            "Add %(f)s: %(n)s more policies can be checked.",
            n,
        ) % {"f": label, "n": n}
    assert shown[0][2] == sentence
    # Granted: listed as such on the same page.
    policy = Policy.objects.get(code="talent_apartment")
    version = policy.versions.filter(status="published").first()
    assert version is not None
    grants.create_grant(
        actor=admin, policy=policy, version=version, obj=talent, amount_fen=0, source="auto"
    )
    body = client.get("/me/policies/").content.decode()
    granted = re.findall(r'data-testid="mine-granted">(.*?)</div></div>', body, flags=re.S)
    assert any(policy.title in g for g in granted)
