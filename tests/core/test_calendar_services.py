"""The calendar's write services: the State Council's notice of a year entered in one audited
step (locked against concurrent edits, all or nothing), and single days set and removed."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent, CalendarNotice, WorkdayOverride
from gridlight.core.services import (
    calendar_notice_enter,
    workday_override_delete,
    workday_override_set,
)
from gridlight.core.workdays import district_calendar
from gridlight.tickets.deadlines import calendar_gaps
from tests.conftest import World

pytestmark = pytest.mark.django_db

DOC = "国务院办公厅关于2027年部分节假日安排的通知"
SPRING = [date(2027, 2, d) for d in range(5, 13)]  # 5–12 February off
SPRING_WORK = [date(2027, 2, 13)]  # a Saturday worked


def _days() -> dict[date, bool]:
    return dict(WorkdayOverride.objects.values_list("day", "is_workday"))


def test_a_notice_enters_its_days_off_and_make_up_days_with_one_audit_event(world: World) -> None:
    admin = world.users["district_admin"]
    assert calendar_gaps(date(2027, 3, 1)) == [2027]
    notice = calendar_notice_enter(
        actor=admin, year=2027, document=DOC, days_off=SPRING, workdays=SPRING_WORK
    )
    assert notice.version == 1
    assert _days() == {**dict.fromkeys(SPRING, False), date(2027, 2, 13): True}
    assert set(WorkdayOverride.objects.values_list("notice_id", flat=True)) == {notice.pk}
    (event,) = AuditEvent.objects.filter(action="calendar.notice")
    assert event.actor == admin
    assert event.object_label == "2027"
    assert event.changes["days_off"] == [None, [str(d) for d in SPRING]]
    assert event.changes["workdays"] == [None, ["2027-02-13"]]
    # The year is known now: no more warning, and the days count.
    assert calendar_gaps(date(2027, 3, 1)) == []
    cal = district_calendar()
    assert cal.is_workday(date(2027, 2, 13))
    assert not cal.is_workday(date(2027, 2, 10))
    assert cal.warnings() == []


def test_entering_the_notice_again_replaces_its_days_and_needs_the_version_read(
    world: World,
) -> None:
    admin = world.users["district_admin"]
    first = calendar_notice_enter(
        actor=admin, year=2027, document=DOC, days_off=SPRING, workdays=SPRING_WORK
    )
    with pytest.raises(ConflictError):  # as if entered a second time from a stale page
        calendar_notice_enter(actor=admin, year=2027, document=DOC, days_off=SPRING, workdays=[])
    with pytest.raises(ConflictError):
        calendar_notice_enter(
            actor=admin, year=2027, document=DOC, days_off=SPRING, workdays=[], version=7
        )
    assert date(2027, 2, 13) in _days()
    second = calendar_notice_enter(
        actor=admin,
        year=2027,
        document=DOC + "（更正）",
        days_off=SPRING[:7],
        workdays=[],
        version=first.version,
    )
    assert second.version == 2
    assert _days() == dict.fromkeys(SPRING[:7], False)
    event = AuditEvent.objects.filter(action="calendar.notice").latest("id")
    assert event.changes["workdays"] == [["2027-02-13"], []]
    assert event.changes["document"] == [DOC, DOC + "（更正）"]


def test_a_notice_takes_over_a_day_set_by_hand_and_says_so(world: World) -> None:
    admin = world.users["district_admin"]
    workday_override_set(actor=admin, day=date(2027, 2, 5), is_workday=True, note="值班")
    calendar_notice_enter(actor=admin, year=2027, document=DOC, days_off=SPRING, workdays=[])
    assert _days()[date(2027, 2, 5)] is False
    event = AuditEvent.objects.get(action="calendar.notice")
    assert event.changes["replaced_overrides"] == [{"2027-02-05": True}, None]


@pytest.mark.parametrize(
    ("days_off", "workdays", "words"),
    [
        ([], [], "at least one day off"),
        (SPRING, [date(2027, 2, 5)], "both as a day off and as a working day"),
        (SPRING, [date(2027, 2, 15)], "is a weekday"),  # a Monday
        ([date(2028, 1, 3)], [], "outside 2027"),
        ([date(2026, 11, 30)], [], "outside 2027"),
    ],
)
def test_a_wrong_notice_is_refused_and_nothing_written(
    world: World, days_off: list[date], workdays: list[date], words: str
) -> None:
    with translation.override("en"), pytest.raises(DomainError, match=words):
        calendar_notice_enter(
            actor=world.users["district_admin"],
            year=2027,
            document=DOC,
            days_off=days_off,
            workdays=workdays,
        )
    assert not CalendarNotice.objects.exists()
    assert not WorkdayOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="calendar.notice").exists()


def test_new_years_day_in_lieu_may_fall_in_the_december_before(world: World) -> None:
    calendar_notice_enter(
        actor=world.users["district_admin"],
        year=2027,
        document=DOC,
        days_off=[date(2026, 12, 31), date(2027, 1, 1)],
        workdays=[],
    )
    assert _days() == {date(2026, 12, 31): False, date(2027, 1, 1): False}


def test_only_the_ticket_administrator_enters_notices_and_days(world: World) -> None:
    for user in (world.users["street_staff"], world.users["resident"], world.twins["grid_worker"]):
        with pytest.raises(PermissionDenied):
            calendar_notice_enter(actor=user, year=2027, document=DOC, days_off=SPRING, workdays=[])
        with pytest.raises(PermissionDenied):
            workday_override_set(actor=user, day=date(2027, 3, 1), is_workday=False)
    assert not WorkdayOverride.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()


def test_a_day_set_by_hand_is_audited_with_what_it_was(world: World) -> None:
    admin = world.users["district_admin"]
    workday_override_set(actor=admin, day=date(2027, 3, 1), is_workday=False, note="区级活动")
    override = workday_override_set(actor=admin, day=date(2027, 3, 1), is_workday=True)
    first, second = AuditEvent.objects.filter(action="calendar.override").order_by("id")
    assert first.changes == {"is_workday": [None, False], "note": [None, "区级活动"]}
    assert second.changes == {"is_workday": [False, True], "note": ["区级活动", ""]}
    workday_override_delete(actor=admin, override=override)
    event = AuditEvent.objects.get(action="calendar.override_delete")
    assert event.changes == {"is_workday": [True, None], "note": ["", None]}
    assert not WorkdayOverride.objects.exists()
