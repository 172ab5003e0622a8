"""免申即享's confirmation push (issue 13 item 6): for a policy granted without application, a
matched subject with complete data is pushed the computed amount and the link to its one-click
confirmation; a subject with facts missing gets no push and sees on its page what to add; once
it adds them, it is pushed the confirmation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from gridlight.core.models import User
from gridlight.policies import matching
from gridlight.policies.models import Match, Push
from gridlight.policies.services import draft_create, draft_update, policy_create, publish
from gridlight.tickets.models import Notice
from tests.conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ROWS = {"doctor": 300000, "master": 200000, "bachelor": 0, "associate": 0, "other": 0}
BENEFIT = {"table": {"field": "degree", "rows": ROWS}}
CASES = [
    {"name": "a doctor", "values": {"level": "B", "degree": "doctor"}, "expect": "met"},
]


def _auto_policy(world: Any) -> Any:
    admin = world.users["district_admin"]
    policy = policy_create(
        actor=admin,
        region=world.district,
        code="auto_push",
        subject_type="talent",
        title="学历补贴",
        issuer="测试区人社局",
        mode="auto_grant",
    )
    draft = draft_create(actor=admin, policy=policy)
    when = {"field_in": {"field": "level", "values": ["A", "B"]}}
    draft = draft_update(
        actor=admin,
        draft=draft,
        edit_version=draft.edit_version,
        definition={"when": when, "benefit": BENEFIT, "tests": CASES},
    )
    publish(actor=admin, draft=draft, effective_from=date(2020, 1, 1))
    return policy


def _signed_in(talent: Any, name: str) -> Any:
    user = User.objects.create_user(username=name, password="x")
    type(talent).objects.filter(pk=talent.pk).update(user=user)
    return login(user)


def _notices(talent: Any, policy: Any) -> list[str]:
    pushes = Push.objects.filter(subject_type="talent", subject_id=talent.pk, policy=policy)
    keys = [f"policy-push:{p.pk}:" for p in pushes]
    return [
        n.text
        for n in Notice.objects.filter(kind="policy_push")
        if any(n.key.startswith(k) for k in keys)
    ]


def _generic(policy: Any) -> str:
    """The push of the other modes, in the language pushes are written in."""
    with translation.override(settings.LANGUAGE_CODE):
        return matching.push_text(policy.title)


def test_complete_data_is_pushed_the_amount_and_the_confirmation_link(
    world: Any, people: dict[str, Any]
) -> None:
    policy = _auto_policy(world)
    doctor, unknown = people["doctor"], people["unknown"]  # class A doctor; class B, no degree
    doctor_client = _signed_in(doctor, "doctor_user")
    unknown_client = _signed_in(unknown, "unknown_user")
    matching.match_all("talent")
    done = Match.objects.get(subject_id=doctor.pk, subject_type="talent", policy=policy)
    assert (done.state, done.amount_fen) == ("met", 300000)
    (text,) = _notices(doctor, policy)
    link = f"{reverse('policy_portal:mine')}#offer-auto_push"
    assert "3,000.00" in text
    assert link in text
    assert text != _generic(policy)
    # The link leads to the one-click confirmation of that offer.
    page = doctor_client.get(reverse("policy_portal:mine")).content.decode()
    assert 'id="offer-auto_push"' in page
    assert reverse("policy_portal:confirm", args=[done.pk]) in page
    # Facts missing (the degree decides the amount): no push, and the page says what to add.
    partial = Match.objects.get(subject_id=unknown.pk, subject_type="talent", policy=policy)
    assert (partial.state, partial.amount_fen, partial.missing) == ("met", None, ["degree"])
    assert partial.pushed_at is None
    assert _notices(unknown, policy) == []
    body = unknown_client.get("/me/policies/").content.decode()
    with translation.override("zh-hans"):
        assert f"{gettext('To check it, add')}: {gettext('degree')}" in body
    # The degree added: the re-match pushes the confirmation, with its amount.
    type(unknown).objects.filter(pk=unknown.pk).update(degree="master")
    matching.match_one("talent", unknown.pk)
    (text,) = _notices(unknown, policy)
    assert "2,000.00" in text
    assert link in text


def test_other_modes_keep_the_generic_push(world: Any, people: dict[str, Any]) -> None:
    policy = _auto_policy(world)
    type(policy).objects.filter(pk=policy.pk).update(mode="apply")
    matching.match_all("talent")
    (text,) = _notices(people["doctor"], policy)
    assert text == _generic(policy)
    # In a mode other than 免申即享 a met match is pushed even with its amount unknown.
    assert len(_notices(people["unknown"], policy)) == 1
