"""Rule-set services refuse what their subject cannot hold — an outcome other than the subject's
(red, yellow, green for households), test cases that cannot run, values that cannot be stored —
with every reason, through the page as through the service; the dashboard keeps working."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
import yaml
from django.utils import timezone, translation

from gridlight.core.errors import DomainError
from gridlight.households.models import Household
from gridlight.rules import services
from gridlight.rules.models import RuleSet, RuleSetVersion, VersionStatus
from tests.conftest import World, login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _purple(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with a fourth outcome that every household falls into."""
    bad = copy.deepcopy(definition)
    bad["outcomes"] = ["purple", *bad["outcomes"]]
    bad["rules"].insert(
        0, {"code": "everyone", "outcome": "purple", "when": {"not": {"has_tag": "dementia"}}}
    )
    bad["tests"] = []
    return bad


def _draft(world: World) -> RuleSetVersion:
    return services.draft_create(
        actor=world.users["district_admin"], rule_set=RuleSet.objects.get(code="traffic_light")
    )


def _dashboards_answer(world: World) -> None:
    for role in ("district_admin", "grid_worker"):
        client = login(world.users[role])
        assert client.get("/households/dashboard/").status_code == 200
        assert client.get("/households/").status_code == 200
        assert client.get("/households/export/").status_code == 200
    assert set(Household.objects.values_list("light", flat=True)) <= {"red", "yellow", "green"}


def test_page_refuses_a_draft_with_an_outcome_other_than_the_lights(world: World) -> None:
    draft = _draft(world)
    admin = login(world.users["district_admin"])
    admin.cookies["django_language"] = "en"
    response = admin.post(
        f"/households/rules/{draft.pk}/",
        {
            "definition": yaml.safe_dump(_purple(draft.definition)),
            "note": "purple",
            "edit_version": draft.edit_version,
        },
    )
    assert response.status_code == 400
    assert "outcomes may only be red, yellow, green, not purple" in response.content.decode()
    stored = RuleSetVersion.objects.get(pk=draft.pk)
    assert "purple" not in stored.definition["outcomes"]
    assert stored.edit_version == draft.edit_version


def test_a_draft_with_another_outcome_is_never_published_and_the_dashboard_keeps_working(
    world: World,
) -> None:
    draft = _draft(world)
    # A draft stored before the check existed.
    RuleSetVersion.objects.filter(pk=draft.pk).update(definition=_purple(draft.definition))
    admin = login(world.users["district_admin"])
    page = admin.get(f"/households/rules/{draft.pk}/")
    assert page.status_code == 200
    assert "purple" in page.content.decode()
    admin.post(
        f"/households/rules/{draft.pk}/publish/",
        {"effective_from": timezone.localdate().isoformat()},
    )
    assert RuleSetVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT
    with translation.override("en"), pytest.raises(DomainError, match="outcomes may only be"):
        services.publish(
            actor=world.users["district_admin"], draft=draft, effective_from=timezone.localdate()
        )
    assert admin.post("/households/rules/recompute/").status_code == 302
    _dashboards_answer(world)


@pytest.mark.parametrize(
    ("tests", "problem"),
    [
        (["just text"], "Test case 1: it must be a mapping"),
        ([{"values": [80], "expect": "red"}], "Test case 1: it must be a mapping"),
        ([{"values": {"age": "eighty"}, "expect": "red"}], "age must be a whole number"),
        ([{"values": {"age": True}, "expect": "red"}], "age must be a whole number"),
        ([{"values": {"member_count": [2]}, "expect": "red"}], "member_count must be a whole"),
        ([{"values": {"tags": "living_alone"}, "expect": "red"}], "tags must be a list of names"),
        ([{"values": {"tags": [["x"]]}, "expect": "red"}], "tags must be a list of names"),
        ([{"values": {"grades": {"disability": "x"}}, "expect": "red"}], "grades must map"),
        ([{"values": {"grades": [2]}, "expect": "red"}], "grades must map"),
        ([{"values": {"age": 90}, "expect": "red", "fired": 5}], "fired must be a list"),
        ([{"values": {"age": 90}, "expect": "red", "fired": [[1]]}], "fired must be a list"),
    ],
)
def test_test_cases_that_cannot_run_are_refused_with_the_reason(
    world: World, tests: list[Any], problem: str
) -> None:
    draft = _draft(world)
    bad = {**draft.definition, "tests": tests}
    with pytest.raises(DomainError, match=problem):
        services.draft_update(
            actor=world.users["district_admin"],
            draft=draft,
            edit_version=draft.edit_version,
            definition=bad,
            note="",
        )
    # A draft stored with them before is shown with the problem, and never published.
    RuleSetVersion.objects.filter(pk=draft.pk).update(definition=bad)
    problems = services.check_definition(draft.rule_set, bad)
    assert any(problem in p for p in problems)
    page = login(world.users["district_admin"]).get(f"/households/rules/{draft.pk}/")
    assert page.status_code == 200


@pytest.mark.parametrize(
    "when",
    [
        {"has_tag": ["living_alone"]},
        {"grade_at_most": {"attribute": ["disability"], "grade": 2}},
    ],
)
def test_a_condition_naming_a_list_is_refused(world: World, when: dict[str, Any]) -> None:
    draft = _draft(world)
    bad = copy.deepcopy(draft.definition)
    bad["rules"][0]["when"] = when
    with pytest.raises(DomainError, match="Unknown"):
        services.draft_update(
            actor=world.users["district_admin"],
            draft=draft,
            edit_version=draft.edit_version,
            definition=bad,
            note="",
        )


@pytest.mark.parametrize("value", [date(2026, 1, 1), float("nan")])
def test_a_definition_that_cannot_be_stored_is_refused(world: World, value: Any) -> None:
    """YAML reads an unquoted date as a date, and PostgreSQL refuses NaN in JSON."""
    draft = _draft(world)
    bad = copy.deepcopy(draft.definition)
    bad["rules"][0]["label"] = value
    with pytest.raises(DomainError, match="put a date in quotes"):
        services.draft_update(
            actor=world.users["district_admin"],
            draft=draft,
            edit_version=draft.edit_version,
            definition=bad,
            note="",
        )
    assert RuleSetVersion.objects.get(pk=draft.pk).definition == draft.definition
