"""The traffic light: set-based recompute agrees with one-by-one evaluation; history, overrides
and the visit schedule follow the light."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridlight.core.demo.build import build_demo
from gridlight.households.classify import SUBJECT, compiled_for, current_version, recompute_all
from gridlight.households.demo import build_households
from gridlight.households.models import Household, LightChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def district() -> None:
    build_demo()
    build_households(400, seed=7)


def test_recompute_matches_one_by_one_evaluation(district: None) -> None:
    result = recompute_all()
    assert result.total == result.changed == 400
    compiled = compiled_for(current_version())
    today = timezone.localdate()
    mismatches = []
    for h in Household.objects.all():
        evaluation = compiled.evaluate(SUBJECT.values(h, today))
        fired = [r.code for r in evaluation.fired]
        if (h.computed_light, h.reasons) != (evaluation.outcome, fired):
            mismatches.append((h.code, h.computed_light, evaluation.outcome))
    assert mismatches == []
    lights = set(Household.objects.values_list("light", flat=True))
    assert lights == {"red", "yellow", "green"}


def test_recompute_is_idempotent_and_keeps_history(district: None) -> None:
    recompute_all()
    history = LightChange.objects.count()
    assert history == 400
    again = recompute_all()
    assert again.changed == 0
    assert LightChange.objects.count() == history


def test_recompute_schedules_visits_by_light(district: None) -> None:
    recompute_all()
    for h in Household.objects.exclude(last_visit_on=None)[:50]:
        gap = {"red": 7, "yellow": 30, "green": 90}[h.light]
        assert h.next_visit_due == h.last_visit_on + timedelta(days=gap)


def test_current_override_wins_over_the_computed_light(district: None) -> None:
    recompute_all()
    h = Household.objects.filter(light="green").first()
    assert h is not None
    Household.objects.filter(pk=h.pk).update(
        override_light="red",
        override_reason="临时重点关注",
        override_until=timezone.localdate() + timedelta(days=30),
    )
    recompute_all()
    h.refresh_from_db()
    assert (h.light, h.computed_light) == ("red", "green")
    Household.objects.filter(pk=h.pk).update(override_until=timezone.localdate() - timedelta(1))
    recompute_all()
    h.refresh_from_db()
    assert h.light == "green"
    assert list(h.light_changes.values_list("to_light", flat=True))[:2] == ["green", "red"]


def test_a_rule_set_with_cel_is_recomputed_row_by_row_and_agrees(district: None) -> None:
    from gridlight.rules.models import RuleSetVersion

    current = current_version()
    definition = dict(current.definition)
    definition["rules"] = [
        *current.definition["rules"],
        {
            "code": "cel_many_members",
            "outcome": "yellow",
            "label": "五口以上",
            "when": {"cel": "member_count >= 5 && youngest_age < 18"},
        },
    ]
    today = timezone.localdate()
    RuleSetVersion.objects.filter(pk=current.pk).update(effective_to=today)
    RuleSetVersion.objects.create(
        rule_set=current.rule_set,
        number=current.number + 1,
        status="published",
        definition=definition,
        effective_from=today,
    )
    compiled = compiled_for(current_version())
    assert not compiled.batchable
    recompute_all()
    mismatches = []
    for h in Household.objects.all():
        evaluation = compiled.evaluate(SUBJECT.values(h, today))
        if (h.computed_light, h.reasons) != (
            evaluation.outcome,
            [r.code for r in evaluation.fired],
        ):
            mismatches.append(h.code)
    assert mismatches == []
    assert Household.objects.filter(light_reasons__contains="cel_many_members").exists()


def test_nightly_command_recomputes(district: None, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    call_command("recompute_lights")
    assert "400 households, 400 changed light" in capsys.readouterr().out


def test_one_by_one_and_district_agree_so_neither_rewrites_the_other(district: None) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridlight.households.classify import classify_one

    recompute_all()
    h = Household.objects.exclude(light_reasons="").first()
    assert h is not None
    with CaptureQueriesContext(connection) as ctx:
        classify_one(h)
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    Household.objects.filter(pk=h.pk).update(light_at=timezone.now() - timedelta(days=3))
    h.refresh_from_db()
    stamp = h.light_at
    # A household classified one by one is left alone by the next district recompute (same
    # reasons in the same form), and the other way round.
    Household.objects.filter(pk=h.pk).update(light_reasons="", computed_light="green")
    h.refresh_from_db()
    classify_one(h)
    h.refresh_from_db()
    assert h.light_at != stamp
    stamp = h.light_at
    assert recompute_all().changed == 0
    h.refresh_from_db()
    assert h.light_at == stamp


def _outcome(since: int) -> tuple[dict[int, tuple[object, ...]], dict[int, tuple[object, ...]]]:
    """Every household's classification (light in force, computed light, reasons, version,
    next visit) and the history rows written after id ``since`` (all but their time and
    cause), by household."""
    households = {
        pk: rest
        for pk, *rest in Household.objects.values_list(
            "pk", "light", "computed_light", "light_reasons", "light_version", "next_visit_due"
        )
    }
    history = {
        pk: rest
        for pk, *rest in LightChange.objects.filter(pk__gt=since).values_list(
            "household_id", "region_path", "from_light", "to_light", "reasons", "rule_version"
        )
    }
    return households, history


def _one_by_one_then_set_based() -> None:
    """The district classified one household at a time (then rolled back), and set-based:
    the households, their next visits and the history rows come out the same."""
    from django.db import transaction

    from gridlight.households.classify import classify_one

    since = LightChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        for h in Household.objects.order_by("pk"):
            classify_one(h)
        one_by_one = _outcome(since)
        transaction.set_rollback(True)
    recompute_all()
    assert _outcome(since) == one_by_one
    assert one_by_one[1]  # history was written


def test_set_based_writes_what_one_by_one_writes_after_an_import(district: None) -> None:
    # As an import leaves them: never classified, so each gets its first history row.
    h = Household.objects.order_by("pk")[3]
    Household.objects.filter(pk=h.pk).update(
        override_light="red", override_until=timezone.localdate() + timedelta(days=5)
    )
    _one_by_one_then_set_based()


def test_set_based_writes_what_one_by_one_writes_after_a_rule_change(district: None) -> None:
    from gridlight.rules.models import RuleSetVersion

    recompute_all()
    current = current_version()
    definition = dict(current.definition)
    # Lower the red age for those living alone: some households move to red.
    definition["rules"] = [
        {**r, "when": {"all_of": [{"age_at_least": 60}, *r["when"]["all_of"][1:]]}}
        if r["code"] == "aged_80_alone"
        else r
        for r in current.definition["rules"]
    ]
    today = timezone.localdate()
    RuleSetVersion.objects.filter(pk=current.pk).update(effective_to=today)
    RuleSetVersion.objects.create(
        rule_set=current.rule_set,
        number=current.number + 1,
        status="published",
        definition=definition,
        effective_from=today,
    )
    _one_by_one_then_set_based()


def test_a_household_just_classified_is_explained_without_reading_it_again(
    district: None,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridlight.households.classify import classify_one, explain

    h = Household.objects.order_by("pk")[5]
    evaluation = classify_one(h)
    with CaptureQueriesContext(connection) as ctx:
        version, explained = explain(h)
    assert len(ctx.captured_queries) == 0
    assert explained is evaluation
    fresh = Household.objects.get(pk=h.pk)
    assert explain(fresh)[1].outcome == evaluation.outcome
    assert [r.code for r in explain(fresh)[1].fired] == [r.code for r in evaluation.fired]
    assert version.pk == fresh.light_version_id
