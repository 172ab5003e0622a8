"""The policy catalogue's services: audited writes, immutable published versions, refused bad
input with nothing written, publishing that runs the test cases, simulation per street and
industry, evaluation for one subject with sources."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent
from gridlight.policies.access import get_policy, policies_visible
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Policy, PolicyVersion, VersionStatus
from gridlight.policies.selectors import policies_for
from gridlight.policies.services import draft_create, draft_update, policy_create, publish
from gridlight.policies.simulate import simulate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
DAY = date(2026, 6, 1)
SRDI = {"field_in": {"field": "srdi_level", "values": ["provincial", "national"]}}
CASES = [{"name": "national", "values": {"srdi_level": "national"}, "expect": "met", "amount": 5}]


def _policy(world: Any, code: str = "award", **kw: Any) -> Policy:
    kw.setdefault("subject_type", "enterprise")
    return policy_create(
        actor=world.users["district_admin"],
        region=world.district,
        code=code,
        title=kw.pop("title", "奖励"),
        issuer="区工信局",
        mode="apply",
        **kw,
    )


def _draft(world: Any, policy: Policy, definition: Any) -> PolicyVersion:
    admin = world.users["district_admin"]
    draft = draft_create(actor=admin, policy=policy)
    return draft_update(
        actor=admin, draft=draft, edit_version=draft.edit_version, definition=definition
    )


def test_create_draft_publish_are_audited(world: Any) -> None:
    policy = _policy(world, budget_fen=100_000_00, materials=["营业执照"])
    draft = _draft(world, policy, {"when": SRDI, "benefit": {"fixed": 5}, "tests": CASES})
    published = publish(actor=world.users["district_admin"], draft=draft, effective_from=DAY)
    assert published.status == VersionStatus.PUBLISHED
    actions = list(
        AuditEvent.objects.filter(action__startswith="policy.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["policy.create", "policy.draft", "policy.edit", "policy.publish"]


def test_published_version_is_immutable_and_editing_makes_a_draft(world: Any) -> None:
    admin = world.users["district_admin"]
    policy = _policy(world)
    v1 = publish(
        actor=admin,
        draft=_draft(world, policy, {"when": SRDI, "benefit": {"fixed": 5}, "tests": CASES}),
        effective_from=date(2026, 1, 1),
    )
    with pytest.raises(DomainError):
        draft_update(actor=admin, draft=v1, edit_version=v1.edit_version, definition={})
    v2 = draft_create(actor=admin, policy=policy)
    assert v2.number == 2
    assert v2.definition == v1.definition
    publish(actor=admin, draft=v2, effective_from=date(2026, 7, 1))
    v1.refresh_from_db()
    assert v1.effective_to == date(2026, 7, 1)


def test_stale_edit_is_a_conflict(world: Any) -> None:
    admin = world.users["district_admin"]
    draft = draft_create(actor=admin, policy=_policy(world))
    definition = {"when": SRDI, "tests": []}
    draft_update(actor=admin, draft=draft, edit_version=1, definition=definition)
    with pytest.raises(ConflictError):
        draft_update(actor=admin, draft=draft, edit_version=1, definition=definition)


@pytest.mark.parametrize(
    ("benefit", "word"),
    [
        ({"formula": "salary * 2"}, "salary"),
        ({"fixed": 10, "cap": 5, "floor": 8}, "below the floor"),
        ({"table": {"field": "srdi_level", "rows": {"none": 0, "national": 5}}}, "gap"),
        ({"formula": "benefit.nobody"}, "unknown policy"),
    ],
)
def test_bad_benefit_is_refused_and_nothing_written(world: Any, benefit: Any, word: str) -> None:
    admin = world.users["district_admin"]
    draft = draft_create(actor=admin, policy=_policy(world))
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        draft_update(
            actor=admin,
            draft=draft,
            edit_version=draft.edit_version,
            definition={"when": SRDI, "benefit": benefit},
        )
    assert word in exc.value.message
    draft.refresh_from_db()
    assert draft.edit_version == 1
    assert AuditEvent.objects.count() == events


def test_a_formula_cycle_between_policies_is_refused(world: Any) -> None:
    a, b = _policy(world, "a"), _policy(world, "b")
    _draft(world, a, {"when": SRDI, "benefit": {"formula": "0.5 * benefit.b"}})
    with pytest.raises(DomainError) as exc:
        _draft(world, b, {"when": SRDI, "benefit": {"formula": "0.5 * benefit.a"}})
    assert "a → b → a" in exc.value.message or "b → a → b" in exc.value.message


def test_a_formula_over_another_subject_type_is_refused(world: Any) -> None:
    _policy(world, "talent_one", subject_type="talent")
    with pytest.raises(DomainError) as exc:
        _draft(world, _policy(world), {"when": SRDI, "benefit": {"formula": "benefit.talent_one"}})
    assert "another kind" in exc.value.message


def test_publishing_refuses_a_failing_case_and_a_version_without_cases(world: Any) -> None:
    admin = world.users["district_admin"]
    bad = [{"name": "wrong", "values": {"srdi_level": "none"}, "expect": "met"}]
    draft = _draft(world, _policy(world), {"when": SRDI, "tests": bad})
    with pytest.raises(DomainError) as exc:
        publish(actor=admin, draft=draft, effective_from=DAY)
    assert "wrong" in exc.value.message
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    empty = _draft(world, _policy(world, "other"), {"when": SRDI})
    with pytest.raises(DomainError):
        publish(actor=admin, draft=empty, effective_from=DAY)


def test_bad_catalogue_fields_are_refused(world: Any) -> None:
    with pytest.raises(DomainError):
        _policy(world, budget_fen=-1)
    with pytest.raises(DomainError):
        _policy(world, period_start=date(2026, 2, 1), period_end=date(2026, 1, 1))
    with pytest.raises(DomainError):
        _policy(world, code="Bad Code")
    assert not Policy.objects.exists()


def test_only_the_write_scope_manages_and_views_follow_scope(world: Any) -> None:
    policy = _policy(world)
    with pytest.raises(PermissionDenied):
        draft_create(actor=world.users["talent_commissioner"], policy=policy)
    # A commissioner of the district sees the district's policies; its twin in another
    # district does not; a street office (no policy.view) is refused.
    assert get_policy(world.users["talent_commissioner"], policy.pk) == policy
    with pytest.raises(Http404):
        get_policy(world.twins["talent_commissioner"], policy.pk)
    with pytest.raises(PermissionDenied):
        policies_visible(world.users["grid_worker"])


def test_simulate_counts_per_street_and_industry(world: Any, people: dict[str, Any]) -> None:
    policy = _policy(world)
    draft = _draft(world, policy, {"when": SRDI})
    result = simulate(world.users["district_admin"], draft, DAY)
    # srdi (national) and the shared world's two enterprises (provincial): met; dealer,
    # listing (no tag): not met; blank (level not entered): unknown.
    assert result.batch
    assert result.total.counts == {"met": 3, "not_met": 2, "unknown": 1}
    streets = {t.label: t.counts for t in result.streets}
    assert streets[world.secret_street.name] == {"met": 2, "not_met": 0, "unknown": 0}
    industries = {t.label: t.counts["unknown"] for t in result.industries}
    assert industries["Energy internet"] == 1
    cel = _draft(world, _policy(world, "cel"), {"when": {"cel": "headcount >= 100"}})
    by_row = simulate(world.users["district_admin"], cel, DAY)
    assert not by_row.batch
    # headcount 120: srdi and the world's two enterprises; 30: the dealer; unknown: the rest.
    assert by_row.total.counts == {"met": 3, "not_met": 1, "unknown": 2}


def test_simulate_stays_in_the_callers_scope(world: Any, people: dict[str, Any]) -> None:
    from tests.factories import assign

    policy = _policy(world)
    draft = _draft(world, policy, {"when": SRDI})
    street_admin = world.users["street_staff"]
    assign(street_admin, "district_admin", world.open_street)
    street_admin = type(street_admin).objects.get(pk=street_admin.pk)  # its roles read afresh
    result = simulate(street_admin, draft, DAY)
    assert result.total.total == 4  # the open street's enterprises only (three and the world's)


def test_policies_for_a_talent_explain_with_sources(world: Any, people: dict[str, Any]) -> None:
    load_policies(actor=world.users["district_admin"], region=world.district)
    found = policies_for("talent", people["unknown"], DAY)
    states = {r.policy.code: r.result.state for r in found.results}
    assert states["school_places"] == "unknown"  # no child recorded: not known, never "none"
    assert states["talent_apartment"] == "unknown"
    assert found.missing[0].decides >= 1
    doctor = policies_for("talent", people["doctor"], DAY)
    by_code = {r.policy.code: r for r in doctor.results}
    assert by_code["settlement_subsidy"].result.amount.fen == 100_000_000  # type: ignore[union-attr]
    assert by_code["doctorate_settlement"].result.superseded_by == "settlement_subsidy"
    leaf = by_code["talent_apartment"].lines[1]
    assert leaf.seen[0].source
    assert leaf.seen[0].as_of is not None
