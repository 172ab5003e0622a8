"""The traffic light is decided two ways: one household at a time in Python (classify_one, when
its data change) and all at once in SQL (recompute_all, the rule set rendered as one query).
For any small batch of households (ages at and around birthdays, household and member tags,
disability grades, member counts, members whose birth date is unknown) both give the same light
and the same fired rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridlight.core.models import Region, User
from gridlight.households.catalogue import ATTRIBUTES
from gridlight.households.classify import SUBJECT, compiled_for, current_version, recompute_all
from gridlight.households.models import Household
from gridlight.households.services import MemberInput
from tests.factories import GridFactory, HouseholdFactory, MemberFactory, admin_over

pytestmark = pytest.mark.django_db

HOUSEHOLD_TAGS = sorted(c for c, _n, _e, scope, _g in ATTRIBUTES if scope == "household")
RESIDENT_TAGS = sorted(
    c for c, _n, _e, scope, _g in ATTRIBUTES if scope == "resident" and c != "disability"
)
ABSENT = "absent"


@dataclass(frozen=True)
class Member:
    age: int | None  # None: no ID number, so no known birth date
    days_from_birthday: int
    sex: str
    tags: frozenset[str]
    disability: int | str | None  # ABSENT, None (no grade) or a grade 1-4


@dataclass(frozen=True)
class Home:
    tags: frozenset[str]
    members: tuple[Member, ...]


members = st.builds(
    Member,
    age=st.one_of(st.none(), st.sampled_from([0, 17, 59, 60, 61, 79, 80, 81]), st.integers(0, 100)),
    days_from_birthday=st.integers(-1, 1),
    sex=st.sampled_from("MF"),
    tags=st.frozensets(st.sampled_from(RESIDENT_TAGS), max_size=3),
    disability=st.sampled_from([ABSENT, ABSENT, None, 1, 2, 3, 4]),
)
homes = st.builds(
    Home,
    tags=st.frozensets(st.sampled_from(HOUSEHOLD_TAGS), max_size=3),
    members=st.lists(members, min_size=1, max_size=4).map(tuple),
)


def _birth_date(today: date, member: Member) -> date | None:
    """A birth date giving ``member.age`` today, moved a day either side of the birthday (the
    day a household crosses 60 or 80 is where the two evaluations could part)."""
    if member.age is None:
        return None
    year = today.year - member.age
    try:
        anniversary = today.replace(year=year)
    except ValueError:  # 29 February in a common year
        anniversary = date(year, 2, 28)
    return min(anniversary + timedelta(days=member.days_from_birthday), today)


def _member(today: date, member: Member) -> MemberInput:
    attributes: dict[str, int | None] = dict.fromkeys(member.tags)
    if member.disability != ABSENT:
        assert not isinstance(member.disability, str)
        attributes["disability"] = member.disability
    built: MemberInput = MemberFactory.build(
        birth_date=_birth_date(today, member), sex=member.sex, attributes=attributes
    )
    return built


@pytest.fixture
def place(db: None) -> tuple[Region, User]:
    grid = GridFactory()
    return grid, admin_over(grid)


@settings(
    max_examples=30,
    deadline=None,
    # One database for every example: each runs in a savepoint that is rolled back.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(homes, min_size=1, max_size=6))
def test_one_by_one_and_set_based_classification_agree(
    place: tuple[Region, User], batch: list[Home]
) -> None:
    grid, admin = place
    today = timezone.localdate()
    with transaction.atomic():
        registered = [
            HouseholdFactory(
                grid=grid,
                actor=admin,
                attributes=sorted(home.tags),
                members=[_member(today, m) for m in home.members],
            )
            for home in batch
        ]
        compiled = compiled_for(current_version(today))
        one_by_one = {}
        for h in registered:
            evaluation = compiled.evaluate(SUBJECT.values(h, today))
            one_by_one[h.pk] = (evaluation.outcome, [r.code for r in evaluation.fired])
        # Forget the lights registration gave them, so the set-based pass must decide them all.
        Household.objects.filter(pk__in=one_by_one).update(computed_light="", light_reasons="")
        result = recompute_all()
        assert result.total == len(batch)
        set_based = {
            h.pk: (h.computed_light, h.reasons) for h in Household.objects.filter(pk__in=one_by_one)
        }
        assert set_based == one_by_one
        transaction.set_rollback(True)
