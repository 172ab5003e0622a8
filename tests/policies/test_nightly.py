"""The nightly run (issue 13 item 4), through the real Celery task that beat schedules and the
``match_policies`` command cron runs: the date moving is what changes the facts — a child
reaches school age on 1 September, and a version's ``effective_to`` passes — and the stored
matches follow: the new match made and pushed, the ended version's matches superseded (kept).

The clock is Django's ``timezone.localdate`` set to the day of the run; nothing else is faked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from gridlight.celery import app
from gridlight.policies import tasks
from gridlight.policies.models import Match, MatchRun, Push
from gridlight.policies.services import draft_create, draft_update, policy_create, publish
from tests.policies.conftest import make_talent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# School age is set on 31 August for the school year opening on 1 September: a child born on
# 1 March 2020 is not of compulsory-school age on 31 August 2026 and is on 1 September.
EVE, FIRST = date(2026, 8, 31), date(2026, 9, 1)


@pytest.fixture
def catalogue(world: Any, django_capture_on_commit_callbacks: Any) -> Any:
    from gridlight.policies.demo import load_policies

    with django_capture_on_commit_callbacks(execute=True):
        load_policies(actor=world.users["district_admin"], region=world.district)
    return world


def _ending_policy(world: Any) -> Any:
    """A talent policy for level C whose only version ends on 1 September 2026."""
    admin = world.users["district_admin"]
    policy = policy_create(
        actor=admin,
        region=world.district,
        code="summer_allowance",
        subject_type="talent",
        title="暑期补贴",
        issuer="区人社局",
        mode="push",
    )
    when = {"field_in": {"field": "level", "values": ["C"]}}
    cases = [{"name": "C", "values": {"level": "C"}, "expect": "met"}]
    v = draft_create(actor=admin, policy=policy)
    v = draft_update(
        actor=admin, draft=v, edit_version=1, definition={"when": when, "tests": cases}
    )
    publish(actor=admin, draft=v, effective_from=date(2026, 1, 1), effective_to=FIRST)
    return policy


def _match(talent: Any, code: str) -> Match | None:
    return Match.objects.filter(
        subject_type="talent", subject_id=talent.pk, policy__code=code
    ).first()


def test_beat_runs_the_nightly_task_which_follows_the_date(catalogue: Any, clock: Any) -> None:
    world = catalogue
    assert app.conf.beat_schedule["match-policies"]["task"] == tasks.match_nightly.name
    talent = make_talent(world.open_street, level="C", children=[date(2020, 3, 1)])
    _ending_policy(world)

    clock(EVE)
    summaries = tasks.match_nightly.apply().get()  # the task, run as a worker would run it
    assert len(summaries) == 2  # talents and enterprises
    assert all(s["subjects"] for s in summaries)
    school = _match(talent, "school_places")
    assert school is None or school.state != "met"  # five on the eve: no school place
    summer = _match(talent, "summer_allowance")
    assert summer is not None
    assert (summer.state, summer.status) == ("met", "current")
    assert Push.objects.filter(match=summer).exists()
    runs = MatchRun.objects.filter(kind="nightly", as_of=EVE)
    assert runs.count() == 2  # talents and enterprises

    clock(FIRST)
    tasks.match_nightly.apply().get()
    school = _match(talent, "school_places")
    assert school is not None
    assert (school.state, school.status, school.offered) == ("met", "current", True)
    assert school.explanation["values"]["school_age_children"] == 1
    assert school.explanation["as_of"] == FIRST.isoformat()
    assert Push.objects.filter(match=school).count() == 1  # pushed, once
    summer.refresh_from_db()
    assert summer.status == "superseded"  # its version ended on 1 September: kept, marked
    assert Push.objects.filter(match=summer).count() == 1  # not pushed again
    run = MatchRun.objects.get(kind="nightly", subject_type="talent", as_of=FIRST)
    assert run.superseded >= 1
    assert run.created >= 1

    # The next night nothing moved: nothing written, nothing pushed.
    clock(date(2026, 9, 2))
    pushes = Push.objects.count()
    [talents, _enterprises] = tasks.match_nightly.apply().get()
    assert (talents["created"], talents["changed"], talents["pushes"]) == (0, 0, 0)
    assert Push.objects.count() == pushes


def test_the_command_is_the_same_nightly_run(catalogue: Any, clock: Any) -> None:
    world = catalogue
    talent = make_talent(world.open_street, level="C", children=[date(2020, 3, 1)])
    _ending_policy(world)
    clock(EVE)
    call_command("match_policies", "--no-push")
    summer = _match(talent, "summer_allowance")
    assert summer is not None
    assert summer.status == "current"
    assert summer.pushed_at is None  # --no-push
    clock(FIRST)
    call_command("match_policies")
    school = _match(talent, "school_places")
    assert school is not None
    assert school.state == "met"
    assert Push.objects.filter(match=school).exists()
    summer.refresh_from_db()
    assert summer.status == "superseded"
    assert not Push.objects.filter(match=summer).exists()  # ended before it was ever pushed
